"""request_approval: store the task token, tell people what it costs and how to decide."""

from __future__ import annotations

from integration.conftest import Cloud, TaskCalls
from integration.helpers import validated
from lambda_handlers import invoke

SPEC = "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0}\n"


def test_the_token_is_stored_and_people_are_told_how_to_approve(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = validated(cloud, spec=SPEC)
    cloud.notifications()
    result = invoke("request_approval", {"token": "tok-approve", "run": state})
    assert result["status"] == "PENDING"
    run_id = state["runId"]
    approval = cloud.item(f"RUN#{run_id}", "APPROVAL")
    assert approval is not None
    assert approval["taskToken"] == "tok-approve" and approval["status"] == "PENDING"
    assert approval["GSI2PK"] == "APPROVAL#PENDING"
    assert cloud.item(f"RUN#{run_id}", "RUN")["status"] == "AWAITING_APPROVAL"  # type: ignore[index]
    [note] = cloud.notifications()
    assert note["kind"] == "approval_needed"
    assert f"bedrock-tuner approvals approve {run_id}" in note["text"]
    assert note["_attributes"]["severity"] == "warning"
    assert sfn_tasks.calls == []  # the execution waits


def test_pending_approvals_are_listed(cloud: Cloud) -> None:
    from bedrock_tuner.deps import default_deps

    state = validated(cloud, spec=SPEC)
    invoke("request_approval", {"token": "tok", "run": state})
    pending = default_deps().approvals.pending()
    assert [item.run_id for item in pending] == [state["runId"]]
