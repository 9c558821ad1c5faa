"""The approvals store: approval items (``RUN#<runId>/APPROVAL``), decided once.

A pending approval is in ``GSI2`` (``APPROVAL#PENDING``, oldest first); deciding or expiring
it takes it out in the same write (docs/table-design.md).
"""

from __future__ import annotations

from typing import Any

from bedrock_tuner.aws.store.table import Attr, Table, Update, key
from bedrock_tuner.errors import ConflictError, RunNotFoundError, TransientError
from bedrock_tuner.models.approvals import ApprovalRecord

__all__ = ["APPROVAL_PENDING", "DynamoApprovalStore"]

APPROVAL_PENDING = "APPROVAL#PENDING"  # GSI2: approvals waiting for a person
_INDEX = ("GSI2PK", "GSI2SK")


def _approval_key(run_id: str) -> dict[str, str]:
    return key(f"RUN#{run_id}", "APPROVAL")


class DynamoApprovalStore:
    """Approvals in the state table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, run_id: str) -> ApprovalRecord | None:
        return self.table.get(_approval_key(run_id), ApprovalRecord)

    def pending(self) -> list[ApprovalRecord]:
        """Oldest request first."""
        return self.table.query(APPROVAL_PENDING, ApprovalRecord, index="GSI2")

    def request(
        self,
        run_id: str,
        *,
        token: str,
        cost_usd: float | None,
        requested_at: str,
        pipeline: str,
        why: str | None = None,
    ) -> ApprovalRecord:
        """Store a pending approval with its task token (a retry replaces the token).

        If the run was already decided, the stored decision is returned unchanged.
        """
        changes: dict[str, Any] = {
            "taskToken": token,
            "requestedAt": requested_at,
            "status": "PENDING",
            "GSI2PK": APPROVAL_PENDING,
            "GSI2SK": f"{requested_at}#{run_id}",
            "runId": run_id,
            "pipeline": pipeline,
        }
        if cost_usd is not None:
            changes["costUsd"] = cost_usd
        if why:
            changes["why"] = why
        outcome = self.table.write(
            _approval_key(run_id),
            ApprovalRecord,
            update=Update(set=changes),
            condition=Attr("PK").not_exists() | Attr("status").eq("PENDING"),
        )
        found = outcome.item
        if found is None:
            raise TransientError(f"approval of {run_id} changed while being stored")
        return found

    def decide(
        self,
        run_id: str,
        *,
        approved: bool,
        by: str,
        reason: str | None,
        decided_at: str,
    ) -> ApprovalRecord:
        """Record the decision of a pending approval (once), as not yet delivered.

        The same decision by the same principal again, while its resume was not delivered
        (``delivered = false``: the resume failed for a moment), returns the recorded
        decision so the caller resumes again.

        Raises
        ------
        RunNotFoundError
            No approval was requested for the run.
        ConflictError
            It was decided already (or expired).
        """
        status = "APPROVED" if approved else "REJECTED"
        changes: dict[str, Any] = {
            "status": status,
            "decidedBy": by,
            "decidedAt": decided_at,
            "delivered": False,
        }
        if reason:
            changes["reason"] = reason
        outcome = self.table.write(
            _approval_key(run_id),
            ApprovalRecord,
            update=Update(set=changes, remove=_INDEX),
            condition=Attr("status").eq("PENDING"),
        )
        current = outcome.item
        if current is None:
            raise RunNotFoundError(
                f"run {run_id} is not waiting for approval",
                fix="list waiting runs with `bedrock-tuner approvals list`",
            )
        if outcome.written:
            return current
        if current.status == status and current.decided_by == by and current.delivered is False:
            return current  # the same decision, its resume not delivered yet: resume again
        raise ConflictError(
            f"run {run_id} was already {current.status.lower()}"
            + (f" by {current.decided_by}" if current.decided_by else "")
            + (f" at {current.decided_at}" if current.decided_at else ""),
            fix="nothing to do; upload the dataset again to start a new run",
        )

    def mark_delivered(self, run_id: str) -> None:
        """The decision reached the waiting workflow (``delivered = true``)."""
        self.table.update(
            _approval_key(run_id),
            Update(set={"delivered": True}),
            condition=Attr("PK").exists(),
        )

    def expire(self, run_id: str, *, only_pending: bool = False) -> bool:
        """The waiting task is gone (timed out, the execution ended, the run was stopped):
        the approval stops being pending. ``only_pending`` leaves a decided one alone.
        Returns whether the record changed."""
        update = Update(set={"status": "EXPIRED"}, remove=_INDEX)
        if not only_pending:
            self.table.update(_approval_key(run_id), update)
            return True
        return self.table.write(
            _approval_key(run_id),
            ApprovalRecord,
            update=update,
            condition=Attr("status").eq("PENDING"),
            reread=False,
        ).written
