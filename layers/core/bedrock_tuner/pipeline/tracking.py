"""Bedrock customization jobs as the pipeline follows them: what a job's end resumes with.

The statuses, their order and the job item are :mod:`bedrock_tuner.models.jobs` (re-exported
here); both Bedrock's events and the reconciler's polls feed a :class:`JobState` into
:func:`bedrock_tuner.pipeline.training.apply_job_state`, which never moves a job backwards.
"""

from __future__ import annotations

from typing import Any

from bedrock_tuner.models.jobs import STAGE_NAMES, JobState, JobStatus, is_terminal, status_rank

__all__ = [
    "STAGE_NAMES",
    "JobState",
    "JobStatus",
    "is_terminal",
    "job_result_payload",
    "status_rank",
]


def job_result_payload(state: JobState) -> dict[str, Any]:
    """What ``Wait for the job`` resumes with (``$.jobResult``, docs/pipeline.md)."""
    return {
        "status": state.status,
        "failureMessage": state.failure_message,
        "outputModelArn": state.output_model_arn,
        "trainingLoss": state.training_loss,
        "validationLoss": state.validation_loss,
    }
