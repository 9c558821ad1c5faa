"""Approvals: a run over its auto-approve limit waits for a person.

``request_approval`` stores the workflow's task token with the run and tells people how to
decide; ``decide_approval`` (``POST /approvals/{run_id}``: the approver is the authenticated
caller) records the decision once and resumes the workflow: ``SendTaskSuccess`` with
``{approved: true, by, reason}`` or ``SendTaskFailure`` with error ``ApprovalRejected``.
The principal that started a run through ``POST /runs`` may not approve it.
"""

from __future__ import annotations

from typing import Any

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import ConflictError, ForbiddenError
from bedrock_tuner.models.approvals import ApprovalRecord
from bedrock_tuner.models.payloads import ApprovalDecision, ApprovalRequest, ApprovalResult
from bedrock_tuner.notify.messages import render_notification
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.runs import RunStatus, Step
from bedrock_tuner.pipeline.uploads import publish_notification
from bedrock_tuner.pipeline.validation import ensure_run

__all__ = ["REJECTED_ERROR", "decide_approval", "request_approval"]

REJECTED_ERROR = "ApprovalRejected"


def _resume(deps: Deps, token: str, record: ApprovalRecord) -> bool:
    if record.status == "APPROVED":
        result = ApprovalResult(
            approved=True, by=record.decided_by or "unknown", reason=record.reason
        )
        return deps.sfn.send_task_success(token, result.wire())
    cause = f"rejected by {record.decided_by or 'unknown'}" + (
        f": {record.reason}" if record.reason else ""
    )
    return deps.sfn.send_task_failure(token, error=REJECTED_ERROR, cause=cause)


def request_approval(request: ApprovalRequest, deps: Deps) -> dict[str, Any]:
    """Store the token, mark the run waiting, send the "approval needed" notification.

    If the run was decided already (a retried task), the decision is sent right away.
    """
    state = request.run
    ensure_run(state, deps)
    cost = state.validation.estimated_cost_usd if state.validation else None
    record = deps.approvals.request(
        state.run_id,
        token=request.token,
        cost_usd=cost,
        requested_at=deps.now(),
        pipeline=state.pipeline,
        why=state.validation.budget_reason if state.validation else None,
    )
    if record.status in {"APPROVED", "REJECTED"}:
        delivered = _resume(deps, request.token, record)
        if delivered:
            deps.approvals.mark_delivered(state.run_id)
        logger.info(
            "approval already decided: resumed at once",
            extra={"runId": state.run_id, "decision": record.status, "delivered": delivered},
        )
        return {"runId": state.run_id, "status": record.status, "resumed": delivered}
    deps.runs.update(
        state.run_id,
        status=RunStatus.AWAITING_APPROVAL,
        step=Step(
            name="approval",
            status="requested",
            at=deps.now(),
            detail="cost unknown" if cost is None else f"estimated ${cost:,.2f}",
        ),
    )
    run = deps.runs.get(state.run_id)
    note = render_notification(
        "approval_needed",
        state,
        region=deps.settings.region,
        execution_arn=run.execution_arn if run else None,
        where=deps.settings.cli_where,
    )
    publish_notification(deps, note)
    count("ApprovalRequested")
    return {"runId": state.run_id, "status": "PENDING", "resumed": False}


def _refuse_self_approval(decision: ApprovalDecision, deps: Deps) -> None:
    """Four eyes: whoever started a run through ``POST /runs`` does not approve it. (An S3
    upload names only the account as its requester, so uploads cannot be matched.)"""
    run = deps.runs.get(decision.run_id)
    if run is not None and run.started_by and run.started_by == decision.by:
        raise ForbiddenError(
            f"{decision.by} started run {decision.run_id} and may not approve it",
            fix="another person with the operator policy approves it: "
            f"`bedrock-tuner approvals approve {decision.run_id}` (you may still reject it)",
        )


def decide_approval(decision: ApprovalDecision, deps: Deps) -> dict[str, Any]:
    """Record ``decision`` and resume the waiting workflow.

    Delivery is idempotent (D7): the decision is recorded as not delivered, the task token
    resumed, then the decision marked delivered. When resuming fails for a moment
    (throttling, a 5xx) the error propagates — the API answers 429/503 with ``Retry-After``
    — and the same decision by the same principal, sent again, resumes again instead of
    being told the run was "already approved".

    Raises
    ------
    RunNotFoundError
        The run is not waiting for approval (unknown id, or never needed one).
    ForbiddenError
        The approver started the run (``startedBy``): another person approves it.
    ConflictError
        It was decided already (and delivered, or differently, or by someone else), or the
        approval timed out before this decision came.
    ThrottlingError, TransientError
        Resuming the workflow failed for now; send the same decision again.
    """
    approved = decision.decision == "approve"
    if approved:
        _refuse_self_approval(decision, deps)
    record = deps.approvals.decide(
        decision.run_id,
        approved=approved,
        by=decision.by,
        reason=decision.reason,
        decided_at=deps.now(),
    )
    token = record.task_token or ""
    delivered = bool(token) and _resume(deps, token, record)
    if not delivered:
        deps.approvals.expire(decision.run_id)
        raise ConflictError(
            f"run {decision.run_id} stopped waiting before the decision arrived "
            "(the approval timed out or the execution ended)",
            fix="upload the dataset again to start a new run",
        )
    deps.approvals.mark_delivered(decision.run_id)
    deps.runs.update(
        decision.run_id,
        status=RunStatus.APPROVED if approved else RunStatus.REJECTED,
        step=Step(
            name="approval",
            status="approved" if approved else "rejected",
            at=deps.now(),
            detail=f"by {record.decided_by}" + (f": {record.reason}" if record.reason else ""),
        ),
    )
    logger.info(
        "approval decided",
        extra={"runId": decision.run_id, "decision": decision.decision, "by": decision.by},
    )
    count("ApprovalDecided")
    return {
        "runId": decision.run_id,
        "decision": decision.decision,
        "by": record.decided_by,
        "reason": record.reason,
    }
