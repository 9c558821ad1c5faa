"""``/approvals``: runs waiting for a person; approve or reject with a reason."""

from __future__ import annotations

from typing import Any

from bedrock_tuner.api.context import new_router, principal_of
from bedrock_tuner.api.models import ApprovalBody, ApprovalView
from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ApprovalDecision
from bedrock_tuner.pipeline.approvals import decide_approval

router = new_router()


@router.get("/approvals", summary="List pending approvals (oldest first)", tags=["approvals"])
def list_approvals() -> list[ApprovalView]:
    return [
        ApprovalView.model_validate(record.model_dump(exclude={"task_token", "delivered"}))
        for record in default_deps().approvals.pending()
    ]


@router.post(
    "/approvals/<run_id>",
    summary="Approve or reject a waiting run (the caller is recorded as the approver)",
    description="The approver is the authenticated caller (its IAM ARN), never a name in the "
    "body. A run started through POST /runs cannot be approved by the principal that started "
    "it (403). When resuming the workflow fails for a moment the answer is 429/503: send the "
    "same decision again.",
    tags=["approvals"],
)
def decide(run_id: str, body: ApprovalBody) -> dict[str, Any]:
    decision = ApprovalDecision(
        run_id=run_id,
        decision=body.decision,
        by=principal_of(router.current_event),
        reason=body.reason,
    )
    return decide_approval(decision, default_deps())  # {runId, decision, by, reason}
