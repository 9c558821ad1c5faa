"""The versions store: model versions (``MODEL#<family>/VERSION#<nnnnnnnn>``), the per-family
counter (``MODEL#<family>/COUNTER``), the by-job pointer (``JOB#<jobArn>/VERSION``) and the
family items (``FAMILIES/FAMILY#<family>``).

Version N of a family is written in one transaction with the counter (N-1 → N) and the
by-job item, so numbers are gap-free and a job registers at most once; a family belongs to
the pipeline that claimed it first (``owner``) and the pipelines its owner lists
(``writers``), checked in the same transaction (docs/table-design.md, "Version N in one
transaction").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn

from bedrock_tuner.aws.store.table import (
    Attr,
    Condition,
    Table,
    TransactionCancelled,
    TxPut,
    TxUpdate,
    Update,
    key,
)
from bedrock_tuner.errors import ForbiddenError, TransientError
from bedrock_tuner.models.versions import FamilyInfo, ModelVersion, family_owner_problem

__all__ = [
    "VERSION_ATTEMPTS",
    "DynamoVersionStore",
    "family_key",
    "may_write",
    "refuse_family",
    "version_sort_key",
]

VERSION_ATTEMPTS = 8
VERSION_SK_PREFIX = "VERSION#"


def version_sort_key(version: int) -> str:
    """``VERSION#00000042``: zero-padded so versions sort as text."""
    return f"{VERSION_SK_PREFIX}{version:08d}"


def family_key(family: str) -> dict[str, str]:
    return key("FAMILIES", f"FAMILY#{family}")


def may_write(pipeline: str) -> Condition:
    """The family item's condition: nobody owns it, ``pipeline`` does, or its owner lists
    ``pipeline`` in ``writers`` (:meth:`FamilyInfo.may_write`, as a condition)."""
    return (
        Attr("owner").not_exists() | Attr("owner").eq(pipeline) | Attr("writers").contains(pipeline)
    )


def refuse_family(table: Table, family: str, pipeline: str) -> NoReturn:
    """A transaction's family condition failed: the :class:`ForbiddenError` naming the owner
    as stored now."""
    found = table.get(family_key(family), FamilyInfo)
    owner = found.owner if found is not None and found.owner else "?"
    message, fix = family_owner_problem(family, owner, pipeline)
    raise ForbiddenError(message, fix=fix)


