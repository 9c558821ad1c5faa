"""The state table's one helper: every store reads and writes the table through it.

- **Marshalling** in one place: items are camelCase dicts, floats travel as Decimals, string
  sets come back as sorted lists, ``None`` attributes are left out.
- **Typed reads**: :meth:`Table.get` and :meth:`Table.query` return the record type asked for.
- **One update builder**, :class:`Update`: SET (``None`` removes), SET ``if_not_exists``,
  ``list_append``, ADD, DELETE and REMOVE from dicts of changes, every attribute name and
  value a placeholder.
- **Conditions are boto3's** (``Attr("status").eq("PENDING")``), turned into placeholders by
  boto3's own builder.
- **One conditional write**, :meth:`Table.write`: a put or an update on a condition; when the
  condition fails, the item as it is now is read back (consistent read) and returned with
  ``written = False``, so each store only decides what a lost condition means.
- **One transaction**, :meth:`Table.transact`, whose :class:`TransactionCancelled` says which
  item's condition failed.

Throttling, 5xx and timeouts are retried by botocore (``aws/clients.py``: standard mode, 8
attempts); what is left becomes :class:`ThrottlingError` / :class:`TransientError` here, and
a missing table a :class:`BedrockTunerError` naming the setting. Keys, indexes and items:
docs/table-design.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeAlias, TypeVar

from boto3.dynamodb.conditions import Attr, ConditionBase, ConditionExpressionBuilder
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, retryable_error
from bedrock_tuner.errors import BedrockTunerError, TransientError

__all__ = [
    "Attr",
    "Condition",
    "Key",
    "Path",
    "Table",
    "TransactionCancelled",
    "TxCheck",
    "TxPut",
    "TxUpdate",
    "Update",
    "Written",
    "key",
]

Condition: TypeAlias = ConditionBase
"""A condition built with :class:`Attr` (``&``, ``|``, ``~`` combine them)."""
Key = Mapping[str, str]
"""An item's ``{"PK": …, "SK": …}``."""
Path = str | tuple[str, ...]
"""An attribute name, or the path to a map member (``("notifications", kind)``)."""
Changes: TypeAlias = Mapping[str, Any] | Mapping[tuple[str, ...], Any] | Mapping[Path, Any]
"""Attribute paths and their values."""
M = TypeVar("M", bound=BaseModel)

INDEX_KEYS = {None: ("PK", "SK"), "GSI1": ("GSI1PK", "GSI1SK"), "GSI2": ("GSI2PK", "GSI2SK")}
CONDITION_FAILED = "ConditionalCheckFailedException"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def key(pk: str, sk: str) -> dict[str, str]:
    return {"PK": pk, "SK": sk}


# --------------------------------------------------------------------------- marshalling


def _to_dynamo(value: Any) -> Any:
    """Python values DynamoDB accepts: floats become Decimals, tuples lists."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_from_dynamo(v) for v in value)
    return value


def _attr(value: Any) -> dict[str, Any]:
    # the stubs type the result as a TypedDict of the attribute-value shapes
    return dict(_serializer.serialize(_to_dynamo(value)))


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _attr(value) for name, value in values.items() if value is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _from_dynamo(_deserializer.deserialize(value)) for name, value in item.items()}


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Update:
    """The changes of one ``UpdateItem``, by attribute path.

    ``set``: ``path = value`` (a ``None`` value removes the attribute); ``if_absent``:
    ``path = if_not_exists(path, value)``; ``append``: the values go at the end of the list
    (created empty when missing); ``add``: a number added, or set members; ``delete``: set
    members taken out; ``remove``: attributes removed. A path may appear once.
    """

    set: Changes = field(default_factory=dict)
    if_absent: Changes = field(default_factory=dict)
    append: Changes = field(default_factory=dict)  # path -> the values to append
    add: Changes = field(default_factory=dict)
    delete: Changes = field(default_factory=dict)
    remove: Iterable[Path] = ()

    def build(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``(UpdateExpression, names, values)``: names ``#u0…``, values ``:u0…`` (Python
        values, marshalled when sent).

        Raises ``ValueError`` for no change at all, or a path changed twice (DynamoDB
        refuses overlapping paths).
        """
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        seen: set[tuple[str, ...]] = set()

        def name(path: Path) -> str:
            parts = (path,) if isinstance(path, str) else path
            if not parts or parts in seen:
                raise ValueError(f"attribute path {path!r} is empty or changed twice")
            seen.add(parts)
            placeholders = []
            for part in parts:
                found = next((k for k, v in names.items() if v == part), None)
                if found is None:
                    found = f"#u{len(names)}"
                    names[found] = part
                placeholders.append(found)
            return ".".join(placeholders)

        def value(given: Any) -> str:
            placeholder = f":u{len(values)}"
            values[placeholder] = given
            return placeholder

        sets: list[str] = []
        removes: list[str] = []
        for path, given in self.set.items():
            if given is None:
                removes.append(name(path))
            else:
                sets.append(f"{name(path)} = {value(given)}")
        for path, given in self.if_absent.items():
            target = name(path)
            sets.append(f"{target} = if_not_exists({target}, {value(given)})")
        for path, given in self.append.items():
            target = name(path)
            sets.append(
                f"{target} = list_append(if_not_exists({target}, {value([])}), {value(list(given))})"
            )
        removes += [name(path) for path in self.remove]
        adds = [f"{name(path)} {value(given)}" for path, given in self.add.items()]
        deletes = [f"{name(path)} {value(given)}" for path, given in self.delete.items()]
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (
                ("SET", sets),
                ("REMOVE", removes),
                ("ADD", adds),
                ("DELETE", deletes),
            )
            if parts
        ]
        if not clauses:
            raise ValueError("an update changes nothing")
        return " ".join(clauses), names, values


