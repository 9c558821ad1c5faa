"""The runs store: run items (``RUN#<runId>/RUN``), their timeline, retries and the one
notification per outcome (docs/table-design.md).

A run is in ``GSI1`` under its pipeline (newest first when listed) and in ``GSI2``
(``RUN#ACTIVE``) until it ends. Terminal statuses are final: a write that would change a
terminal status (or its ``error``/``outcome``) is refused by its condition, and the store
then records the rest of the write without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedrock_tuner.aws.store.table import Attr, Condition, Path, Table, Update, key
from bedrock_tuner.errors import RunNotFoundError, TransientError
from bedrock_tuner.models.runs import (
    NOTIFICATION_PENDING,
    TERMINAL_RUN_STATUSES,
    Run,
    RunStatus,
    Step,
)

__all__ = ["ACTIVE_RUNS", "DynamoRunStore"]

ACTIVE_RUNS = "RUN#ACTIVE"  # GSI2: runs not yet terminal
_TERMINAL_FIELDS = frozenset({"status", "error", "outcome"})
"""What a run's end fixes: a later writer may add facts, not rewrite the ending."""


def _run_key(run_id: str) -> dict[str, str]:
    return key(f"RUN#{run_id}", "RUN")


def _notification(kind: str) -> Path:
    """Where the run item keeps the ``kind`` notification's message id."""
    return ("notifications", kind)


class DynamoRunStore:
    """Runs in the state table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, run: Run) -> tuple[Run, bool]:
        """Store a new run; if it exists already, return the stored one and ``False``."""
        item = {
            **run.item(),
            "GSI1PK": f"PIPELINE#{run.pipeline}",
            "GSI1SK": f"{run.created_at}#{run.run_id}",
        }
        if not run.terminal:
            item["GSI2PK"] = ACTIVE_RUNS
            item["GSI2SK"] = f"{run.created_at}#{run.run_id}"
        outcome = self.table.write(
            _run_key(run.run_id), Run, put=item, condition=Attr("PK").not_exists()
        )
        if outcome.written:
            return run, True
        existing = outcome.item
        if existing is None:  # deleted in between: unlikely, and a retry settles it
            raise TransientError(f"run {run.run_id} changed while being created")
        return existing, False

    def get(self, run_id: str) -> Run | None:
        return self.table.get(_run_key(run_id), Run)

    def require(self, run_id: str) -> Run:
        run = self.get(run_id)
        if run is None:
            raise RunNotFoundError(
                f"no run {run_id}",
                fix="check the run id: `bedrock-tuner runs list` lists the runs "
                "(`--pipeline NAME` for one pipeline; GET /runs)",
            )
        return run

    def by_pipeline(self, pipeline: str, *, limit: int = 50) -> list[Run]:
        """Newest first."""
        return self.table.query(
            f"PIPELINE#{pipeline}", Run, index="GSI1", newest_first=True, limit=limit
        )

    def active(self) -> list[Run]:
        """Runs not yet terminal, oldest first (GSI2 ``RUN#ACTIVE``)."""
        return self.table.query(ACTIVE_RUNS, Run, index="GSI2")

    def claim_retry(self, origin_id: str, *, latest_id: str, new_id: str, attempt: int) -> bool:
        """Point the object's first run at ``new_id`` as its latest attempt, if
        ``latest_id`` still is (one winner when two retries of the same run race).

        Returns ``False`` when another retry claimed it first.
        """
        latest = (
            Attr("latestRunId").not_exists()
            if latest_id == origin_id
            else Attr("latestRunId").eq(latest_id)
        )
        return self.table.write(
            _run_key(origin_id),
            Run,
            update=Update(set={"latestRunId": new_id, "attempts": attempt}),
            condition=Attr("PK").exists() & latest,
            reread=False,
        ).written

    def update(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        step: Step | None = None,
        fields: Mapping[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        reopen: bool = False,
    ) -> bool:
        """Set ``status`` and ``fields`` (camelCase attribute names; ``None`` values are
        left alone), append ``step``, remove ``remove``.

        Terminal statuses are final: a run that has ended keeps its status (and its
        ``error`` and ``outcome``) unless ``reopen`` is set (``runs recover``); the other
        fields and the step are still recorded. Returns whether ``status`` was applied.

        Raises
        ------
        RunNotFoundError
            No such run.
        """
        changes = {name: value for name, value in (fields or {}).items() if value is not None}
        if status is not None:
            changes["status"] = status.value
        if step is not None:
            changes["updatedAt"] = step.at
        removed = dict.fromkeys(remove)
        if status is not None and status in TERMINAL_RUN_STATUSES:
            removed |= dict.fromkeys(("GSI2PK", "GSI2SK"))  # leaves the active-runs index
        guard = not reopen and bool(_TERMINAL_FIELDS & changes.keys())
        if self._update(run_id, changes, step, tuple(removed), guard=guard):
            return status is not None
        kept = {name: value for name, value in changes.items() if name not in _TERMINAL_FIELDS}
        self._update(run_id, kept, step, tuple(remove), guard=False)
        return False

    def _update(
        self,
        run_id: str,
        changes: Mapping[str, Any],
        step: Step | None,
        remove: tuple[str, ...],
        *,
        guard: bool,
    ) -> bool:
        """One conditional update; ``False`` when ``guard`` refused it (the run ended)."""
        if not changes and step is None and not remove:
            return True
        update = Update(
            set=changes,
            append={"steps": [step.model_dump(mode="json", exclude_none=True)]} if step else {},
            remove=remove,
        )
        condition: Condition = Attr("PK").exists()
        if guard:
            ended = sorted(status.value for status in TERMINAL_RUN_STATUSES)
            condition &= ~Attr("status").is_in(ended)
        outcome = self.table.write(_run_key(run_id), Run, update=update, condition=condition)
        if not outcome.written and outcome.raw is None:
            raise RunNotFoundError(f"no run {run_id}")
        return outcome.written

    # -- one notification per outcome (I6) --------------------------------------------------
    def claim_notification(self, run_id: str, kind: str) -> str | None:
        """Reserve the ``kind`` notification of a run before publishing it.

        Returns ``None`` when this caller claimed it (publish, then :meth:`record_notification`
        or :meth:`release_notification`), else what is stored: a message id (sent), or
        ``"pending"`` (an earlier attempt died between the claim and the record).
        """
        self.table.update(
            _run_key(run_id),
            Update(if_absent={"notifications": {}}),
            condition=Attr("PK").exists(),
        )
        outcome = self.table.write(
            _run_key(run_id),
            Run,
            update=Update(set={_notification(kind): NOTIFICATION_PENDING}),
            condition=Attr(f"notifications.{kind}").not_exists(),
        )
        if outcome.written:
            return None
        run = outcome.item
        return (run.notifications.get(kind) if run else None) or NOTIFICATION_PENDING

    def record_notification(self, run_id: str, kind: str, message_id: str) -> None:
        self.table.update(_run_key(run_id), Update(set={_notification(kind): message_id}))

    def release_notification(self, run_id: str, kind: str) -> None:
        """The publish failed: let a retry send it."""
        self.table.update(
            _run_key(run_id),
            Update(remove=[_notification(kind)]),
            condition=Attr(f"notifications.{kind}").eq(NOTIFICATION_PENDING),
        )
