"""A run's timeline: the workflow's states (execution history) and Bedrock's sub-stages.

Pure: takes the history events (``GetExecutionHistory``, oldest first), the run's own steps,
the job item and, when known, Bedrock's ``statusDetails``.

:class:`HistoryReader` decides what each visit of a state came to; the API's timeline and the
local cloud's live view (``bedrock-tuner local up`` / ``make demo``) both use it, so they agree:
a state whose last task attempt failed is *failed* even when a ``Catch`` moved the execution on
(the history has ``TaskFailed`` then ``TaskStateExited``); a retry that succeeds makes it *done*.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bedrock_tuner.api.models import StageEntry, TimelineEntry
from bedrock_tuner.pipeline.runs import Step

__all__ = ["STAGES", "HistoryReader", "StateVisit", "build_timeline", "short_cause"]

# statusDetails member -> the job item's stage name
STAGES = {
    "validationDetails": "validation",
    "dataProcessingDetails": "dataProcessing",
    "trainingDetails": "training",
}
_FAILED = ("Failed", "TimedOut", "Aborted")
_EXECUTION_END = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
)
_DETAIL_MAX = 200


def short_cause(cause: Any, limit: int = _DETAIL_MAX) -> str:
    """A failure's cause on one line: a Lambda error's ``errorMessage`` rather than its JSON."""
    if not cause:
        return ""
    text = str(cause)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "errorMessage" in doc:
        text = str(doc["errorMessage"])
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    found = [v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, Mapping)]
    return found[0] if found else {}


@dataclass
class StateVisit:
    """One visit of a state: entered, then exited (or still open)."""

    name: str
    kind: str  # the state type: Task, Choice, Wait, Pass, Succeed, Fail, Map, Parallel
    entered_at: Any = None
    exited_at: Any = None
    status: Literal["running", "done", "failed"] = "running"
    error: str | None = None
    cause: str = ""
    retrying: bool = False  # the last attempt failed and the task was scheduled again

    @property
    def failure(self) -> str | None:
        """``error: cause`` of the last failed attempt (None when the last attempt did not fail)."""
        if self.error is None:
            return None
        return f"{self.error}: {self.cause}" if self.cause else self.error

    @property
    def detail(self) -> str | None:
        failure = self.failure
        if failure is None:
            return None
        text = f"retrying after {failure}" if self.retrying else failure
        return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


class HistoryReader:
    """Folds execution history events, oldest first, into :class:`StateVisit` s.

    Feed it the whole history or page by page (the live view); :meth:`feed` returns the visit an
    event concerns, if any. A visit is ``done`` when its state exits after its last task attempt
    succeeded (or had no task), ``failed`` when the last attempt failed (whether a ``Catch``
    moved on or the execution ended), and ``running`` until then.
    """

    def __init__(self) -> None:
        self.visits: list[StateVisit] = []
        self._open: dict[str, StateVisit] = {}

    def feed(self, event: Mapping[str, Any]) -> StateVisit | None:
        kind = str(event.get("type", ""))
        at = event.get("timestamp")
        if kind.endswith("StateEntered"):
            name = str(_details(event).get("name", kind))
            visit = StateVisit(name=name, kind=kind.removesuffix("StateEntered"), entered_at=at)
            self.visits.append(visit)
            self._open[name] = visit
            return visit
        if kind.endswith("StateExited"):
            name = str(_details(event).get("name", kind))
            exiting = self._open.pop(name, None)
            if exiting is None:  # entered before the page we were given
                exiting = StateVisit(name=name, kind=kind.removesuffix("StateExited"))
                self.visits.append(exiting)
            exiting.exited_at = at
            exiting.retrying = False
            exiting.status = "failed" if exiting.error is not None else "done"
            return exiting
        if kind in _EXECUTION_END:
            if kind == "ExecutionSucceeded":
                return None
            details = _details(event)
            for visit in self._open.values():
                visit.retrying = False
                visit.status = "failed"
                if visit.error is None:
                    visit.error = str(details.get("error") or kind)
                    visit.cause = short_cause(details.get("cause"))
            return None
        current = self._current()
        if current is None:
            return None
        if kind.endswith(_FAILED):
            details = _details(event)
            current.error = str(details.get("error") or kind)
            current.cause = short_cause(details.get("cause"))
            current.retrying = False
            current.status = "failed"
            return current
        if kind.endswith("Scheduled") and current.error is not None:
            current.retrying = True  # a Retry: the state is running again
            current.status = "running"
            return current
        if kind.endswith("Succeeded"):
            current.error, current.cause, current.retrying = None, "", False
            current.status = "running"
            return current
        return None

    def _current(self) -> StateVisit | None:
        return next(reversed(self._open.values()), None)


def _iso(stamp: Any) -> str | None:
    """History timestamps: ISO text from the adapter, ``datetime`` straight from boto3."""
    if stamp is None or isinstance(stamp, str):
        return stamp
    return str(stamp.isoformat()) if isinstance(stamp, datetime) else str(stamp)


def _state_entries(history: Sequence[Mapping[str, Any]]) -> list[TimelineEntry]:
    reader = HistoryReader()
    for event in history:
        reader.feed(event)
    return [
        TimelineEntry(
            name=visit.name,
            kind="state",
            status=visit.status,
            entered_at=_iso(visit.entered_at),
            exited_at=_iso(visit.exited_at),
            detail=visit.detail,
        )
        for visit in reader.visits
    ]


def _stages(job: Mapping[str, Any] | None, details: Mapping[str, Any] | None) -> list[StageEntry]:
    stored: Mapping[str, str] = (job or {}).get("stages") or {}
    stages: list[StageEntry] = []
    for member, name in STAGES.items():
        live = (details or {}).get(member) or {}
        status = live.get("status") or stored.get(name)
        if status is None:
            continue
        stages.append(
            StageEntry(
                name=name,
                status=status,
                started_at=live.get("creationTime"),
                updated_at=live.get("lastModifiedTime"),
            )
        )
    return stages


def build_timeline(
    *,
    history: Sequence[Mapping[str, Any]],
    steps: Sequence[Step],
    job: Mapping[str, Any] | None = None,
    job_details: Mapping[str, Any] | None = None,
) -> list[TimelineEntry]:
    """States with entered/exited times; the job's sub-stages on "Wait for the job".

    Without an execution history (a spec error, or history gone after 90 days), the run's
    own recorded steps stand in. The job's sub-stages go on the "Wait for the job" state, or
    on a ``job`` entry of their own when that state is not in the history.
    """
    entries = _state_entries(history)
    if not entries:
        entries = [
            TimelineEntry(
                name=step.name,
                kind="step",
                status=step.status,
                entered_at=step.at,
                detail=step.detail,
            )
            for step in steps
        ]
    if job is None:
        return entries
    stages = _stages(job, job_details)
    for index, entry in enumerate(entries):
        if entry.kind == "state" and entry.name == "Wait for the job":
            entries[index] = entry.model_copy(
                update={"stages": stages, "detail": job.get("jobArn")}
            )
            return entries
    entries.append(
        TimelineEntry(
            name="Bedrock customization job",
            kind="job",
            status=str(job.get("status", "")),
            entered_at=job.get("startedAt"),
            exited_at=job.get("updatedAt") if job.get("statusRank") == 2 else None,
            detail=job.get("failureMessage") or job.get("jobArn"),
            stages=stages,
        )
    )
    return entries
