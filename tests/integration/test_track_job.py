"""track_job: the token is stored with the job; a job that already ended resumes at once."""

from __future__ import annotations

import pytest

from bedrock_tuner.errors import InvalidEventError
from integration.conftest import Cloud, TaskCalls
from integration.helpers import bedrock_event, started_job
from lambda_handlers import invoke


def track(state: dict[str, object], token: str = "tok") -> dict[str, object]:
    job = state["job"]
    assert isinstance(job, dict)
    return dict(
        invoke(
            "track_job",
            {
                "token": token,
                "runId": state["runId"],
                "jobArn": job["jobArn"],
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:X:y",
            },
        )
    )


def test_a_running_job_waits_with_its_token(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = started_job(cloud)
    result = track(state)
    assert result["resumed"] is False and result["status"] == "InProgress"
    item = cloud.item(f"JOB#{state['job']['jobArn']}", "JOB")
    assert item is not None
    assert item["taskToken"] == "tok"
    assert item["executionArn"].endswith(":y")
    assert sfn_tasks.calls == []


def test_a_job_that_ended_in_bedrock_resumes_at_once(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = started_job(cloud)
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    result = track(state)
    assert result["resumed"] is True
    [(token, payload)] = sfn_tasks.of("success")
    assert token == "tok"
    assert set(payload) == {
        "status",
        "failureMessage",
        "outputModelArn",
        "trainingLoss",
        "validationLoss",
    }
    assert payload["status"] == "Completed" and payload["outputModelArn"]
    assert payload["failureMessage"] is None
    item = cloud.item(f"JOB#{state['job']['jobArn']}", "JOB")
    assert item is not None and "GSI2PK" not in item and item["resumedAt"]


def test_a_job_whose_event_came_first_resumes_at_once(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = started_job(cloud)
    # The event arrives before the workflow stored its token: nothing to resume yet
    event = bedrock_event(
        state, "Failed", event_id="e-1", time="2026-11-28T10:00:00Z", failureMessage="boom"
    )
    assert invoke("on_job_state_change", event)["resumed"] is False
    result = track(state)
    assert result == {"jobArn": state["job"]["jobArn"], "status": "Failed", "resumed": True}
    [(_, payload)] = sfn_tasks.of("success")
    assert payload["status"] == "Failed" and payload["failureMessage"] == "boom"


def test_an_unknown_job_is_a_coded_error(cloud: Cloud) -> None:
    with pytest.raises(InvalidEventError, match="no customization job"):
        invoke(
            "track_job",
            {
                "token": "t",
                "runId": "r1",
                "jobArn": "arn:aws:bedrock:us-east-1:1:model-customization-job/none",
            },
        )
