"""Runs: one per dataset object version. Identity, the run record, and the budget decision.

A run's id is derived from the object that started it, so an S3 event delivered twice maps
to the same run (and to the same execution name, which Step Functions refuses to start
twice, and to the same ``clientRequestToken``, which Bedrock answers with the same job).
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.clock import iso, utc_now

__all__ = [
    "EXECUTION_NAME_MAX",
    "RUN_STATUS_GROUPS",
    "BudgetDecision",
    "DatasetRef",
    "Run",
    "RunStatus",
    "Step",
    "decide_budget",
    "execution_name_for",
    "iso",
    "parse_status_filter",
    "retry_run_id",
    "run_id_for",
    "run_id_from_execution_name",
    "status_filter_values",
    "utc_now",
]

EXECUTION_NAME_MAX = 80
_RUN_ID = re.compile(r"r[0-9a-f]{12}$")
_EXECUTION_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


# --------------------------------------------------------------------------- identity


def normalise_etag(etag: str | None) -> str:
    """S3 events carry the ETag bare, HeadObject with quotes: compare them bare."""
    return (etag or "").strip().strip('"')


def run_id_for(bucket: str, key: str, version_or_etag: str) -> str:
    """``"r" + sha256("bucket/key#versionId-or-etag")[:12]`` (docs/pipeline.md).

    Pass the object's version id when the bucket is versioned, else its ETag (quotes are
    ignored, so the event's bare ETag and HeadObject's quoted one give the same id).
    """
    marker = normalise_etag(version_or_etag)
    digest = hashlib.sha256(f"{bucket}/{key}#{marker}".encode()).hexdigest()
    return "r" + digest[:12]


def retry_run_id(origin_id: str, attempt: int) -> str:
    """The id of attempt ``attempt`` (2, 3 …) of the object whose first run is ``origin_id``."""
    digest = hashlib.sha256(f"{origin_id}#attempt{attempt}".encode()).hexdigest()
    return "r" + digest[:12]


def execution_name_for(pipeline: str, run_id: str) -> str:
    """``<pipeline>-<run_id>``, at most 80 characters (the pipeline part is cut if needed)."""
    safe = _EXECUTION_NAME_CHARS.sub("-", pipeline)
    room = EXECUTION_NAME_MAX - len(run_id) - 1
    return f"{safe[:room]}-{run_id}"


def run_id_from_execution_name(name: str) -> str | None:
    """The run id at the end of an execution name (the slot holders are execution names)."""
    match = _RUN_ID.search(name)
    return match.group(0) if match and name.endswith(match.group(0)) else None


# --------------------------------------------------------------------------- the record


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

RUN_STATUS_GROUPS: dict[str, frozenset[RunStatus]] = {
    "failed": TERMINAL_RUN_STATUSES - {RunStatus.SUCCEEDED},
    "active": frozenset(RunStatus) - TERMINAL_RUN_STATUSES,
    "succeeded": frozenset({RunStatus.SUCCEEDED}),
}
"""Filters for listing runs besides the exact statuses: every way a run can end badly
(``failed``), every run not ended yet (``active``), and the runs that succeeded."""


def status_filter_values() -> list[str]:
    """What a status filter accepts: the groups (lower case), then the statuses."""
    return [*RUN_STATUS_GROUPS, *(status.value for status in RunStatus)]


def parse_status_filter(value: str) -> tuple[str, frozenset[RunStatus]]:
    """``"Failed"`` → ``("failed", {FAILED, INVALID, …})``; ``"over_budget"`` →
    ``("OVER_BUDGET", {OVER_BUDGET})``: the canonical name and the statuses it means.
    Case does not matter. Raises ``ValueError`` naming every valid value."""
    wanted = value.strip()
    group = RUN_STATUS_GROUPS.get(wanted.lower())
    if group is not None:
        return wanted.lower(), group
    try:
        status = RunStatus(wanted.upper())
    except ValueError:
        raise ValueError(
            f"unknown run status or group {value!r}; use one of "
            + ", ".join(status_filter_values())
        ) from None
    return status.value, frozenset({status})


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


# --------------------------------------------------------------------------- budget


class BudgetDecision(BaseModel):
    """Whether a run may start on its own, needs a person, or must not start."""

    model_config = ConfigDict(frozen=True)

    estimated_cost_usd: float | None
    auto_approve_usd: float
    max_usd: float | None
    needs_approval: bool
    over_max: bool
    reason: str


def decide_budget(
    estimated_cost_usd: float | None,
    *,
    auto_approve_usd: float | None,
    max_usd: float | None,
    default_auto_approve_usd: float,
) -> BudgetDecision:
    """Compare the estimate with the spec's budget (and the stack's AutoApproveUsd).

    - cost above ``max_usd``: ``over_max`` (never starts);
    - cost above the auto-approve limit: ``needs_approval``;
    - cost unknown (the catalog has no price): ``needs_approval`` — nobody should be
      surprised by a bill the pipeline could not estimate;
    - otherwise it starts on its own.
    """
    limit = default_auto_approve_usd if auto_approve_usd is None else auto_approve_usd
    common: dict[str, Any] = {
        "estimated_cost_usd": estimated_cost_usd,
        "auto_approve_usd": limit,
        "max_usd": max_usd,
    }
    if estimated_cost_usd is not None and not math.isfinite(estimated_cost_usd):
        estimated_cost_usd = None  # NaN / infinity: as unknown, a person decides
        common["estimated_cost_usd"] = None
    if estimated_cost_usd is None:
        return BudgetDecision(
            **common,
            needs_approval=True,
            over_max=False,
            reason="the catalog has no training price for this model, so the cost is unknown: "
            "a person approves (add a price with a catalog override to automate this)",
        )
    if max_usd is not None and estimated_cost_usd > max_usd:
        return BudgetDecision(
            **common,
            needs_approval=False,
            over_max=True,
            reason=f"estimated ${estimated_cost_usd:,.2f} is above the maximum of "
            f"${max_usd:,.2f} (budget.max_usd): the job will not start",
        )
    if estimated_cost_usd > limit:
        return BudgetDecision(
            **common,
            needs_approval=True,
            over_max=False,
            reason=f"estimated ${estimated_cost_usd:,.2f} is above the auto-approve limit of "
            f"${limit:,.2f}: a person approves",
        )
    return BudgetDecision(
        **common,
        needs_approval=False,
        over_max=False,
        reason=f"estimated ${estimated_cost_usd:,.2f} is within the auto-approve limit of "
        f"${limit:,.2f}",
    )
