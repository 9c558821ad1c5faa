"""The jobs store: Bedrock job items (``JOB#<jobArn>/JOB``) and the job slots
(``SLOTS/BEDROCK``).

A job is in ``GSI2`` as ``JOB#INFLIGHT`` until it is terminal, then as ``JOB#ENDED`` until
its waiting workflow was resumed (or the reconciler settled it). Every state goes through
one conditional update that never moves a job backwards (docs/table-design.md, "A job never
moves backwards").
"""

from __future__ import annotations

from typing import Any

from bedrock_tuner.aws.store.table import Attr, Table, Update, key
from bedrock_tuner.errors import TransientError
from bedrock_tuner.models.jobs import (
    TERMINAL_RANK,
    JobRecord,
    JobState,
    JobStatus,
    JobUpdate,
    is_terminal,
    status_rank,
)

__all__ = ["ENDED", "INFLIGHT", "SLOTS_KEY", "DynamoJobStore"]

INFLIGHT = "JOB#INFLIGHT"  # GSI2: jobs not yet terminal
ENDED = "JOB#ENDED"  # GSI2: terminal, its workflow not yet resumed (or settled by the reconciler)
SLOTS_KEY = key("SLOTS", "BEDROCK")  # the workflow acquires and releases slots itself (ASL)
_INDEX = ("GSI2PK", "GSI2SK")


def _job_key(job_arn: str) -> dict[str, str]:
    return key(f"JOB#{job_arn}", "JOB")


class DynamoJobStore:
    """Jobs and job slots in the state table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, job_arn: str) -> JobRecord | None:
        return self.table.get(_job_key(job_arn), JobRecord)

    def inflight(self) -> list[JobRecord]:
        """Jobs not yet terminal, oldest first (GSI2 ``JOB#INFLIGHT``)."""
        return self.table.query(INFLIGHT, JobRecord, index="GSI2")

    def ended(self) -> list[JobRecord]:
        """Terminal jobs whose workflow was not resumed yet (GSI2 ``JOB#ENDED``)."""
        return self.table.query(ENDED, JobRecord, index="GSI2")

    def put(
        self,
        *,
        job_arn: str,
        job_name: str | None,
        run_id: str,
        started_at: str,
        status: str = JobStatus.IN_PROGRESS,
    ) -> JobRecord:
        """Record a started job (in flight until terminal); keep an existing record."""
        item: dict[str, Any] = {
            "jobArn": job_arn,
            "jobName": job_name,
            "runId": run_id,
            "status": status,
            "statusRank": status_rank(status),
            "startedAt": started_at,
            "updatedAt": started_at,
        }
        if not is_terminal(status):
            item["GSI2PK"] = INFLIGHT
            item["GSI2SK"] = f"{started_at}#{job_arn}"
        outcome = self.table.write(
            _job_key(job_arn), JobRecord, put=item, condition=Attr("PK").not_exists()
        )
        found = outcome.item
        if found is None:
            raise TransientError(f"job {job_arn} changed while being recorded")
        return found

    def attach_token(
        self, job_arn: str, *, token: str, execution_arn: str | None
    ) -> JobRecord | None:
        """Store the workflow's task token with the job; ``None`` if the job is unknown.

        The returned record is the state *after* the write, so a terminal state that an
        event stored just before is seen here (and a later event sees the token).
        """
        changes = {"taskToken": token, "executionArn": execution_arn or None}
        outcome = self.table.write(
            _job_key(job_arn),
            JobRecord,
            update=Update(set={k: v for k, v in changes.items() if v is not None}),
            condition=Attr("PK").exists(),
            reread=False,
        )
        return outcome.item

    def apply_state(self, state: JobState, *, event_id: str | None) -> JobUpdate:
        """Move the job to ``state`` unless that would move it backwards.

        Applied when the job exists, ``event_id`` was not seen before, and the new status
        ranks higher, or ranks the same (not terminal) and is not older. Terminal states
        are final. A terminal job leaves the in-flight index for the ended one.
        """
        rank = status_rank(state.status)
        optional = {
            "jobName": state.job_name,
            "failureMessage": state.failure_message,
            "outputModelArn": state.output_model_arn,
            "trainingLoss": state.training_loss,
            "validationLoss": state.validation_loss,
            "stages": state.stages or None,
        }
        changes: dict[str, Any] = {
            "status": state.status,
            "statusRank": rank,
            "lastEventTime": state.observed_at,
            "updatedAt": state.observed_at,
            **{name: value for name, value in optional.items() if value is not None},
        }
        if rank >= TERMINAL_RANK:
            # out of the in-flight index, into the ended one until its workflow is resumed
            changes |= {"GSI2PK": ENDED, "GSI2SK": f"{state.observed_at}#{state.job_arn}"}
        newer = Attr("statusRank").lt(rank) | (
            Attr("statusRank").eq(rank)
            & Attr("statusRank").lt(TERMINAL_RANK)
            & (Attr("lastEventTime").not_exists() | Attr("lastEventTime").lte(state.observed_at))
        )
        condition = Attr("PK").exists() & newer
        if event_id:
            condition &= Attr("seenEventIds").not_exists() | ~Attr("seenEventIds").contains(
                event_id
            )
        outcome = self.table.write(
            _job_key(state.job_arn),
            JobRecord,
            update=Update(set=changes, add={"seenEventIds": {event_id}} if event_id else {}),
            condition=condition,
        )
        current = outcome.item
        if outcome.written:
            return JobUpdate(applied=True, reason="applied", job=current)
        if current is None:
            return JobUpdate(applied=False, reason="unknown_job")
        duplicate = event_id is not None and event_id in current.seen_event_ids
        return JobUpdate(applied=False, reason="duplicate" if duplicate else "stale", job=current)

    def mark_resumed(self, job_arn: str, *, at: str, delivered: bool) -> None:
        """The ended job's waiting task was resumed (``delivered``), or was gone: either
        way the job leaves the ended index."""
        self.table.update(
            _job_key(job_arn),
            Update(set={"resumedAt": at, "resumeDelivered": delivered}, remove=_INDEX),
        )

    def settle(self, job_arn: str, *, at: str, note: str) -> None:
        """An ended job whose workflow will never be resumed (its execution ended): the
        reconciler recorded the outcome on the run; the job leaves the ended index."""
        self.table.update(
            _job_key(job_arn),
            Update(
                set={"settledAt": at, "settledNote": note, "resumeDelivered": False},
                remove=_INDEX,
            ),
        )

    def mark_stop_requested(self, job_arn: str, *, at: str) -> None:
        self.table.update(
            _job_key(job_arn),
            Update(if_absent={"stopRequestedAt": at}),
            condition=Attr("PK").exists(),
        )

    # -- job slots ---------------------------------------------------------------------------
    def slot_holders(self) -> list[str]:
        """Execution names holding a Bedrock job slot (the workflow acquires/releases)."""
        item = self.table.get_item(SLOTS_KEY)
        holders = (item or {}).get("holders") or []
        return [str(holder) for holder in holders]

    def release_slot(self, holder: str) -> None:
        """Drop ``holder`` from the slot set (idempotent)."""
        self.table.update(SLOTS_KEY, Update(delete={"holders": {holder}}))
