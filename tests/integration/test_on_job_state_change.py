"""on_job_state_change: apply Bedrock's events, never backwards, once per event id."""

from __future__ import annotations

from typing import Any

from bedrock_tuner.deps import default_deps
from events import load_event
from integration.conftest import IDEMPOTENCY, Cloud, TaskCalls
from integration.helpers import bedrock_event, tracked
from lambda_handlers import invoke


def job_item(cloud: Cloud, state: dict[str, Any]) -> dict[str, Any]:
    item = cloud.item(f"JOB#{state['job']['jobArn']}", "JOB")
    assert item is not None
    return item


def test_completed_resumes_the_execution_with_the_outcome(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = tracked(cloud, token="tok")
    event = bedrock_event(state, "Completed", event_id="e-done", time="2026-11-28T12:00:00Z")
    result = invoke("on_job_state_change", event)
    assert result["applied"] is True and result["resumed"] is True
    [(token, payload)] = sfn_tasks.of("success")
    assert token == "tok"
    assert payload["status"] == "Completed"
    assert payload["outputModelArn"] == event["detail"]["outputModelArn"]
    assert payload["failureMessage"] is None
    item = job_item(cloud, state)
    assert item["status"] == "Completed" and "GSI2PK" not in item
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "TRAINED"


def test_failed_resumes_with_bedrocks_message(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = tracked(cloud)
    message = "Maximum input token count 4919 exceeds limit of 4096"
    invoke(
        "on_job_state_change",
        bedrock_event(
            state, "Failed", event_id="e-f", time="2026-11-28T12:00:00Z", failureMessage=message
        ),
    )
    [(_, payload)] = sfn_tasks.of("success")
    assert payload == {
        "status": "Failed",
        "failureMessage": message,
        "outputModelArn": None,
        "trainingLoss": 0.0,  # moto's job reports a hard-coded 0.0 loss
        "validationLoss": 0.0,
    }


def test_completed_then_a_late_in_progress_keeps_completed(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = tracked(cloud)
    invoke(
        "on_job_state_change",
        bedrock_event(state, "Completed", event_id="e-2", time="2026-11-28T12:00:00Z"),
    )
    late = invoke(
        "on_job_state_change",
        bedrock_event(state, "InProgress", event_id="e-1", time="2026-11-28T09:00:00Z"),
    )
    assert late["applied"] is False and late["reason"] == "stale"
    assert job_item(cloud, state)["status"] == "Completed"
    assert len(sfn_tasks.of("success")) == 1
    # Even an InProgress event stamped later cannot reopen a finished job
    later = invoke(
        "on_job_state_change",
        bedrock_event(state, "InProgress", event_id="e-3", time="2026-11-28T13:00:00Z"),
    )
    assert later["applied"] is False
    assert job_item(cloud, state)["status"] == "Completed"


def test_an_older_in_progress_does_not_overwrite_a_newer_one(cloud: Cloud) -> None:
    state = tracked(cloud)
    invoke(
        "on_job_state_change",
        bedrock_event(state, "InProgress", event_id="a", time="2026-11-28T10:00:00Z"),
    )
    old = invoke(
        "on_job_state_change",
        bedrock_event(state, "InProgress", event_id="b", time="2026-11-28T09:00:00Z"),
    )
    assert old["reason"] == "stale"
    assert job_item(cloud, state)["lastEventTime"] == "2026-11-28T10:00:00.000Z"


def test_a_duplicate_event_id_is_ignored(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = tracked(cloud)
    event = bedrock_event(state, "InProgress", event_id="e-dup", time="2026-11-28T10:00:00Z")
    first = invoke("on_job_state_change", event)
    assert first["applied"] is True
    assert invoke("on_job_state_change", event) == first  # Powertools idempotency
    # With the idempotency record gone, the job item's seen event ids still refuse it
    cloud.dynamodb.delete_table(TableName="bt-idempotency")
    cloud.dynamodb.create_table(TableName="bt-idempotency", **IDEMPOTENCY)
    again = invoke("on_job_state_change", event)
    assert again["applied"] is False and again["reason"] == "duplicate"
    assert job_item(cloud, state)["seenEventIds"] == {"e-dup"}


def test_sub_stages_come_from_get_model_customization_job(cloud: Cloud) -> None:
    state = tracked(cloud)
    # moto's GetModelCustomizationJob has no statusDetails: add them at the adapter boundary
    deps = default_deps()
    real_get = deps.bedrock.get_job

    def with_stages(identifier: str, *, job_name: str | None = None) -> dict[str, Any] | None:
        job = real_get(identifier, job_name=job_name)
        assert job is not None
        job["statusDetails"] = {
            "validationDetails": {"status": "Completed"},
            "dataProcessingDetails": {"status": "InProgress"},
            "trainingDetails": {"status": "NotStarted"},
        }
        return job

    deps.bedrock.get_job = with_stages  # type: ignore[method-assign]
    invoke(
        "on_job_state_change",
        bedrock_event(state, "InProgress", event_id="s", time="2026-11-28T10:00:00Z"),
    )
    assert job_item(cloud, state)["stages"] == {
        "validation": "Completed",
        "dataProcessing": "InProgress",
        "training": "NotStarted",
    }


def test_a_job_the_pipeline_did_not_start_is_ignored(cloud: Cloud) -> None:
    result = invoke("on_job_state_change", load_event("bedrock_job_completed"))
    assert result == {
        "jobArn": load_event("bedrock_job_completed")["detail"]["jobArn"],
        "applied": False,
        "reason": "unknown_job",
    }


def test_a_job_that_ends_after_its_run_failed_does_not_reopen_the_run(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    """Issue 8, D2/I3: terminal statuses are final; the late fact is still recorded."""
    from bedrock_tuner.pipeline.runs import RunStatus, Step

    state = tracked(cloud)
    deps = default_deps()
    deps.runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        fields={"error": {"Error": "States.HeartbeatTimeout", "Cause": "no heartbeat"}},
        step=Step(name="notify", status="pipeline_failed", at=deps.now()),
    )
    event = bedrock_event(state, "Completed", event_id="e-late", time="2026-11-28T12:00:00Z")
    invoke("on_job_state_change", event)
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None
    assert run["status"] == "FAILED"  # not TRAINED
    assert run["error"]["Error"] == "States.HeartbeatTimeout"
    assert run["jobStatus"] == "Completed"  # the fact is kept
