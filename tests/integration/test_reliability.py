"""Issue 8's faults, one at a time, through the handlers under moto (docs/reliability.md).

Each test rebuilds one reported scenario (D1, D2, D4, D9 …) and asserts the invariant it broke.
The same scenarios run on the local cloud with the real workflow in tests/faults/.
"""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import RunStoppedError, ThrottlingError
from bedrock_tuner.pipeline.runs import RunStatus, Step
from events import load_event
from integration.conftest import TABLE, Cloud, TaskCalls
from integration.helpers import bedrock_event, start_run, started_job, tracked, validated
from lambda_handlers import invoke


def reconcile() -> dict[str, Any]:
    return dict(invoke("reconcile_jobs", load_event("schedule_reconcile")))


def run_item(cloud: Cloud, run_id: str) -> dict[str, Any]:
    item = cloud.item(f"RUN#{run_id}", "RUN")
    assert item is not None
    return item


def job_item(cloud: Cloud, job_arn: str) -> dict[str, Any]:
    item = cloud.item(f"JOB#{job_arn}", "JOB")
    assert item is not None
    return item


def hold_slot(cloud: Cloud, holder: str) -> None:
    cloud.dynamodb.update_item(
        TableName=TABLE,
        Key={"PK": {"S": "SLOTS"}, "SK": {"S": "BEDROCK"}},
        UpdateExpression="ADD holders :h",
        ExpressionAttributeValues={":h": {"SS": [holder]}},
    )


def throttle_once(monkeypatch: pytest.MonkeyPatch, obj: Any, name: str) -> list[int]:
    """Make ``obj.name`` raise ThrottlingError on its first call only."""
    real = getattr(obj, name)
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ThrottlingError(f"{name}: AWS is throttling")
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, flaky)
    return calls


# ------------------------------------------------------------------------------ D1


def test_d1_a_throttled_resume_is_retried_by_the_redelivered_event(
    cloud: Cloud, sfn_tasks: TaskCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tracked(cloud, token="tok")
    throttle_once(monkeypatch, default_deps().sfn, "send_task_success")
    event = bedrock_event(state, "Completed", event_id="e-1", time="2026-11-28T12:00:00Z")
    with pytest.raises(ThrottlingError):
        invoke("on_job_state_change", event)
    assert sfn_tasks.of("success") == []
    job = job_item(cloud, state["job"]["jobArn"])
    assert job["status"] == "Completed" and job["GSI2PK"] == "JOB#ENDED"  # still findable
    result = invoke("on_job_state_change", event)  # EventBridge/Lambda retry: same event id
    assert result["reason"] == "duplicate" and result["resumed"] is True
    assert [token for token, _ in sfn_tasks.of("success")] == ["tok"]
    assert "GSI2PK" not in job_item(cloud, state["job"]["jobArn"])


def test_d1_a_throttled_resume_is_recovered_by_the_reconciler(
    cloud: Cloud, sfn_tasks: TaskCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tracked(cloud, token="tok")
    throttle_once(monkeypatch, default_deps().sfn, "send_task_success")
    event = bedrock_event(state, "Completed", event_id="e-1", time="2026-11-28T12:00:00Z")
    with pytest.raises(ThrottlingError):
        invoke("on_job_state_change", event)
    # the event is never delivered again (its retries ran out): the sweep resumes it
    report = reconcile()
    assert report["resumed"] == 1
    [(token, payload)] = sfn_tasks.of("success")
    assert token == "tok" and payload["status"] == "Completed"
    assert reconcile()["resumed"] == 0  # once


# ------------------------------------------------------------------------------ D2


def test_d2_giving_up_stops_the_job_and_keeps_its_slot_until_it_has_stopped(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = tracked(cloud, token="tok")
    holder = state["settings"]["slotHolder"]
    hold_slot(cloud, holder)
    state["error"] = {"Error": "States.HeartbeatTimeout", "Cause": "no heartbeat"}
    out = invoke("stop_customization_job", state)
    assert out["jobArn"] == state["job"]["jobArn"]
    assert (out["status"], out["stopping"]) == ("Stopping", True)
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=state["job"]["jobName"])
    assert described["status"] in {"Stopping", "Stopped"}
    # the run fails (the workflow's notify step), its execution ends
    default_deps().runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        step=Step(name="notify", status="pipeline_failed", at="2026-11-28T12:00:00.000Z"),
    )
    cloud.sfn.stop_execution(executionArn=run_item(cloud, state["runId"])["executionArn"])
    cloud.set_job_status(state["job"]["jobName"], "Stopping")
    assert holder not in reconcile()["slotsReleased"]  # still stopping: the slot is held
    cloud.set_job_status(state["job"]["jobName"], "Stopped")
    report = reconcile()
    assert holder in report["slotsReleased"]
    run = run_item(cloud, state["runId"])
    assert run["status"] == "FAILED" and run["jobStatus"] == "Stopped"


def test_d2_a_job_that_completes_after_its_run_failed_is_announced_with_recover(
    cloud: Cloud, sfn_tasks: TaskCalls
) -> None:
    state = tracked(cloud, token="tok")
    sfn_tasks.gone.add("tok")  # the execution timed out: its task is gone
    default_deps().runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        fields={"error": {"Error": "States.Timeout", "Cause": "job timeout"}},
        step=Step(name="notify", status="pipeline_failed", at="2026-11-28T12:00:00.000Z"),
    )
    cloud.sfn.stop_execution(executionArn=run_item(cloud, state["runId"])["executionArn"])
    cloud.notifications()
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    reconcile()
    run = run_item(cloud, state["runId"])
    assert run["status"] == "FAILED"  # I3: the ending stays
    assert run["jobStatus"] == "Completed" and run["outputModelArn"]
    [note] = cloud.notifications()
    assert note["kind"] == "model_not_registered"
    assert f"bedrock-tuner runs recover {state['runId']}" in note["text"]
    assert run["outputModelArn"] in note["text"]
    reconcile()
    assert cloud.notifications() == []  # once


