"""``/approvals``: runs waiting for a person; approve or reject with a reason."""

from __future__ import annotations

from typing import Any

from bedrock_tuner.api.context import caller_of, new_router
from bedrock_tuner.api.models import ApprovalBody, ApprovalView
from bedrock_tuner.pipeline.approvals import decide_approval
from bedrock_tuner.pipeline.deps import default_deps
from bedrock_tuner.pipeline.payloads import ApprovalDecision

router = new_router()


@router.get("/approvals", summary="List pending approvals (oldest first)", tags=["approvals"])
def list_approvals() -> list[ApprovalView]:
    return [
        ApprovalView.model_validate(record.model_dump(exclude={"task_token", "delivered"}))
        for record in default_deps().store.list_pending_approvals()
    ]


@router.post(
    "/approvals/<run_id>",
    summary="Approve or reject a waiting run (the caller is recorded as the approver)",
    tags=["approvals"],
)
def decide(run_id: str, body: ApprovalBody) -> dict[str, Any]:
    decision = ApprovalDecision(
        run_id=run_id,
        decision=body.decision,
        by=caller_of(router.current_event),
        reason=body.reason,
    )
    return decide_approval(decision, default_deps())  # {runId, decision, by, reason}
