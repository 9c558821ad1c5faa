"""The payloads between the workflow and the functions (docs/pipeline.md, "Payloads").

Field names are camelCase on the wire (``runId``, ``reportUri``); the models use
snake_case attributes with camelCase aliases. Execution-state models ignore keys they do
not know: the state machine adds its own (``settings``, ``notifyError`` …).
Dump with ``model_dump(by_alias=True, mode="json")``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalResult",
    "DatasetInput",
    "ExecutionInput",
    "ExecutionState",
    "JobOutput",
    "JobResult",
    "NotifyKind",
    "NotifyRequest",
    "TopProblem",
    "TrackJobRequest",
    "ValidationOutput",
    "VersionOutput",
    "WorkflowError",
]

NotifyKind = Literal[
    "invalid_dataset",
    "over_budget",
    "approval_needed",
    "approval_rejected",
    "job_failed",
    "pipeline_failed",
    "succeeded",
    "spec_error",
    "bad_dataset_key",
    "run_stopped",
    "model_not_registered",
    "waiting_for_slot",
]


class _Wire(BaseModel):
    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, alias_generator=to_camel, frozen=True
    )

    def wire(self) -> dict[str, Any]:
        """The JSON-ready payload (camelCase keys; ``None`` kept: the workflow's
        ResultSelectors need every key present)."""
        return self.model_dump(by_alias=True, mode="json")


class DatasetInput(_Wire):
    bucket: str
    key: str
    version_id: str | None = None
    etag: str = ""
    size: int | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class TopProblem(_Wire):
    code: str
    count: int
    fix: str
    example: str | None = None


class ValidationOutput(_Wire):
    """``validate_dataset``'s output, ``$.validation``."""

    valid: bool
    report_uri: str
    records: int
    validation_records: int | None = None
    training_tokens: int
    estimated_cost_usd: float | None = None
    needs_approval: bool
    over_max: bool
    top_problems: list[TopProblem] = Field(default_factory=list)
    training_uri: str | None = None
    validation_uri: str | None = None
    budget_reason: str | None = None
    dataset_sha256: str | None = None
    verdict: str | None = None
    # the report's own counts (top_problems holds only the first few codes)
    errors: int = 0
    warnings: int = 0
    error_codes: int = 0
    warning_codes: int = 0
    invalid_records: int = 0
    # a registered version of the family was trained on the very same bytes (SHA-256)
    same_data_as: int | None = None


class JobOutput(_Wire):
    """``start_customization_job``'s output, ``$.job``."""

    job_arn: str
    job_name: str
    custom_model_name: str
    output_uri: str


class JobResult(_Wire):
    """What ``Wait for the job`` resumes with, ``$.jobResult``."""

    status: str
    failure_message: str | None = None
    output_model_arn: str | None = None
    training_loss: float | None = None
    validation_loss: float | None = None


class ApprovalResult(_Wire):
    """What ``Wait for approval`` resumes with when approved, ``$.approval``."""

    approved: bool
    by: str
    reason: str | None = None


class VersionOutput(_Wire):
    """``register_model_version``'s output, ``$.version``."""

    family: str
    version: int
    model_arn: str
    metrics: dict[str, Any] = Field(default_factory=dict)
    # auto-promotion's outcome (``promotion: auto_if_better`` only; null otherwise). Always
    # present: the workflow's ResultSelector needs every key.
    promotion: dict[str, Any] | None = None


class WorkflowError(BaseModel):
    """``$.error`` as a Catch writes it: ``{"Error": name, "Cause": text}``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    error: str = Field(default="", alias="Error")
    cause: str | None = Field(default=None, alias="Cause")

    def cause_message(self) -> str:
        """The readable part of the cause (a Lambda error's cause is JSON with
        ``errorMessage``; a task failure's cause is plain text)."""
        text = (self.cause or "").strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                return text
            if isinstance(parsed, dict):
                return str(parsed.get("errorMessage") or parsed.get("message") or text)
        return text

    def error_type(self) -> str:
        """The error name (a Lambda's ``errorType`` when the Catch wrapped it)."""
        text = (self.cause or "").strip()
        if self.error in {"States.TaskFailed", ""} and text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                return self.error
            if isinstance(parsed, dict) and parsed.get("errorType"):
                return str(parsed["errorType"])
        return self.error


class ExecutionInput(_Wire):
    """What ``on_dataset_uploaded`` starts the execution with."""

    run_id: str
    pipeline: str
    dataset: DatasetInput
    spec: dict[str, Any]


class ExecutionState(ExecutionInput):
    """The execution state ``$`` as the task functions receive it."""

    validation: ValidationOutput | None = None
    approval: ApprovalResult | None = None
    job: JobOutput | None = None
    job_result: JobResult | None = None
    version: VersionOutput | None = None
    error: WorkflowError | None = None
    slot_wait: dict[str, Any] | None = None  # {waitedSeconds}: the slot queue's own counter


class ApprovalRequest(_Wire):
    """``request_approval``'s input: ``{token: $$.Task.Token, run: $}``."""

    token: str
    run: ExecutionState


class ApprovalDecision(_Wire):
    """A decision on a waiting run (``POST /approvals/{run_id}``; ``by`` is the caller's
    authenticated IAM principal, never a name from the request body)."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=to_camel, frozen=True
    )

    run_id: str = Field(min_length=2)
    decision: Literal["approve", "reject"]
    by: str = Field(min_length=1, max_length=2048)  # an IAM ARN (a user path may be long)
    reason: str | None = Field(default=None, max_length=2000)


class TrackJobRequest(_Wire):
    """``track_job``'s input."""

    token: str
    run_id: str
    job_arn: str
    execution_arn: str | None = None


class NotifyRequest(_Wire):
    """``notify``'s input: ``{kind, run: $}``."""

    kind: NotifyKind
    run: ExecutionState
