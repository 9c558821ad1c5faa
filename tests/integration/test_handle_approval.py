"""handle_approval: approve resumes the execution, reject fails it with ApprovalRejected."""

from __future__ import annotations

import pytest

from bedrock_tuner.errors import ConflictError, InvalidEventError, RunNotFoundError
from events import load_event
from integration.conftest import Cloud, TaskCalls, invoke
from integration.helpers import validated

SPEC = "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0}\n"


def waiting(cloud: Cloud, token: str = "tok") -> str:
    state = validated(cloud, spec=SPEC)
    invoke("request_approval", {"token": token, "run": state})
    return str(state["runId"])


def test_approve_resumes_with_the_decision(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    result = invoke(
        "handle_approval",
        {"runId": run_id, "decision": "approve", "by": "jane@example.com", "reason": "ok"},
    )
    assert result == {
        "runId": run_id,
        "decision": "approve",
        "by": "jane@example.com",
        "reason": "ok",
    }
    assert sfn_tasks.of("success") == [
        ("tok", {"approved": True, "by": "jane@example.com", "reason": "ok"})
    ]
    approval = cloud.item(f"RUN#{run_id}", "APPROVAL")
    assert approval is not None
    assert approval["status"] == "APPROVED" and approval["decidedBy"] == "jane@example.com"
    assert "GSI2PK" not in approval  # no longer pending
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "APPROVED"  # type: ignore[index]


def test_reject_fails_the_task_with_approval_rejected(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    event = {**load_event("cli_approval_reject"), "runId": run_id}
    assert invoke("handle_approval", event)["decision"] == "reject"
    assert sfn_tasks.of("failure") == [("tok", "ApprovalRejected")]
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "REJECTED"  # type: ignore[index]


def test_a_second_decision_is_a_conflict(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    run_id = waiting(cloud)
    invoke("handle_approval", {"runId": run_id, "decision": "approve", "by": "jane"})
    with pytest.raises(ConflictError, match="already approved by jane"):
        invoke("handle_approval", {"runId": run_id, "decision": "reject", "by": "joe"})
    assert len(sfn_tasks.calls) == 1


def test_an_unknown_run_is_not_found(cloud: Cloud) -> None:
    with pytest.raises(RunNotFoundError):
        invoke("handle_approval", {"runId": "r000000000000", "decision": "approve", "by": "x"})


def test_a_timed_out_approval_is_a_conflict_and_marked_expired(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    run_id = waiting(cloud, token="tok-old")
    sfn_tasks.gone.add("tok-old")
    with pytest.raises(ConflictError, match="stopped waiting"):
        invoke("handle_approval", {"runId": run_id, "decision": "approve", "by": "jane"})
    assert cloud.item(f"RUN#{run_id}", "APPROVAL")["status"] == "EXPIRED"  # type: ignore[index]


def test_a_bad_decision_is_a_coded_error(cloud: Cloud) -> None:
    with pytest.raises(InvalidEventError, match="decision"):
        invoke("handle_approval", {"runId": "r1", "decision": "maybe", "by": "x"})
