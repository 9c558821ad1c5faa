"""Named fault scenarios on the real workflow (issue 8's D-scenarios where they apply to the
local cloud; the lead's tests/integration/test_reliability.py runs some under plain moto).
Each arms a fault plan or a simulator knob, runs a path, and checks the invariants I1-I7
plus what the scenario is about."""

from __future__ import annotations

import hashlib
from typing import Any

from bedrock_tuner_localcloud.calls import Call, add_interceptor, outside_functions
from faults.harness import GOOD, Harness, Upload, assert_invariants, spec


def versions(harness: Harness) -> list[dict[str, Any]]:
    return harness.world().versions


def test_a_job_that_ended_before_it_was_tracked_resumes_the_run(harness: Harness) -> None:
    """The job ends (and its event is lost) before "Wait for the job" stores its token: the
    tracker sees the ended job and resumes the workflow itself, while its task still runs."""
    cloud = harness.cloud
    cloud.bedrock.drop_events_for(None)

    def hold_tracker_until_the_job_ended(call: Call) -> None:
        if call.function == "TrackJobFunction" and call.operation == "UpdateItem":
            job = harness.wait_until(cloud.bedrock.jobs, what="the job")[0]
            cloud.bedrock.wait_for(job.job_name, {"Completed"}, timeout=10)

    remove = add_interceptor(hold_tracker_until_the_job_ended)
    try:
        harness.upload("early", GOOD, spec=spec())
        report = harness.settle(recover=False)
    finally:
        remove()
    world = harness.world()
    assert_invariants(world, report)
    [run] = world.runs.values()
    assert run["status"] == "SUCCEEDED", run.get("error")
    assert len(world.versions) == 1


def _approval_run(harness: Harness) -> str:
    harness.upload("approval", GOOD, spec=spec(budget={"auto_approve_usd": 0, "max_usd": 500}))
    notes = harness.cloud.notifications.wait_for("approval_needed", timeout=15)
    return str(notes[0].body["run_id"])


def test_an_approval_whose_resume_was_throttled_is_resumed_by_the_next_sweep(
    harness: Harness,
) -> None:
    """The decision is recorded, then SendTaskSuccess is throttled: the person's retry is
    refused (decided already), and the run would wait until the approval times out. The
    reconciler resumes decided approvals within one sweep (I7)."""
    run_id = _approval_run(harness)
    harness.arm(
        {
            "faults": [
                {
                    "function": "ApiFunction",
                    "service": "stepfunctions",
                    "operation": "SendTaskSuccess",
                    "error": "ThrottlingException",
                }
            ]
        }
    )
    assert not harness.approve(run_id, "approve", reason="ok")  # the person sees the throttling
    harness.sweep()  # the next scheduled sweep
    harness.wait_until(
        lambda: harness.runs()[run_id]["status"] not in ("AWAITING_APPROVAL",),
        timeout=5,
        what="the run to move on after one sweep",
    )
    report = harness.settle(recover=False)
    world = harness.world()
    assert_invariants(world, report)
    assert world.runs[run_id]["status"] == "SUCCEEDED"
    assert len(world.versions) == 1


def _one_run(world: Any) -> dict[str, Any]:
    [run] = world.runs.values()
    return dict(run)