class DynamoVersionStore:
    """Model versions and families in the state table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    # -- versions ----------------------------------------------------------------------------
    def last_number(self, family: str) -> int:
        """The highest version number ``family`` has given out (0: none yet)."""
        item = self.table.get_item(key(f"MODEL#{family}", "COUNTER"))
        return int((item or {}).get("last", 0))

    def get(self, family: str, version: int) -> ModelVersion | None:
        return self.table.get(key(f"MODEL#{family}", version_sort_key(version)), ModelVersion)

    def of_family(self, family: str) -> list[ModelVersion]:
        """Oldest first."""
        return self.table.query(f"MODEL#{family}", ModelVersion, sk_prefix=VERSION_SK_PREFIX)

    def for_job(self, job_arn: str) -> ModelVersion | None:
        pointer = self.table.get_item(key(f"JOB#{job_arn}", "VERSION"))
        if pointer is None:
            return None
        return self.get(str(pointer["family"]), int(pointer["version"]))

    def register(
        self,
        family: str,
        job_arn: str,
        build: Callable[[int], ModelVersion],
        *,
        writer: str | None = None,
    ) -> tuple[ModelVersion, bool]:
        """Allocate the next version of ``family`` for ``job_arn`` and store it.

        One transaction: the counter moves from N-1 to N (condition), the version item
        and the by-job item are created (condition: absent). A lost race is retried with
        the next number; a job that is registered already gets its version back
        (``created`` is ``False``). With ``writer`` (the registering pipeline) the family
        item is part of the transaction: claimed for ``writer`` when it has no owner yet,
        else the condition is that ``writer`` owns it or is one of its ``writers``.

        Raises
        ------
        ForbiddenError
            The family belongs to another pipeline that does not list ``writer``.
        TransientError
            Contention did not settle after a few attempts.
        """
        for attempt in range(VERSION_ATTEMPTS):
            existing = self.for_job(job_arn)
            if existing is not None:
                return existing, False
            last = self.last_number(family)
            version = build(last + 1)
            if version.family != family or version.version != last + 1:
                raise ValueError("build() must return the version it was given for the family")
            counter = TxUpdate(
                key(f"MODEL#{family}", "COUNTER"),
                Update(set={"last": last + 1, "updatedAt": version.registered_at}),
                condition=Attr("last").not_exists() if last == 0 else Attr("last").eq(last),
            )
            version_item = {
                **key(f"MODEL#{family}", version_sort_key(version.version)),
                **version.item(),
            }
            by_job = {
                **key(f"JOB#{job_arn}", "VERSION"),
                "family": family,
                "version": version.version,
            }
            claim = (
                [self._claim_in_transaction(family, writer, at=version.registered_at)]
                if writer is not None
                else []
            )
            try:
                self.table.transact(
                    *claim,
                    counter,
                    TxPut(version_item, condition=Attr("PK").not_exists()),
                    TxPut(by_job, condition=Attr("PK").not_exists()),
                )
            except TransactionCancelled as exc:
                if writer is not None and exc.condition_failed_at(0):
                    refuse_family(self.table, family, writer)
                # Someone registered this job, or took number N first: look again.
                time.sleep(min(0.05 * 2**attempt, 1.0))
                continue
            return version, True
        raise TransientError(
            f"could not allocate a version of {family} for {job_arn} after "
            f"{VERSION_ATTEMPTS} attempts (other registrations kept winning); retry later"
        )

    # -- families ----------------------------------------------------------------------------
    def get_family(self, family: str) -> FamilyInfo | None:
        return self.table.get(family_key(family), FamilyInfo)

    def families(self) -> list[FamilyInfo]:
        """Every family item (family, owner, deployment), by name."""
        return self.table.query("FAMILIES", FamilyInfo, sk_prefix="FAMILY#")

    def put_family(self, family: str, *, at: str, deployment_arn: str | None = None) -> None:
        """Create or touch the family item; set its deployment when given ("" removes it)."""
        changes: dict[str, Any] = {"family": family, "updatedAt": at}
        if deployment_arn is not None:
            changes["deploymentArn"] = deployment_arn or None  # "": removed
        self.table.update(family_key(family), Update(set=changes, if_absent={"createdAt": at}))

    def _claim_in_transaction(self, family: str, pipeline: str, *, at: str) -> TxUpdate:
        """The transaction item that claims ``family`` for ``pipeline`` when it has no owner,
        on condition that ``pipeline`` may write to it."""
        return TxUpdate(
            family_key(family),
            Update(
                set={"family": family, "updatedAt": at},
                if_absent={"owner": pipeline, "createdAt": at},
            ),
            condition=may_write(pipeline),
        )

    def claim_family(
        self, family: str, pipeline: str, *, at: str, writers: tuple[str, ...] = ()
    ) -> FamilyInfo:
        """Claim ``family`` for ``pipeline`` (first come) and, as its owner, store the
        pipelines it shares the family with (``writers``, from the owner's spec: a list
        that shrinks takes the share back). Another pipeline's family is left unchanged.

        Returns the family as it is now (read its ``owner``).
        """
        outcome = self.table.write(
            family_key(family),
            FamilyInfo,
            update=Update(
                set={"family": family, "writers": list(writers), "updatedAt": at},
                if_absent={"owner": pipeline, "createdAt": at},
            ),
            condition=Attr("owner").not_exists() | Attr("owner").eq(pipeline),
        )
        found = outcome.item
        if found is None:
            raise TransientError(f"family {family} changed while being claimed")
        return found

    def check_family_writer(self, family: str, pipeline: str) -> None:
        """Raise :class:`ForbiddenError` unless ``pipeline`` may write to ``family``."""
        found = self.get_family(family)
        if found is not None and not found.may_write(pipeline):
            message, fix = family_owner_problem(family, str(found.owner), pipeline)
            raise ForbiddenError(message, fix=fix)