def _expression(update: Update | None, condition: Condition | None) -> dict[str, Any]:
    """The expression parameters of a request: ``UpdateExpression``, ``ConditionExpression``
    and their names and (marshalled) values."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    request: dict[str, Any] = {}
    if update is not None:
        request["UpdateExpression"], update_names, update_values = update.build()
        names |= update_names
        values |= update_values
    if condition is not None:
        built = ConditionExpressionBuilder().build_expression(condition)
        request["ConditionExpression"] = built.condition_expression
        names |= built.attribute_name_placeholders
        values |= built.attribute_value_placeholders
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = {k: _attr(v) for k, v in values.items()}
    return request


# --------------------------------------------------------------------------- writes' outcomes


@dataclass(frozen=True)
class Written(Generic[M]):
    """What :meth:`Table.write` did: ``written``, and the item — as written, or, when the
    condition failed, as it is now (``None``: there is no such item, or it was not read)."""

    written: bool
    raw: dict[str, Any] | None
    model: type[M]

    @property
    def item(self) -> M | None:
        return None if self.raw is None else self.model.model_validate(self.raw)


@dataclass(frozen=True)
class TxPut:
    """A transaction's ``Put`` of a whole item (its keys included)."""

    item: Mapping[str, Any]
    condition: Condition | None = None


@dataclass(frozen=True)
class TxUpdate:
    key: Key
    update: Update
    condition: Condition | None = None


@dataclass(frozen=True)
class TxCheck:
    """A transaction's ``ConditionCheck``: the item must meet ``condition``, unchanged."""

    key: Key
    condition: Condition


class TransactionCancelled(Exception):
    """``TransactWriteItems`` did not happen: an item's condition failed or a concurrent
    transaction conflicted (``retryable``: the :class:`TransientError` to raise when
    retrying here is not what the caller wants)."""

    def __init__(self, reasons: Sequence[str], *, retryable: TransientError | None = None) -> None:
        super().__init__(f"transaction cancelled: {', '.join(reasons) or 'conflict'}")
        self.reasons = tuple(reasons)
        self.retryable = retryable

    def condition_failed_at(self, index: int) -> bool:
        """Whether item ``index`` (in the order given to :meth:`Table.transact`) failed its
        condition."""
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


# --------------------------------------------------------------------------- the table


