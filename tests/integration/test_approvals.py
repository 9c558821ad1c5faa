"""Approvals through the API: the caller decides, once; the decision reaches the waiting
workflow even when resuming it fails for a moment (D7)."""

from __future__ import annotations

from integration.conftest import BUCKET, Cloud, TaskCalls
from integration.helpers import KEY, RECORDS, validated
from integration.test_api import ALICE, Reply, api_event, call
from lambda_handlers import invoke

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


# ------------------------------------------------------------------------------ decisions
def test_approve_resumes_with_the_callers_arn(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    reply = call("POST", f"/approvals/{run_id}", body={"decision": "approve", "reason": "ok"})
    assert reply.json() == {"runId": run_id, "decision": "approve", "by": ALICE, "reason": "ok"}
    assert sfn_tasks.of("success") == [("tok", {"approved": True, "by": ALICE, "reason": "ok"})]
    recorded = approval(cloud, run_id)
    assert recorded["status"] == "APPROVED" and recorded["decidedBy"] == ALICE
    assert "GSI2PK" not in recorded  # no longer pending
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "APPROVED"  # type: ignore[index]


def test_reject_fails_the_task_with_approval_rejected(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    reply = call("POST", f"/approvals/{run_id}", body={"decision": "reject", "reason": "dear"})
    assert reply.json()["decision"] == "reject"
    assert sfn_tasks.of("failure") == [("tok", "ApprovalRejected")]
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "REJECTED"  # type: ignore[index]


def test_a_decision_after_the_timeout_is_a_conflict_and_marked_expired(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    run_id = waiting(cloud, token="tok-old")
    sfn_tasks.gone.add("tok-old")
    problem = call("POST", f"/approvals/{run_id}", body={"decision": "approve"}).problem(
        409, "BT_CONFLICT"
    )
    assert "stopped waiting" in problem["detail"]
    assert approval(cloud, run_id)["status"] == "EXPIRED"


def test_a_retried_approval_request_after_the_decision_resumes_at_once(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = validated(cloud, spec=SPEC)
    invoke("request_approval", {"token": "tok-1", "run": state})
    call("POST", f"/approvals/{state['runId']}", body={"decision": "approve"})
    result = invoke("request_approval", {"token": "tok-2", "run": state})
    assert result == {"runId": state["runId"], "status": "APPROVED", "resumed": True}
    assert [token for token, _ in sfn_tasks.of("success")] == ["tok-1", "tok-2"]


# ------------------------------------------------------------------------------ D15
def test_an_unauthenticated_caller_cannot_approve(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    event = api_event("POST", f"/approvals/{run_id}", body={"decision": "approve"}, user_arn=None)
    identity = event["requestContext"]["identity"]
    identity.update(caller=None, accessKey=None, user=None)  # no IAM auth on the method
    reply = Reply(invoke("api", event))
    problem = reply.problem(403, "BT_FORBIDDEN")
    assert "AWS_IAM" in problem["fix"]
    assert approval(cloud, run_id)["status"] == "PENDING" and sfn_tasks.calls == []


def test_whoever_started_a_run_through_the_api_cannot_approve_it(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    # Given Alice starts a run through the API (POST /runs) that needs approval
    cloud.put_spec("support-bot", SPEC)
    cloud.upload(KEY, RECORDS)
    started = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"}).json()
    assert started["status"] == "started", started
    run_id = started["runId"]
    assert cloud.item(f"RUN#{run_id}", "RUN")["startedBy"] == ALICE  # type: ignore[index]
    state = cloud.execution_input(started["executionArn"])
    state["validation"] = invoke("validate_dataset", state)
    invoke("request_approval", {"token": "tok", "run": state})
    # When she approves her own run, it is refused with the fix
    problem = call("POST", f"/approvals/{run_id}", body={"decision": "approve"}).problem(
        403, "BT_FORBIDDEN"
    )
    assert ALICE in problem["detail"] and "another person" in problem["fix"]
    assert approval(cloud, run_id)["status"] == "PENDING" and sfn_tasks.calls == []
    # Then Bob's approval goes through
    reply = call("POST", f"/approvals/{run_id}", body={"decision": "approve"}, user_arn=BOB)
    assert reply.status == 200 and reply.json()["by"] == BOB
    assert sfn_tasks.of("success") == [("tok", {"approved": True, "by": BOB, "reason": None})]


def test_whoever_started_a_run_may_still_reject_it(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    cloud.put_spec("support-bot", SPEC)
    cloud.upload(KEY, RECORDS)
    started = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"}).json()
    state = cloud.execution_input(started["executionArn"])
    state["validation"] = invoke("validate_dataset", state)
    invoke("request_approval", {"token": "tok", "run": state})
    reply = call("POST", f"/approvals/{started['runId']}", body={"decision": "reject"})
    assert reply.status == 200, reply.text
    assert sfn_tasks.of("failure") == [("tok", "ApprovalRejected")]


def test_an_upload_records_the_requester_and_does_not_bind_the_approver(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    # S3 events carry only the account id as the requester: recorded, never matched
    run_id = waiting(cloud)
    run = cloud.item(f"RUN#{run_id}", "RUN")
    assert run is not None and run["uploadedBy"] == "123456789012" and "startedBy" not in run
    assert call("POST", f"/approvals/{run_id}", body={"decision": "approve"}).status == 200
