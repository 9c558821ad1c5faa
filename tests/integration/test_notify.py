"""notify: render, record the run's outcome, publish to SNS once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from events import load_event
from integration.conftest import Cloud
from integration.helpers import started_job, validated
from lambda_handlers import invoke


def payload(kind: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "run": state}


def test_success_is_published_and_recorded(cloud: Cloud) -> None:
    state = started_job(cloud)
    state["jobResult"] = {
        "status": "Completed",
        "outputModelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
    }
    state["version"] = {
        "family": "support-bot",
        "version": 1,
        "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
        "metrics": {"trainingLoss": 0.4, "validationLoss": 0.5, "overfitting": False},
    }
    cloud.notifications()
    result = invoke("notify", payload("succeeded", state))
    assert set(result) == {"messageId"}
    [note] = cloud.notifications()
    assert note["kind"] == "succeeded" and note["run_id"] == state["runId"]
    assert note["_attributes"] == {
        "kind": "succeeded",
        "pipeline": "support-bot",
        "severity": "success",
        "emails": '["ml-team@example.com"]',  # String.Array: the spec's notify.emails
    }
    assert note["_subject"].endswith("support-bot v1 ready")
    assert "training loss 0.4" in note["text"]
    assert any(link["label"] == "Execution" for link in note["links"])
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "SUCCEEDED" and run["outcome"] == "succeeded"


def test_a_retried_notify_publishes_once(cloud: Cloud) -> None:
    state = validated(cloud)
    cloud.notifications()
    first = invoke("notify", payload("over_budget", state))
    assert invoke("notify", payload("over_budget", state)) == first
    assert len(cloud.notifications()) == 1


def test_pipeline_failed_records_the_error(cloud: Cloud) -> None:
    state = validated(cloud)
    cause = {
        "errorMessage": "Bedrock refused to start job x: AccessDeniedException: no",
        "errorType": "JobStartError",
    }
    state["error"] = {"Error": "JobStartError", "Cause": json.dumps(cause)}
    cloud.notifications()
    invoke("notify", payload("pipeline_failed", state))
    [note] = cloud.notifications()
    assert "JobStartError: Bedrock refused to start job x" in note["text"]
    assert "BedrockCustomizationRole" in note["text"]
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "FAILED"
    assert run["error"] == {"Error": "JobStartError", "Cause": cause["errorMessage"]}


def test_job_failed_records_bedrocks_message(cloud: Cloud) -> None:
    state = started_job(cloud)
    state["jobResult"] = {
        "status": "Failed",
        "failureMessage": "Maximum input token count 4919 exceeds limit of 4096",
    }
    cloud.notifications()
    invoke("notify", payload("job_failed", state))
    [note] = cloud.notifications()
    assert "a record is over the model's token limit" in note["text"]
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None
    assert run["error"] == {
        "Error": "JobFailed",
        "Cause": "Maximum input token count 4919 exceeds limit of 4096",
    }


@pytest.mark.parametrize(
    "name",
    [
        "sfn_notify_invalid_dataset",
        "sfn_notify_over_budget",
        "sfn_notify_approval_rejected",
        "sfn_notify_job_failed",
        "sfn_notify_pipeline_failed",
        "sfn_notify_succeeded",
    ],
)
def test_every_sample_notify_event_publishes(cloud: Cloud, name: str) -> None:
    event = load_event(name)
    result = invoke("notify", event)  # the run has no item here: published all the same
    assert result["messageId"]
    [note] = cloud.notifications()
    assert note["kind"] == event["kind"] and note["text"]


# ------------------------------------------------------------------------------ issue 8


def test_the_outcome_is_recorded_even_when_sns_cannot_be_reached(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D8: a failed publish leaves a true run (not REGISTERED forever) and raises (alarm)."""
    from bedrock_tuner.deps import default_deps
    from bedrock_tuner.errors import TransientError

    state = started_job(cloud)
    state["jobResult"] = {"status": "Failed", "failureMessage": "boom"}

    def down(*args: Any, **kwargs: Any) -> str:
        raise TransientError("SNS Publish failed: service unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(default_deps().sns, "publish", down)
        with pytest.raises(TransientError):
            invoke("notify", payload("job_failed", state))
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "FAILED" and run["outcome"] == "job_failed"
    assert "job_failed" not in run["notifications"]  # released: the retry sends it
    cloud.notifications()
    assert invoke("notify", payload("job_failed", state))["messageId"]
    assert [n["kind"] for n in cloud.notifications()] == ["job_failed"]


def test_a_notify_retried_after_publishing_does_not_send_twice(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D14: the task failed after SNS accepted the message; the retry sends nothing."""
    from bedrock_tuner.deps import default_deps
    from bedrock_tuner.errors import TransientError

    state = started_job(cloud)
    state["version"] = {
        "family": "support-bot",
        "version": 1,
        "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
        "metrics": {},
    }
    store = default_deps().runs
    original = store.record_notification
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TransientError("DynamoDB UpdateItem: throttled")
        original(*args, **kwargs)

    monkeypatch.setattr(store, "record_notification", flaky)
    cloud.notifications()
    with pytest.raises(TransientError):
        invoke("notify", payload("succeeded", state))
    invoke("notify", payload("succeeded", state))  # the workflow's Retry
    assert [n["kind"] for n in cloud.notifications()] == ["succeeded"]
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "SUCCEEDED"


def test_a_timed_out_approval_is_no_longer_pending(cloud: Cloud, sfn_tasks: Any) -> None:
    """D17: the approval timed out -> the record says EXPIRED and GET /approvals omits it."""
    from integration.conftest import SPEC

    spec = SPEC.replace("auto_approve_usd: 25", "auto_approve_usd: 0")
    state = validated(cloud, spec=spec)
    invoke("request_approval", {"token": "tok", "run": state})
    assert cloud.item(f"RUN#{state['runId']}", "APPROVAL")["status"] == "PENDING"  # type: ignore[index]
    state["error"] = {"Error": "States.Timeout", "Cause": "approval timed out"}
    invoke("notify", payload("approval_rejected", state))
    approval = cloud.item(f"RUN#{state['runId']}", "APPROVAL")
    assert approval is not None and approval["status"] == "EXPIRED"
    assert "GSI2PK" not in approval