class Table:
    """The state table (``BT_TABLE_NAME``), through a boto3 client built on first use."""

    def __init__(self, name: str, client_factory: Callable[[], Any] | None = None) -> None:
        self.name = name
        self._factory = client_factory or (lambda: default_client("dynamodb"))

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._factory(), operation)(**kwargs)
        except Exception as exc:
            raise self._error(operation, exc) from exc

    def _error(self, operation: str, exc: Exception) -> Exception:
        if error_code(exc) == CONDITION_FAILED:
            return exc  # the conditional write (or its caller) decides what it means
        found = retryable_error(exc, f"DynamoDB {operation} on {self.name}")
        if found is not None:
            return found
        if error_code(exc) == "ResourceNotFoundException":
            return BedrockTunerError(
                f"the state table {self.name} does not exist",
                fix="check BT_TABLE_NAME (the template sets it to the StateTable)",
            )
        return exc

    # -- reads -----------------------------------------------------------------------------
    def get_item(self, item_key: Key) -> dict[str, Any] | None:
        """The item (consistent read), ``None`` when absent."""
        response = self._call(
            "get_item", TableName=self.name, Key=_item(item_key), ConsistentRead=True
        )
        found = response.get("Item")
        return _plain(found) if found else None

    def get(self, item_key: Key, model: type[M]) -> M | None:
        found = self.get_item(item_key)
        return None if found is None else model.model_validate(found)

    def items(
        self,
        partition: str,
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The items whose partition key (of the table or of ``index``) is ``partition``,
        in sort key order, page after page."""
        pk_name, sk_name = INDEX_KEYS[index]
        condition = "#k = :k"
        names = {"#k": pk_name}
        values: dict[str, Any] = {":k": partition}
        if sk_prefix is not None:
            condition += " AND begins_with(#s, :s)"
            names["#s"] = sk_name
            values[":s"] = sk_prefix
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _item(values),
            "ScanIndexForward": not newest_first,
        }
        if index:
            request["IndexName"] = index
        returned = 0
        while True:
            response = self._call("query", **request)
            for found in response.get("Items", []):
                yield _plain(found)
                returned += 1
                if limit is not None and returned >= limit:
                    return
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def query(
        self,
        partition: str,
        model: type[M],
        *,
        index: str | None = None,
        sk_prefix: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[M]:
        """:meth:`items` as records."""
        return [
            model.model_validate(found)
            for found in self.items(
                partition, index=index, sk_prefix=sk_prefix, newest_first=newest_first, limit=limit
            )
        ]

    # -- writes ----------------------------------------------------------------------------
    def put(self, item: Mapping[str, Any]) -> None:
        """Write the whole item (its keys included), unconditionally."""
        self._call("put_item", TableName=self.name, Item=_item(item))

    def update(self, item_key: Key, update: Update, *, condition: Condition | None = None) -> None:
        """Apply ``update``. A ``condition`` here is one that holds unless something is badly
        wrong: its failure propagates (use :meth:`write` where a failed condition is an
        answer)."""
        self._call(
            "update_item",
            TableName=self.name,
            Key=_item(item_key),
            **_expression(update, condition),
        )

    def write(
        self,
        item_key: Key,
        model: type[M],
        *,
        condition: Condition,
        put: Mapping[str, Any] | None = None,
        update: Update | None = None,
        reread: bool = True,
    ) -> Written[M]:
        """The conditional write: put ``put`` (the item without its keys) or apply
        ``update`` to the item at ``item_key``, on ``condition``.

        Written: ``Written(True, item)`` with the item as it is after the write. The
        condition failed: ``Written(False, item)`` with the item as it is now (a consistent
        read; ``None`` when there is none), or ``None`` without ``reread``.
        """
        if (put is None) == (update is None):
            raise ValueError("write() takes a put or an update")
        try:
            if put is not None:
                whole = {**put, **item_key}
                self._call(
                    "put_item",
                    TableName=self.name,
                    Item=_item(whole),
                    **_expression(None, condition),
                )
                return Written(True, {k: v for k, v in whole.items() if v is not None}, model)
            response = self._call(
                "update_item",
                TableName=self.name,
                Key=_item(item_key),
                ReturnValues="ALL_NEW",
                **_expression(update, condition),
            )
            return Written(True, _plain(response["Attributes"]), model)
        except Exception as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
        return Written(False, self.get_item(item_key) if reread else None, model)

    def transact(self, *writes: TxPut | TxUpdate | TxCheck) -> None:
        """Every write or none (``TransactWriteItems``).

        Raises
        ------
        TransactionCancelled
            A condition failed (``condition_failed_at(i)``) or a concurrent transaction
            conflicted.
        """
        items: list[dict[str, Any]] = []
        for write in writes:
            if isinstance(write, TxPut):
                body = {"Item": _item(write.item), **_expression(None, write.condition)}
                items.append({"Put": {"TableName": self.name, **body}})
            elif isinstance(write, TxUpdate):
                body = {"Key": _item(write.key), **_expression(write.update, write.condition)}
                items.append({"Update": {"TableName": self.name, **body}})
            else:
                body = {"Key": _item(write.key), **_expression(None, write.condition)}
                items.append({"ConditionCheck": {"TableName": self.name, **body}})
        try:
            self._factory().transact_write_items(TransactItems=items)
        except Exception as exc:
            code = error_code(exc)
            if code == "TransactionCanceledException":
                response = getattr(exc, "response", None) or {}
                reasons = [
                    str(reason.get("Code", "")) if isinstance(reason, dict) else ""
                    for reason in response.get("CancellationReasons") or []
                ]
                raise TransactionCancelled(reasons) from exc
            error = self._error("TransactWriteItems", exc)
            if code == "TransactionConflictException" and isinstance(error, TransientError):
                raise TransactionCancelled([], retryable=error) from exc
            raise error from exc
