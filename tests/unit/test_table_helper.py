"""The state table's helper (aws/store/table.py) without AWS: the one update builder, and the
one conditional write's answers when its condition fails, against a recording fake client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import BaseModel

from bedrock_tuner.aws.store.table import (
    Attr,
    Table,
    TransactionCancelled,
    TxCheck,
    TxPut,
    TxUpdate,
    Update,
    key,
)
from bedrock_tuner.errors import ThrottlingError, TransientError

KEY = key("RUN#r1", "RUN")


# --------------------------------------------------------------------------- the builder


def test_each_kind_of_change_gets_its_clause_and_placeholders() -> None:
    expression, names, values = Update(
        set={"status": "DONE", "error": None},
        if_absent={"createdAt": "t0"},
        append={"steps": [{"name": "s"}]},
        add={"seenEventIds": {"e1"}},
        delete={"holders": {"h1"}},
        remove=["GSI2PK"],
    ).build()
    assert names == {
        "#u0": "status",
        "#u1": "error",
        "#u2": "createdAt",
        "#u3": "steps",
        "#u4": "GSI2PK",
        "#u5": "seenEventIds",
        "#u6": "holders",
    }
    assert expression == (
        "SET #u0 = :u0, #u2 = if_not_exists(#u2, :u1), "
        "#u3 = list_append(if_not_exists(#u3, :u2), :u3) "
        "REMOVE #u1, #u4 ADD #u5 :u4 DELETE #u6 :u5"
    )
    assert values == {
        ":u0": "DONE",
        ":u1": "t0",
        ":u2": [],
        ":u3": [{"name": "s"}],
        ":u4": {"e1"},
        ":u5": {"h1"},
    }


def test_a_nested_path_reuses_the_placeholder_of_its_map() -> None:
    expression, names, values = Update(
        set={("notifications", "succeeded"): "m-1"},
        if_absent={"notifications2": {}},
        remove=[("notifications", "failed")],
    ).build()
    assert expression == "SET #u0.#u1 = :u0, #u2 = if_not_exists(#u2, :u1) REMOVE #u0.#u3"
    assert names == {
        "#u0": "notifications",
        "#u1": "succeeded",
        "#u2": "notifications2",
        "#u3": "failed",
    }
    assert values == {":u0": "m-1", ":u1": {}}


def test_names_are_always_placeholders_even_reserved_words() -> None:
    expression, names, _ = Update(set={"status": 1, "name": 2, "last": 3}).build()
    assert "status" not in expression and "name" not in expression and "last" not in expression
    assert set(names.values()) == {"status", "name", "last"}


@pytest.mark.parametrize(
    "update",
    [
        Update(),
        Update(set={"a": 1}, remove=["a"]),
        Update(set={"a": None}, remove=["a"]),
        Update(set={("m", "k"): 1}, remove=[("m", "k")]),
        Update(set={(): 1}),
    ],
)
def test_no_change_or_a_path_changed_twice_is_refused(update: Update) -> None:
    with pytest.raises(ValueError):
        update.build()


# --------------------------------------------------------------------------- the conditional write


class Item(BaseModel):
    status: str
    version: int = 0


def client_error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} (fake)"}, **extra}, "Op")


class FakeClient:
    """Answers each operation from ``answers`` (a value, or an exception to raise) and
    records every request."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**request: Any) -> Any:
            self.calls.append((operation, request))
            answer = self.answers[operation]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def table(client: FakeClient) -> Table:
    return Table("state", lambda: client)


def test_a_written_update_returns_the_item_after_it() -> None:
    client = FakeClient(
        update_item={"Attributes": {"status": {"S": "DONE"}, "version": {"N": "3"}}}
    )
    written = table(client).write(
        KEY, Item, update=Update(set={"status": "DONE"}), condition=Attr("PK").exists()
    )
    assert written.written and written.item == Item(status="DONE", version=3)
    [(operation, request)] = client.calls
    assert operation == "update_item" and request["ReturnValues"] == "ALL_NEW"
    assert request["UpdateExpression"] == "SET #u0 = :u0"
    assert request["ConditionExpression"] == "attribute_exists(#n0)"
    assert request["ExpressionAttributeNames"] == {"#u0": "status", "#n0": "PK"}
    assert request["ExpressionAttributeValues"] == {":u0": {"S": "DONE"}}