# ------------------------------------------------------------------------------ D4


def test_d4_a_stop_while_the_job_is_created_stops_the_job(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = validated(cloud)
    deps = default_deps()
    real_create = deps.bedrock.create_job

    def create_then_person_stops(request: dict[str, Any]) -> str:
        arn = real_create(request)
        deps.runs.update(
            state["runId"], fields={"stopRequested": {"by": "alice", "reason": "oops"}}
        )
        return arn

    monkeypatch.setattr(deps.bedrock, "create_job", create_then_person_stops)
    with pytest.raises(RunStoppedError):
        invoke("start_customization_job", state)
    [summary] = cloud.bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    assert summary["status"] in {"Stopping", "Stopped"}
    assert job_item(cloud, summary["jobArn"])["stopRequestedAt"]


def test_d4_a_stopped_run_never_creates_a_job(cloud: Cloud) -> None:
    state = validated(cloud)
    default_deps().runs.update(
        state["runId"], fields={"stopRequested": {"by": "alice", "reason": "oops"}}
    )
    with pytest.raises(RunStoppedError):
        invoke("start_customization_job", state)
    assert cloud.bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []


# ------------------------------------------------------------------------------ I2 / adopt


def test_a_job_of_an_ended_run_the_table_never_recorded_is_stopped(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start step died after Bedrock created the job; the run then failed."""
    state = validated(cloud)
    deps = default_deps()
    monkeypatch.setattr(deps.jobs, "put", lambda **kw: (_ for _ in ()).throw(ThrottlingError("x")))
    with pytest.raises(ThrottlingError):
        invoke("start_customization_job", state)
    monkeypatch.undo()
    from integration.conftest import reset_deps

    reset_deps()
    default_deps().runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        step=Step(name="notify", status="pipeline_failed", at="2026-11-28T12:00:00.000Z"),
    )
    report = reconcile()
    [job_arn] = report["jobsAdopted"]
    assert report["jobsStopped"] == [job_arn]
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=job_arn.rsplit("/", 1)[-1])
    assert described["status"] in {"Stopping", "Stopped"}


# ------------------------------------------------------------------------------ I3 / I7


def test_a_run_whose_execution_ended_without_an_outcome_is_settled(cloud: Cloud) -> None:
    """The notify step crashed (or a person stopped the execution): the run says so."""
    state = start_run(cloud)
    cloud.sfn.stop_execution(
        executionArn=run_item(cloud, state["runId"])["executionArn"],
        error="Manual",
        cause="stopped in the console",
    )
    cloud.notifications()
    report = reconcile()
    assert report["runsSettled"] == [state["runId"]]
    run = run_item(cloud, state["runId"])
    assert run["status"] == "FAILED"
    [note] = cloud.notifications()
    assert note["kind"] == "pipeline_failed" and note["run_id"] == state["runId"]
    assert reconcile()["runsSettled"] == []  # no longer active


# ------------------------------------------------------------------------------ D9


def test_d9_the_slot_of_a_hand_started_execution_is_freed(cloud: Cloud) -> None:
    """A run the workflow created itself (execution started by hand) has no executionArn."""
    holder = "handmade-r0123456789ab"
    cloud.sfn.start_execution(stateMachineArn=cloud.state_machine_arn, name=holder, input="{}")
    arn = cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{holder}"
    hold_slot(cloud, holder)
    assert holder not in reconcile()["slotsReleased"]  # running: kept
    cloud.sfn.stop_execution(executionArn=arn)
    assert holder in reconcile()["slotsReleased"]
    assert default_deps().jobs.slot_holders() == []


def test_d9_a_holder_with_a_running_job_keeps_its_slot(cloud: Cloud) -> None:
    state = started_job(cloud)
    holder = state["settings"]["slotHolder"]
    hold_slot(cloud, holder)
    cloud.sfn.stop_execution(executionArn=run_item(cloud, state["runId"])["executionArn"])
    assert holder not in reconcile()["slotsReleased"]


# ------------------------------------------------------------------------------ D10-D12


DEEP_YAML = "base_model: amazon.nova-lite-v1:0:300k\ntags: " + "[" * 20000 + "]" * 20000 + "\n"


def test_d10_a_deeply_nested_spec_is_reported_not_a_silent_crash(cloud: Cloud) -> None:
    from integration.helpers import KEY, RECORDS

    cloud.put_spec("support-bot", DEEP_YAML)
    uploaded = cloud.upload(KEY, RECORDS)
    result = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert result["status"] == "spec_error"
    [note] = cloud.notifications()
    assert note["kind"] == "spec_error" and "nesting deeper than" in note["text"]


def test_d10_d12_hostile_bodies_get_problems_not_500(cloud: Cloud) -> None:
    from bedrock_tuner.pipeline.spec import SPEC_MAX_BYTES
    from integration.test_api import call

    call("PUT", "/pipelines/deep", body={"spec": DEEP_YAML}).problem(422, "BT_SPEC")
    nested = '{"datasetUri": ' + "[" * 100000 + "]" * 100000 + "}"
    call("POST", "/runs", body=nested).problem(400, "BT_INVALID_BODY")
    moderately = call("PUT", "/pipelines/deep", body='{"spec": ' * 60 + '"x"' + "}" * 60)
    assert moderately.status == 422, moderately.text
    huge = "base_model: amazon.nova-lite-v1:0:300k\n" + "#" * SPEC_MAX_BYTES
    call("PUT", "/pipelines/big", body={"spec": huge}).problem(422, "BT_INVALID_REQUEST")


def test_d12_a_huge_spec_object_is_refused_without_reading_it(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integration.helpers import KEY, RECORDS

    cloud.put_spec("support-bot", "base_model: amazon.nova-lite-v1:0:300k\n" + "#" * 3_000_000)
    uploaded = cloud.upload(KEY, RECORDS)
    result = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert result["status"] == "spec_error" and "over the limit" in result["reason"]


# ------------------------------------------------------------------------------ D3


def test_d3_a_non_utf8_metrics_file_does_not_fail_the_registration(cloud: Cloud) -> None:
    from integration.test_register_model_version import completed

    state = completed(cloud)
    from integration.conftest import BUCKET

    prefix = state["job"]["outputUri"].removeprefix(f"s3://{BUCKET}/")
    cloud.s3.put_object(
        Bucket=BUCKET,
        Key=f"{prefix}model-customization-job-abc123/training_artifacts/step_wise_training_metrics.csv",
        Body=b"step_number,training_loss\n1,\xff\xfe0.5\n",
    )
    output = invoke("register_model_version", state)
    assert output["version"] == 1


def test_d3_a_model_whose_registration_failed_is_recovered_by_a_person(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_tuner.errors import TransientError
    from integration.test_api import call
    from integration.test_register_model_version import completed

    state = completed(cloud)
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    deps = default_deps()
    with monkeypatch.context() as broken:

        def down(*args: Any, **kwargs: Any) -> Any:
            raise TransientError("DynamoDB TransactWriteItems: internal error")

        broken.setattr(deps.versions, "register", down)
        with pytest.raises(TransientError):
            invoke("register_model_version", state)
    # the workflow's Catch: Notify failure with the error (the job completed)
    state["error"] = {"Error": "TransientError", "Cause": "DynamoDB internal error"}
    cloud.notifications()
    invoke("notify", {"kind": "pipeline_failed", "run": state})
    [failed] = cloud.notifications()
    assert f"bedrock-tuner runs recover {state['runId']}" in failed["text"]
    assert failed["details"]["recover"]
    assert run_item(cloud, state["runId"])["status"] == "FAILED"
    # a person runs the printed command (POST /runs/{id}/recover)
    reply = call("POST", f"/runs/{state['runId']}/recover", body={})
    assert reply.status == 200, reply.text
    recovered = reply.json()
    assert (recovered["status"], recovered["version"]) == ("registered", 1)
    run = run_item(cloud, state["runId"])
    assert run["status"] == "SUCCEEDED" and run["version"] == 1
    [ok] = cloud.notifications()
    assert ok["kind"] == "succeeded"
    again = call("POST", f"/runs/{state['runId']}/recover", body={}).json()
    assert (again["status"], again["version"]) == ("already registered", 1)
    assert cloud.notifications() == []  # once


def test_recover_refuses_what_it_cannot_recover(cloud: Cloud) -> None:
    from integration.test_api import call

    state = validated(cloud)
    call("POST", f"/runs/{state['runId']}/recover", body={}).problem(409, "BT_CONFLICT")
    default_deps().runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        step=Step(name="notify", status="pipeline_failed", at="2026-11-28T12:00:00.000Z"),
    )
    problem = call("POST", f"/runs/{state['runId']}/recover", body={}).problem(400, "BT_USAGE")
    assert "runs start" in problem["fix"]


# ------------------------------------------------------------------------------ D4 / D18


def test_d18_a_run_stopped_before_its_job_tells_people(cloud: Cloud) -> None:
    from integration.test_api import call

    state = validated(cloud)
    cloud.notifications()
    reply = call("POST", f"/runs/{state['runId']}/stop", body={"reason": "wrong data"})
    assert reply.status == 200, reply.text
    assert reply.json()["executionStopped"] is True
    run = run_item(cloud, state["runId"])
    assert run["status"] == "FAILED" and run["error"]["Error"] == "StoppedByUser"
    [note] = cloud.notifications()
    assert note["kind"] == "run_stopped" and "wrong data" in note["text"]
    assert "nothing was trained" in note["text"]
    call("POST", f"/runs/{state['runId']}/stop", body={}).problem(409, "BT_CONFLICT")


def test_d4_a_stop_through_the_api_during_the_start_stops_the_new_job(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integration.test_api import call

    state = validated(cloud)
    deps = default_deps()
    real_create = deps.bedrock.create_job

    def create_while_a_person_stops(request: dict[str, Any]) -> str:
        arn = real_create(request)
        reply = call("POST", f"/runs/{state['runId']}/stop", body={"reason": "changed my mind"})
        assert reply.status == 200, reply.text
        return arn

    monkeypatch.setattr(deps.bedrock, "create_job", create_while_a_person_stops)
    with pytest.raises(RunStoppedError):
        invoke("start_customization_job", state)
    [summary] = cloud.bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
    assert summary["status"] in {"Stopping", "Stopped"}
    run = run_item(cloud, state["runId"])
    assert run["status"] == "FAILED"  # never TRAINING: the stop came first
