"""The aliases store: alias items (``MODEL#<family>/ALIAS#<alias>``: target, revision, lease)
and their history (``MODEL#<family>/ALIAS#<alias>#<revision:08d>``, one item per change or
failed attempt); docs/registry.md says how a promotion uses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from bedrock_tuner.aws.store.versions import family_key, may_write, refuse_family
from bedrock_tuner.errors import ConflictError
from bedrock_tuner.models.aliases import AliasChange, AliasState

__all__ = ["DynamoAliasStore"]

_LEASE = ("leaseId", "leaseExpiresAt")


def _alias_key(family: str, alias: str) -> dict[str, str]:
    return key(f"MODEL#{family}", f"ALIAS#{alias}")


class DynamoAliasStore:
    """Aliases and their history in the state table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, family: str, alias: str) -> AliasState:
        """Where the alias points (``version`` ``None``: never set)."""
        found = self.table.get_item(_alias_key(family, alias))
        return AliasState.model_validate({**(found or {}), "family": family, "alias": alias})

    def targets(self, family: str) -> dict[str, int]:
        """Each alias of ``family`` and the version it points at (history items excluded)."""
        targets: dict[str, int] = {}
        for item in self.table.items(f"MODEL#{family}", sk_prefix="ALIAS#"):
            name = str(item["SK"]).removeprefix("ALIAS#")
            if "#" not in name and item.get("version") is not None:
                targets[name] = int(item["version"])
        return targets

    def history(self, family: str, alias: str) -> list[AliasChange]:
        """Every change of the alias (and every failed attempt), oldest first."""
        return self.table.query(f"MODEL#{family}", AliasChange, sk_prefix=f"ALIAS#{alias}#")

    def acquire_lease(
        self, family: str, alias: str, *, lease_id: str, now: int, expires: int
    ) -> AliasState:
        """Take the alias's promotion lease (none held, or the holder's expired).

        Returns the alias with the lease. Raises :class:`ConflictError` when another
        promotion holds a live lease.
        """
        outcome = self.table.write(
            _alias_key(family, alias),
            AliasState,
            update=Update(
                set={
                    "family": family,
                    "alias": alias,
                    "leaseId": lease_id,
                    "leaseExpiresAt": expires,
                }
            ),
            condition=Attr("leaseId").not_exists() | Attr("leaseExpiresAt").lt(now),
            reread=False,
        )
        if not outcome.written or outcome.item is None:
            raise ConflictError(
                f"promotion of {alias} in progress (family {family})",
                fix="wait for it to finish (a stuck promotion's lease expires after 2 minutes) "
                f"and check `bedrock-tuner aliases history {family} {alias}`",
            )
        return outcome.item

    def release_lease(self, family: str, alias: str, lease_id: str) -> bool:
        """Drop the lease if ``lease_id`` still holds it; ``False`` if it did not."""
        return self.table.write(
            _alias_key(family, alias),
            AliasState,
            update=Update(remove=_LEASE),
            condition=Attr("leaseId").eq(lease_id),
            reread=False,
        ).written

    def commit(
        self,
        family: str,
        alias: str,
        *,
        lease_id: str,
        expected_revision: int,
        fields: Mapping[str, Any],
        history: AliasChange,
        writer: str | None = None,
    ) -> None:
        """One transaction: the alias item gets ``fields`` (camelCase; ``None`` removes) and
        ``revision + 1`` and loses its lease (condition: our lease, revision unchanged); the
        history item ``ALIAS#<alias>#<revision+1:08d>`` is created. With ``writer`` (a
        pipeline promoting its own version) the family item is checked in the same
        transaction: ``writer`` owns it or is one of its ``writers``.

        Raises
        ------
        ForbiddenError
            ``writer`` may not write to the family (its owner took the share back).
        ConflictError
            The lease was lost or the revision moved (another promotion won).
        ThrottlingError, TransientError
            Retry.
        """
        revision = expected_revision + 1
        unchanged = (
            Attr("revision").not_exists()
            if expected_revision == 0
            else Attr("revision").eq(expected_revision)
        )
        update = TxUpdate(
            _alias_key(family, alias),
            Update(set={**fields, "revision": revision}, remove=_LEASE),
            condition=Attr("leaseId").eq(lease_id) & unchanged,
        )
        record = TxPut(
            {**key(f"MODEL#{family}", f"ALIAS#{alias}#{revision:08d}"), **history.item()},
            condition=Attr("PK").not_exists(),
        )
        check = [TxCheck(family_key(family), may_write(writer))] if writer is not None else []
        try:
            self.table.transact(update, record, *check)
        except TransactionCancelled as exc:
            if exc.retryable is not None:
                raise exc.retryable from exc
            if writer is not None and exc.condition_failed_at(2):
                refuse_family(self.table, family, writer)
            raise ConflictError(
                f"alias {alias} of {family} changed during the promotion (lease lost)",
                fix="read the alias and its history, then promote again",
            ) from exc

    def put_failed_attempt(self, change: AliasChange, *, lease_id: str) -> None:
        """A history item outside the commit (a promotion that failed and was compensated,
        or not): ``ALIAS#<alias>#<revision:08d>#FAILED#<at>#<lease>``."""
        suffix = f"{change.revision:08d}#FAILED#{change.at}#{lease_id[:8]}"
        self.table.put(
            {**key(f"MODEL#{change.family}", f"ALIAS#{change.alias}#{suffix}"), **change.item()}
        )
