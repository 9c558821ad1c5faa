"""A run's timeline: the workflow's states (execution history) and Bedrock's sub-stages.

Pure: takes the history events (``GetExecutionHistory``, oldest first), the run's own steps,
the job item and, when known, Bedrock's ``statusDetails``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_tuner.api.models import StageEntry, TimelineEntry
from bedrock_tuner.pipeline.runs import Step

__all__ = ["STAGES", "build_timeline"]

# statusDetails member -> the job item's stage name
STAGES = {
    "validationDetails": "validation",
    "dataProcessingDetails": "dataProcessing",
    "trainingDetails": "training",
}
_FAILED = ("Failed", "TimedOut", "Aborted")


def _state_entries(history: Sequence[Mapping[str, Any]]) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    open_: dict[str, int] = {}
    for event in history:
        kind = str(event.get("type", ""))
        at = event.get("timestamp")
        if kind.endswith("StateEntered"):
            name = str((event.get("stateEnteredEventDetails") or {}).get("name", kind))
            open_[name] = len(entries)
            entries.append(TimelineEntry(name=name, kind="state", status="running", entered_at=at))
        elif kind.endswith("StateExited"):
            name = str((event.get("stateExitedEventDetails") or {}).get("name", kind))
            index = open_.pop(name, None)
            if index is None:
                entries.append(TimelineEntry(name=name, kind="state", status="done", exited_at=at))
            else:
                entry = entries[index]
                entries[index] = entry.model_copy(update={"status": "done", "exited_at": at})
        elif kind.endswith(_FAILED) and open_:
            name, index = list(open_.items())[-1]
            found = [v for k, v in event.items() if k.endswith("EventDetails") and v]
            details: Mapping[str, Any] = found[0] if found else {}
            entries[index] = entries[index].model_copy(
                update={
                    "status": "failed",
                    "detail": details.get("error") or details.get("cause"),
                }
            )
    return entries


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
