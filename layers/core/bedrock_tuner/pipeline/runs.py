"""Runs: one per dataset object version. Identity, status filters, and the budget decision.

A run's id is derived from the object that started it, so an S3 event delivered twice maps
to the same run (and to the same execution name, which Step Functions refuses to start
twice, and to the same ``clientRequestToken``, which Bedrock answers with the same job).
The run record itself (:class:`Run`, its status and steps) is :mod:`bedrock_tuner.models.runs`.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from bedrock_tuner.clock import iso, utc_now
from bedrock_tuner.models.runs import (
    EXECUTION_NAME_MAX,
    TERMINAL_RUN_STATUSES,
    DatasetRef,
    Run,
    RunStatus,
    Step,
    execution_name_for,
)

__all__ = [
    "EXECUTION_NAME_MAX",
    "RUN_STATUS_GROUPS",
    "TERMINAL_RUN_STATUSES",
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

_RUN_ID = re.compile(r"r[0-9a-f]{12}$")


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


def run_id_from_execution_name(name: str) -> str | None:
    """The run id at the end of an execution name (the slot holders are execution names)."""
    match = _RUN_ID.search(name)
    return match.group(0) if match and name.endswith(match.group(0)) else None


# --------------------------------------------------------------------------- status filters


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
