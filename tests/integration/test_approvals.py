"""Approvals through the API: the caller decides, once; the decision reaches the waiting
workflow even when resuming it fails for a moment (D7)."""

from __future__ import annotations

from integration.conftest import Cloud, TaskCalls, invoke
from integration.helpers import validated
from integration.test_api import ALICE, call

SPEC = "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0}\n"
BOB = "arn:aws:sts::123456789012:assumed-role/Operator/bob"


def waiting(cloud: Cloud, token: str = "tok") -> str:
    state = validated(cloud, spec=SPEC)
    invoke("request_approval", {"token": token, "run": state})
    return str(state["runId"])


def approval(cloud: Cloud, run_id: str) -> dict[str, object]:
    item = cloud.item(f"RUN#{run_id}", "APPROVAL")
    assert item is not None
    return item


# ------------------------------------------------------------------------------ D7
def test_a_throttled_resume_is_retried_by_the_same_approval(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    run_id = waiting(cloud)
    # Given Step Functions throttles the resume once (after the SDK's own retries)
    sfn_tasks.fail_next("ThrottlingException")
    # When the approver approves: a retryable answer, never "already approved"
    first = call("POST", f"/approvals/{run_id}", body={"decision": "approve", "reason": "ok"})
    problem = first.problem(429, "BT_THROTTLED")
    assert "already" not in problem["detail"]
    assert approval(cloud, run_id)["delivered"] is False  # recorded, not yet delivered
    assert sfn_tasks.calls == []
    # Then the same approval again (the CLI retries 429/5xx by itself) resumes the workflow
    again = call("POST", f"/approvals/{run_id}", body={"decision": "approve", "reason": "ok"})
    assert again.status == 200, again.text
    assert again.json()["decision"] == "approve" and again.json()["by"] == ALICE
    assert sfn_tasks.of("success") == [("tok", {"approved": True, "by": ALICE, "reason": "ok"})]
    recorded = approval(cloud, run_id)
    assert recorded["status"] == "APPROVED" and recorded["delivered"] is True
    assert recorded["decidedBy"] == ALICE
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "APPROVED"  # type: ignore[index]
    # and once delivered, a repeat is the conflict it always was
    call("POST", f"/approvals/{run_id}", body={"decision": "approve"}).problem(409, "BT_CONFLICT")
    assert len(sfn_tasks.calls) == 1


def test_an_unavailable_service_is_a_503_with_retry_after(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    run_id = waiting(cloud)
    sfn_tasks.fail_next("InternalFailure")
    reply = call("POST", f"/approvals/{run_id}", body={"decision": "reject", "reason": "no"})
    reply.problem(503, "BT_TRANSIENT")
    assert call("POST", f"/approvals/{run_id}", body={"decision": "reject"}).status == 200
    assert sfn_tasks.of("failure") == [("tok", "ApprovalRejected")]


def test_an_undelivered_decision_is_not_changed_by_another_one(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    run_id = waiting(cloud)
    sfn_tasks.fail_next("ThrottlingException")
    call("POST", f"/approvals/{run_id}", body={"decision": "approve"}).problem(429, "BT_THROTTLED")
    # a different decision, or the same one by someone else, is a conflict naming the first
    problem = call("POST", f"/approvals/{run_id}", body={"decision": "reject"}).problem(
        409, "BT_CONFLICT"
    )
    assert "approved" in problem["detail"] and ALICE in problem["detail"]
    call("POST", f"/approvals/{run_id}", body={"decision": "approve"}, user_arn=BOB).problem(
        409, "BT_CONFLICT"
    )
    assert sfn_tasks.calls == []
    assert approval(cloud, run_id)["decidedBy"] == ALICE
