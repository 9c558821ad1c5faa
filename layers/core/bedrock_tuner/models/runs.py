"""The run record (``PK=RUN#<runId>, SK=RUN``): its status, timeline and dataset.

A run is identified by the object that started it (:mod:`bedrock_tuner.pipeline.runs` derives
the id); this module holds what the state table stores and the workflow passes around.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.clock import iso, utc_now

__all__ = [
    "EXECUTION_NAME_MAX",
    "NOTIFICATION_PENDING",
    "TERMINAL_RUN_STATUSES",
    "DatasetRef",
    "Run",
    "RunStatus",
    "Step",
    "execution_name_for",
]

EXECUTION_NAME_MAX = 80
_EXECUTION_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
NOTIFICATION_PENDING = "pending"
"""A run's ``notifications[kind]`` while a notification is claimed but not yet sent."""


def execution_name_for(pipeline: str, run_id: str) -> str:
    """``<pipeline>-<run_id>``, at most 80 characters (the pipeline part is cut if needed)."""
    safe = _EXECUTION_NAME_CHARS.sub("-", pipeline)
    room = EXECUTION_NAME_MAX - len(run_id) - 1
    return f"{safe[:room]}-{run_id}"


class RunStatus(enum.StrEnum):
    """Where a run stands. Terminal: SUCCEEDED, FAILED, INVALID, OVER_BUDGET, REJECTED,
    SPEC_ERROR (the last one never started an execution)."""

    RECEIVED = "RECEIVED"  # recorded, execution started
    SPEC_ERROR = "SPEC_ERROR"
    VALIDATING = "VALIDATING"
    VALIDATED = "VALIDATED"
    INVALID = "INVALID"
    OVER_BUDGET = "OVER_BUDGET"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    TRAINING = "TRAINING"
    TRAINED = "TRAINED"
    REGISTERED = "REGISTERED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


TERMINAL_RUN_STATUSES = frozenset(
    {
        RunStatus.SUCCEEDED,
        RunStatus.FAILED,
        RunStatus.INVALID,
        RunStatus.OVER_BUDGET,
        RunStatus.REJECTED,
        RunStatus.SPEC_ERROR,
    }
)


class _Record(BaseModel):
    """Stored with camelCase attribute names (``runId``, ``executionArn``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)

    def item(self) -> dict[str, Any]:
        """The attributes to store (camelCase, ``None`` left out)."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class DatasetRef(_Record):
    """The object that started a run (the execution input's ``dataset``)."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str = ""
    size: int | None = None
    sha256: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_input(self) -> dict[str, Any]:
        """The execution input's ``dataset`` (camelCase, as docs/pipeline.md shows)."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "versionId": self.version_id,
            "etag": self.etag,
            "size": self.size,
        }


class Step(_Record):
    """One entry of a run's timeline."""

    name: str
    status: str
    at: str
    detail: str | None = None


class Run(_Record):
    """The run item (``PK=RUN#<run_id>, SK=RUN``) without its keys."""

    run_id: str
    pipeline: str
    dataset: DatasetRef
    status: RunStatus = RunStatus.RECEIVED
    created_at: str
    updated_at: str
    steps: list[Step] = Field(default_factory=list)
    execution_arn: str | None = None
    spec: dict[str, Any] | None = None
    validation: dict[str, Any] | None = None
    cost_usd: float | None = None
    job_arn: str | None = None
    version: int | None = None
    family: str | None = None
    error: dict[str, Any] | None = None
    outcome: str | None = None  # the last notification kind (the run's end, for most)
    notifications: dict[str, str] = Field(default_factory=dict)  # kind -> SNS message id
    # retries of an object version whose run ended before any job (docs/pipeline.md)
    attempt: int = 1
    retry_of: str | None = None  # the run this one retries
    retried_by: str | None = None  # the run that retried this one
    latest_run_id: str | None = None  # on the object's first run: its newest attempt
    stop_requested: dict[str, Any] | None = None  # {by, reason, at}: POST /runs/{id}/stop
    job: dict[str, Any] | None = None  # the start step's output (jobArn, jobName, outputUri …)
    job_status: str | None = None  # the Bedrock job's last known status
    output_model_arn: str | None = None  # the custom model the job produced, if any
    started_by: str | None = None  # the IAM principal that started it (POST /runs)
    uploaded_by: str | None = None  # the S3 event's requester: an account id, not a person

    def with_step(
        self, name: str, status: str, *, at: str | None = None, detail: str | None = None
    ) -> Run:
        """A copy with one more timeline entry."""
        step = Step(name=name, status=status, at=at or iso(utc_now()), detail=detail)
        return self.model_copy(update={"steps": [*self.steps, step], "updated_at": step.at})

    @property
    def execution_name(self) -> str:
        return execution_name_for(self.pipeline, self.run_id)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @property
    def retriable(self) -> bool:
        """Ended before any Bedrock job started (nothing was trained or billed): a new run
        on the same object may try again once the cause is fixed."""
        return self.terminal and self.status != RunStatus.SUCCEEDED and self.job_arn is None