def test_a_failed_condition_reads_the_item_as_it_is_now() -> None:
    client = FakeClient(
        update_item=client_error("ConditionalCheckFailedException"),
        get_item={"Item": {"status": {"S": "FAILED"}, "version": {"N": "7"}}},
    )
    written = table(client).write(
        KEY, Item, update=Update(set={"status": "DONE"}), condition=Attr("status").eq("RUNNING")
    )
    assert not written.written
    assert written.item == Item(status="FAILED", version=7)
    assert [operation for operation, _ in client.calls] == ["update_item", "get_item"]
    read = client.calls[1][1]
    assert read["ConsistentRead"] is True
    assert read["Key"] == {"PK": {"S": "RUN#r1"}, "SK": {"S": "RUN"}}


def test_a_failed_condition_on_a_missing_item_reads_none() -> None:
    client = FakeClient(put_item=client_error("ConditionalCheckFailedException"), get_item={})
    written = table(client).write(
        KEY, Item, put={"status": "NEW"}, condition=Attr("PK").not_exists()
    )
    assert not written.written and written.item is None and written.raw is None
    assert client.calls[0][1]["Item"] == {
        "status": {"S": "NEW"},
        "PK": {"S": "RUN#r1"},
        "SK": {"S": "RUN"},
    }


def test_without_reread_a_failed_condition_reads_nothing() -> None:
    client = FakeClient(update_item=client_error("ConditionalCheckFailedException"))
    written = table(client).write(
        KEY,
        Item,
        update=Update(remove=["leaseId"]),
        condition=Attr("leaseId").eq("x"),
        reread=False,
    )
    assert not written.written and written.item is None
    assert [operation for operation, _ in client.calls] == ["update_item"]


def test_other_failures_are_not_answers() -> None:
    throttled = FakeClient(
        update_item=client_error("ProvisionedThroughputExceededException"), get_item={}
    )
    with pytest.raises(ThrottlingError, match="DynamoDB update_item on state"):
        table(throttled).write(
            KEY, Item, update=Update(set={"status": "x"}), condition=Attr("PK").exists()
        )
    assert [operation for operation, _ in throttled.calls] == ["update_item"]


def test_a_plain_update_lets_a_failed_condition_through() -> None:
    client = FakeClient(update_item=client_error("ConditionalCheckFailedException"))
    with pytest.raises(ClientError):
        table(client).update(KEY, Update(set={"delivered": True}), condition=Attr("PK").exists())


def test_write_takes_a_put_or_an_update() -> None:
    with pytest.raises(ValueError):
        table(FakeClient()).write(KEY, Item, condition=Attr("PK").exists())


# --------------------------------------------------------------------------- the transaction


def test_a_cancelled_transaction_says_which_condition_failed() -> None:
    cancelled = client_error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
    )
    client = FakeClient(transact_write_items=cancelled)
    with pytest.raises(TransactionCancelled) as caught:
        table(client).transact(
            TxUpdate(KEY, Update(set={"last": 2}), Attr("last").eq(1)),
            TxPut({**key("MODEL#f", "VERSION#2"), "version": 2}, Attr("PK").not_exists()),
            TxCheck(key("FAMILIES", "FAMILY#f"), Attr("owner").eq("p")),
        )
    assert not caught.value.condition_failed_at(0)
    assert caught.value.condition_failed_at(1)
    assert not caught.value.condition_failed_at(2)
    assert caught.value.retryable is None
    [(_, request)] = client.calls
    kinds = [next(iter(item)) for item in request["TransactItems"]]
    assert kinds == ["Update", "Put", "ConditionCheck"]
    assert all(
        next(iter(item.values()))["TableName"] == "state" for item in request["TransactItems"]
    )


def test_a_conflicting_transaction_carries_the_transient_error() -> None:
    client = FakeClient(transact_write_items=client_error("TransactionConflictException"))
    with pytest.raises(TransactionCancelled) as caught:
        table(client).transact(TxPut({**KEY, "status": "x"}))
    assert isinstance(caught.value.retryable, TransientError)
    assert type(caught.value.retryable) is TransientError  # the workflow retries it by name
