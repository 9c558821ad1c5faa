"""Bedrock customization jobs as the pipeline follows them: statuses, their order, and the
job item (``PK=JOB#<jobArn>, SK=JOB``).

Bedrock's EventBridge events are best effort and may arrive late, twice or out of order;
the reconciler polls the same facts. Both feed :class:`JobState` into one conditional write
(the job store's ``apply_state``), which never moves a job backwards: a status only replaces
one of a lower :func:`status_rank`, or of the same rank with an older or equal time; terminal
states are final.
"""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "STAGE_NAMES",
    "TERMINAL_RANK",
    "JobRecord",
    "JobState",
    "JobStatus",
    "JobUpdate",
    "is_terminal",
    "status_rank",
]


class JobStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"


_RANK = {
    JobStatus.IN_PROGRESS: 0,
    JobStatus.STOPPING: 1,
    JobStatus.COMPLETED: 2,
    JobStatus.FAILED: 2,
    JobStatus.STOPPED: 2,
}
TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED})
TERMINAL_RANK = 2
"""The rank of Completed, Failed and Stopped (:func:`status_rank`): final."""

STAGE_NAMES = {
    "validationDetails": "validation",
    "dataProcessingDetails": "dataProcessing",
    "trainingDetails": "training",
}
"""Bedrock's ``statusDetails`` members and the stage names the job item uses."""


def status_rank(status: str) -> int:
    """0 in progress, 1 stopping, 2 terminal (unknown statuses count as in progress)."""
    try:
        return _RANK[JobStatus(status)]
    except ValueError:
        return 0


def is_terminal(status: str | None) -> bool:
    return status in TERMINAL


class JobState(BaseModel):
    """What is known about a job at ``observed_at`` (from an event or a poll)."""

    model_config = ConfigDict(frozen=True)

    job_arn: str
    job_name: str | None = None
    status: str
    failure_message: str | None = None
    output_model_arn: str | None = None
    stages: dict[str, str] = Field(default_factory=dict)
    training_loss: float | None = None
    validation_loss: float | None = None
    observed_at: str  # ISO time of the fact (event time or Bedrock's lastModifiedTime)

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)

    @classmethod
    def from_bedrock(cls, job: dict[str, Any], *, observed_at: str) -> JobState:
        """From a ``GetModelCustomizationJob`` response."""
        status = str(job.get("status", JobStatus.IN_PROGRESS))
        stages: dict[str, str] = {}
        details = job.get("statusDetails") or {}
        for member, name in STAGE_NAMES.items():
            stage = details.get(member) or {}
            if stage.get("status"):
                stages[name] = str(stage["status"])
        validation = [
            float(item["validationLoss"])
            for item in job.get("validationMetrics") or []
            if isinstance(item, dict) and item.get("validationLoss") is not None
        ]
        training = (job.get("trainingMetrics") or {}).get("trainingLoss")
        return cls(
            job_arn=str(job["jobArn"]),
            job_name=job.get("jobName"),
            status=status,
            # only a failed job has a meaningful failure message
            failure_message=job.get("failureMessage") if status == JobStatus.FAILED else None,
            output_model_arn=job.get("outputModelArn") if status == JobStatus.COMPLETED else None,
            stages=stages,
            training_loss=float(training) if training is not None else None,
            validation_loss=validation[-1] if validation else None,
            observed_at=observed_at,
        )


class _Camel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class JobRecord(_Camel):
    """The job item (``PK=JOB#<jobArn>, SK=JOB``) without its keys."""

    job_arn: str
    job_name: str | None = None
    run_id: str
    status: str = JobStatus.IN_PROGRESS
    status_rank: int = 0
    stages: dict[str, str] = Field(default_factory=dict)
    last_event_time: str | None = None
    seen_event_ids: list[str] = Field(default_factory=list)
    task_token: str | None = None
    execution_arn: str | None = None
    started_at: str | None = None
    updated_at: str | None = None
    failure_message: str | None = None
    output_model_arn: str | None = None
    training_loss: float | None = None
    validation_loss: float | None = None
    resumed_at: str | None = None
    resume_delivered: bool | None = None  # None: not resumed yet; False: the task was gone
    stop_requested_at: str | None = None

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def resume_pending(self) -> bool:
        """Ended, and its waiting task was not resumed yet."""
        return self.terminal and self.resume_delivered is None


class JobUpdate(BaseModel):
    """What applying a job state did: ``applied``, or why not."""

    applied: bool
    reason: Literal["applied", "duplicate", "stale", "unknown_job"]
    job: JobRecord | None = None
