"""reconcile_jobs: lost events recovered by polling, heartbeats, stale job slots freed."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import ThrottlingError, TransientError
from events import load_event
from integration.conftest import TABLE, Cloud, TaskCalls
from integration.helpers import tracked
from lambda_handlers import invoke


def reconcile() -> dict[str, Any]:
    return dict(invoke("reconcile_jobs", load_event("schedule_reconcile")))


def test_a_lost_completion_event_is_recovered(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    # Given a job the workflow waits for, When it completes and no event ever arrives
    state = tracked(cloud, token="tok")
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    # Then the reconciler applies it like an event and resumes the execution
    report = reconcile()
    assert report["checked"] == 1 and report["applied"] == 1 and report["resumed"] == 1
    [(token, payload)] = sfn_tasks.of("success")
    assert token == "tok" and payload["status"] == "Completed"
    item = cloud.item(f"JOB#{state['job']['jobArn']}", "JOB")
    assert item is not None and item["status"] == "Completed" and "GSI2PK" not in item
    # And the next sweep has nothing left in flight
    assert reconcile()["checked"] == 0
    assert len(sfn_tasks.of("success")) == 1


def test_running_jobs_get_heartbeats(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    tracked(cloud, token="tok")
    report = reconcile()
    assert report["heartbeats"] == 1 and report["resumed"] == 0
    assert sfn_tasks.of("heartbeat") == [("tok", None)]


def test_a_heartbeat_for_a_task_that_timed_out_is_tolerated(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    tracked(cloud, token="gone")
    sfn_tasks.gone.add("gone")
    report = reconcile()
    assert report["heartbeats"] == 0 and report["errors"] == []


def test_slots_of_executions_that_stopped_are_released(cloud: Cloud) -> None:
    from integration.helpers import start_run

    running = start_run(cloud)
    stopped = start_run(cloud)
    for state in (running, stopped):
        assert state["runId"]
    stopped_arn = cloud.item(f"RUN#{stopped['runId']}", "RUN")["executionArn"]  # type: ignore[index]
    cloud.sfn.stop_execution(executionArn=stopped_arn)
    holders = [
        running["settings"]["slotHolder"],
        stopped["settings"]["slotHolder"],
        "someone-r000000000000",  # a holder whose run is unknown
    ]
    cloud.dynamodb.update_item(
        TableName=TABLE,
        Key={"PK": {"S": "SLOTS"}, "SK": {"S": "BEDROCK"}},
        UpdateExpression="ADD holders :h",
        ExpressionAttributeValues={":h": {"SS": holders}},
    )
    report = reconcile()
    assert sorted(report["slotsReleased"]) == sorted(holders[1:])
    assert default_deps().jobs.slot_holders() == [holders[0]]


def test_one_failing_job_does_not_stop_the_sweep(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    first = tracked(cloud, token="tok-1")
    second = tracked(cloud, token="tok-2")
    cloud.set_job_status(second["job"]["jobName"], "Completed")
    deps = default_deps()
    real_get = deps.bedrock.get_job

    def flaky(identifier: str, *, job_name: str | None = None) -> dict[str, Any] | None:
        if job_name == first["job"]["jobName"]:
            raise ThrottlingError("GetModelCustomizationJob: AWS is throttling")
        return real_get(identifier, job_name=job_name)

    deps.bedrock.get_job = flaky  # type: ignore[method-assign]  # throttling: not in moto
    with pytest.raises(TransientError, match="1 items could not be reconciled"):
        reconcile()
    assert [token for token, _ in sfn_tasks.of("success")] == ["tok-2"]
