"""Bedrock customization jobs as the pipeline follows them: statuses, their order, outcomes.

Bedrock's EventBridge events are best effort and may arrive late, twice or out of order;
the reconciler polls the same facts. Both feed :class:`JobState` into one code path
(:func:`bedrock_tuner.pipeline.service.apply_job_state`), which never moves a job
backwards: a status only replaces one of a lower :func:`status_rank`, or of the same rank
with an older or equal time; terminal states are final.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "STAGE_NAMES",
    "JobState",
    "JobStatus",
    "is_terminal",
    "job_result_payload",
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


def job_result_payload(state: JobState) -> dict[str, Any]:
    """What ``Wait for the job`` resumes with (``$.jobResult``, docs/pipeline.md)."""
    return {
        "status": state.status,
        "failureMessage": state.failure_message,
        "outputModelArn": state.output_model_arn,
        "trainingLoss": state.training_loss,
        "validationLoss": state.validation_loss,
    }