def test_d1_a_resume_throttled_at_every_delivery_is_recovered_by_one_sweep(
    harness: Harness,
) -> None:
    """D1: SendTaskSuccess is throttled on the event and on both Lambda retries of it: the
    execution waits for a job that has ended; the next sweep resumes it."""
    harness.arm(
        {
            "faults": [
                {
                    "function": "OnJobStateChangeFunction",
                    "service": "stepfunctions",
                    "operation": "SendTaskSuccess",
                    "error": "ThrottlingException",
                    "times": "always",
                }
            ]
        }
    )
    harness.upload("d1", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    assert report.recovery_sweeps == 1
    assert _one_run(world)["status"] == "SUCCEEDED"
    assert len(world.versions) == 1
    assert len(world.failed_invocations("OnJobStateChangeFunction")) == 3  # alarmed


def test_d2_a_hung_job_is_stopped_and_keeps_its_slot_until_it_has_stopped(
    harness: Harness,
) -> None:
    """D2: the job never ends; the wait times out; "Stop the job" stops it; the run fails and
    says so; the slot is freed once the job has stopped, not before."""
    cloud = harness.cloud
    cloud.bedrock.stall_next(None, stage="training")
    cloud.bedrock.timing.stopping_s = 1.5  # a slow stop: the slot must wait for it
    harness.upload("d2", GOOD, spec=spec())
    job = harness.wait_until(lambda: next(iter(cloud.bedrock.jobs()), None), what="the job")
    harness.wait_until(
        lambda: cloud.bedrock.job(job.job_name).status == "Stopping", timeout=15, what="stop"
    )
    harness.wait_until(lambda: not harness.running(), timeout=10, what="the run to end")
    harness.sweep()
    if cloud.bedrock.job(job.job_name).status == "Stopping":
        assert harness.world().slot_holders, "the slot was freed while the job still stopped"
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    run = _one_run(world)
    assert run["status"] == "FAILED" and run["jobStatus"] == "Stopped"
    assert world.jobs[0].status == "Stopped"
    [note] = [n for n in world.notifications if n.kind == "pipeline_failed"]
    assert "States.Timeout" in note.message or "HeartbeatTimeout" in note.message


def test_d2_a_job_that_completes_after_its_run_failed_is_announced_with_recover(
    harness: Harness,
) -> None:
    """D2: the run gave up and could not stop the job (no permission); the job then
    completes: the trained model is on the run and people are told how to register it."""
    cloud = harness.cloud
    cloud.bedrock.stall_next(None, stage="training")
    harness.arm(
        {
            "faults": [
                {
                    "function": "StopCustomizationJobFunction",
                    "service": "bedrock",
                    "operation": "StopModelCustomizationJob",
                    "error": "AccessDeniedException",
                    "times": "always",
                },
                {
                    "function": "ReconcileJobsFunction",
                    "service": "bedrock",
                    "operation": "StopModelCustomizationJob",
                    "error": "AccessDeniedException",
                    "times": "always",
                },
            ]
        }
    )
    harness.upload("d2b", GOOD, spec=spec())
    job = harness.wait_until(lambda: next(iter(cloud.bedrock.jobs()), None), what="the job")
    harness.wait_until(lambda: not harness.running(), timeout=15, what="the run to end")
    job = cloud.bedrock.job(job.job_name)
    assert job.status == "InProgress"  # nobody could stop it
    cloud.bedrock.unstall(job.job_name)
    cloud.bedrock.wait_for(job.job_name, {"Completed"})
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    run = _one_run(world)
    assert run["status"] == "FAILED"  # I3: the ending stays
    assert run["outputModelArn"] == world.jobs[0].output_model_arn
    [note] = [n for n in world.notifications if n.kind == "model_not_registered"]
    assert f"bedrock-tuner runs recover {run['runId']}" in note.message


def test_d4_a_run_stopped_while_its_job_is_created_keeps_no_job(harness: Harness) -> None:
    """D4: a person stops the run while CreateModelCustomizationJob is in flight: the start
    step sees the stop after Bedrock answered and stops the job it just created."""
    table = harness.table
    ddb = harness.cloud.client("dynamodb")

    def person_stops_the_run(call: Call) -> None:
        if call.operation == "CreateModelCustomizationJob":
            run_id = str(call.params["clientRequestToken"])
            ddb.update_item(
                TableName=table,
                Key={"PK": {"S": f"RUN#{run_id}"}, "SK": {"S": "RUN"}},
                UpdateExpression="SET stopRequested = :s",
                ExpressionAttributeValues={
                    ":s": {"M": {"by": {"S": "alice"}, "reason": {"S": "wrong data"}}}
                },
            )

    remove = add_interceptor(person_stops_the_run)
    try:
        harness.upload("d4", GOOD, spec=spec())
        report = harness.settle()
    finally:
        remove()
    world = harness.world()
    assert_invariants(world, report)
    [job] = world.jobs
    assert job.status == "Stopped"
    assert _one_run(world)["status"] == "FAILED"
    assert world.versions == []


def test_d8_the_outcome_is_recorded_when_no_notification_can_be_sent(harness: Harness) -> None:
    """D8: the notify function may not publish: the run still says SUCCEEDED with its
    version, and the failure alarms (NotificationFailed)."""
    harness.arm(
        {
            "faults": [
                {
                    "function": "NotifyFunction",
                    "service": "sns",
                    "operation": "Publish",
                    "error": "AuthorizationError",
                    "times": "always",
                }
            ]
        }
    )
    harness.upload("d8", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    run = _one_run(world)
    assert run["status"] == "SUCCEEDED" and run["outcome"] == "succeeded"
    assert run.get("version") == 1
    assert "succeeded" not in (run.get("notifications") or {})  # released: nothing was sent
    assert world.metrics["NotificationFailed"] >= 1
    assert [n.kind for n in world.notifications] == []


def test_d9_slots_held_by_executions_that_no_longer_run_are_freed(harness: Harness) -> None:
    """D9: both slots are held by executions that died (started by hand, stopped): new runs
    queue; one sweep frees the slots and the runs go on (I4)."""
    ddb = harness.cloud.client("dynamodb")
    ddb.update_item(
        TableName=harness.table,
        Key={"PK": {"S": "SLOTS"}, "SK": {"S": "BEDROCK"}},
        UpdateExpression="ADD holders :h",
        ExpressionAttributeValues={
            ":h": {"SS": ["handmade-r0123456789ab", "handmade-r0123456789ac"]}
        },
    )
    harness.upload("d9", GOOD, spec=spec())
    harness.wait_until(
        lambda: (
            harness.call_counts()[("NotifyFunction", "sns", "Publish")]
            or any(e["status"] == "RUNNING" for e in harness.executions().values())
        ),
        what="the run to start",
    )
    assert harness.cloud.bedrock.jobs() == []  # no slot: it waits
    harness.sweep()
    report = harness.settle(recover=False)
    world = harness.world()
    assert_invariants(world, report)
    assert _one_run(world)["status"] == "SUCCEEDED"


def test_d14_a_notify_retried_after_publishing_does_not_send_twice(harness: Harness) -> None:
    """D14: SNS accepted the message, then recording its id was throttled: the workflow
    retries the step, which must not publish again (I6)."""
    # notify_run's UpdateItems for "succeeded": outcome, approval expiry, claim (2), record
    harness.arm(
        {
            "faults": [
                {
                    "function": "NotifyFunction",
                    "service": "dynamodb",
                    "operation": "UpdateItem",
                    "error": "ThrottlingException",
                    "after": 4,
                }
            ]
        }
    )
    harness.upload("d14", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    assert [n.kind for n in world.notifications] == ["succeeded"]
    assert harness.call_counts()[("NotifyFunction", "sns", "Publish")] == 1
    assert len(world.failed_invocations("NotifyFunction")) == 1


def test_d17_a_timed_out_approval_is_no_longer_pending(harness: Harness) -> None:
    """D17: nobody decides: the wait times out, the run says why, the approval is EXPIRED."""
    run_id = _approval_run(harness)
    report = harness.settle(timeout=20)
    world = harness.world()
    assert_invariants(world, report)
    assert world.runs[run_id]["status"] == "REJECTED"
    ddb = harness.cloud.client("dynamodb")
    approval = ddb.get_item(
        TableName=harness.table, Key={"PK": {"S": f"RUN#{run_id}"}, "SK": {"S": "APPROVAL"}}
    )["Item"]
    assert approval["status"]["S"] == "EXPIRED" and "GSI2PK" not in approval
    assert {n.kind for n in world.notifications} == {"approval_needed", "approval_rejected"}


def test_a_job_trains_on_the_validated_bytes_when_the_object_changes_meanwhile(
    harness: Harness,
) -> None:
    """I5: someone uploads new data to the same key between validation and the job start:
    the job trains on the run's own copy, and the lineage is of the validated bytes."""
    s3 = harness.cloud.client("s3")
    other = GOOD.read_bytes().replace(b"order", b"parcel")
    key = "datasets/i5/train.jsonl"

    def overwrite_before_the_job(call: Call) -> None:
        if call.operation == "CreateModelCustomizationJob" and len(harness.uploads) == 1:
            with outside_functions():  # a person uploads, not the function that runs
                put = s3.put_object(Bucket=harness.bucket, Key=key, Body=other)
            harness.uploads.append(Upload(harness.bucket, key, put.get("VersionId"), other))

    remove = add_interceptor(overwrite_before_the_job)
    try:
        first = harness.upload("i5", GOOD, spec=spec())
        harness.wait_until(lambda: len(harness.uploads) == 2, what="the job start")
        report = harness.settle()
    finally:
        remove()
    world = harness.world()
    assert_invariants(world, report)
    mine = [v for v in world.versions if v["dataset"].get("versionId") == first.version_id]
    [version] = mine
    assert version["dataset"]["sha256"] == first.sha256
    trained = next(j for j in world.jobs if j.job_name.endswith(version["runId"]))
    bucket, key = trained.training_data_config["s3Uri"][5:].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == first.sha256


def test_a_crashed_registration_names_the_trained_model(harness: Harness) -> None:
    """I1: the registration function's runtime dies: the run fails, its record and its
    notification name the custom model and how to register it."""
    harness.arm({"faults": [{"function": "RegisterModelVersionFunction", "error": "crash"}]})
    harness.upload("crash", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    run = _one_run(world)
    model = world.jobs[0].output_model_arn
    assert run["status"] == "FAILED" and run["outputModelArn"] == model
    assert any(model and model in n.message for n in world.notifications)


def test_late_and_repeated_job_events_after_the_end_change_nothing(harness: Harness) -> None:
    """I3: every job event arrives twice and InProgress after the terminal one: one version,
    and the run's terminal status never moves."""
    harness.cloud.bedrock.duplicate_events(True)
    harness.cloud.bedrock.out_of_order(True)
    harness.upload("late", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    assert len(world.versions) == 1
    assert world.status_history[_one_run(world)["runId"]][-1] == "SUCCEEDED"


def test_a_crashed_event_handler_is_made_up_for_by_the_sweep(harness: Harness) -> None:
    """I7: the job-state function crashes on every event (and its retries): one sweep
    resumes the run."""
    harness.arm(
        {"faults": [{"function": "OnJobStateChangeFunction", "error": "crash", "times": "always"}]}
    )
    harness.upload("crashed", GOOD, spec=spec())
    report = harness.settle()
    world = harness.world()
    assert_invariants(world, report)
    assert report.recovery_sweeps == 1
    assert _one_run(world)["status"] == "SUCCEEDED"


def test_a_run_that_waits_long_for_a_slot_says_so_once(harness: Harness) -> None:
    """I4: three runs, two slots: never more than two jobs; the third tells people it waits
    (once), then runs."""
    harness.cloud.bedrock.set_speed(11)
    for name in ("slot-a", "slot-b", "slot-c"):
        harness.upload(name, GOOD, spec=spec())
    report = harness.settle(recover=False)
    world = harness.world()
    assert_invariants(world, report)
    assert world.peak_jobs == 2
    waiting = [n for n in world.notifications if n.kind == "waiting_for_slot"]
    assert len(waiting) == 1
    assert sorted(r["status"] for r in world.runs.values()) == ["SUCCEEDED"] * 3
