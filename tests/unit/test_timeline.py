"""A run's timeline from the execution history, the run's steps and the job's sub-stages."""

from __future__ import annotations

import json
from typing import Any

from bedrock_tuner.api.timeline import build_timeline
from bedrock_tuner.pipeline.runs import Step


def entered(name: str, at: str) -> dict[str, Any]:
    return {"type": "TaskStateEntered", "timestamp": at, "stateEnteredEventDetails": {"name": name}}


def exited(name: str, at: str) -> dict[str, Any]:
    return {"type": "TaskStateExited", "timestamp": at, "stateExitedEventDetails": {"name": name}}


HISTORY = [
    {"type": "ExecutionStarted", "timestamp": "2026-11-28T05:00:00+00:00"},
    entered("Validate dataset", "2026-11-28T05:00:01+00:00"),
    exited("Validate dataset", "2026-11-28T05:00:09+00:00"),
    entered("Start customization job", "2026-11-28T05:00:10+00:00"),
    exited("Start customization job", "2026-11-28T05:00:12+00:00"),
    entered("Wait for the job", "2026-11-28T05:00:13+00:00"),
]
JOB = {
    "jobArn": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/abc",
    "status": "InProgress",
    "statusRank": 0,
    "startedAt": "2026-11-28T05:00:12.000Z",
    "stages": {"validation": "Completed", "dataProcessing": "InProgress"},
}


def test_states_have_entered_and_exited_times_and_the_job_its_stages() -> None:
    details = {
        "validationDetails": {
            "status": "Completed",
            "creationTime": "2026-11-28T05:00:14+00:00",
            "lastModifiedTime": "2026-11-28T05:02:00+00:00",
        },
        "dataProcessingDetails": {
            "status": "InProgress",
            "creationTime": "2026-11-28T05:02:00+00:00",
        },
    }
    timeline = build_timeline(history=HISTORY, steps=[], job=JOB, job_details=details)
    assert [(e.name, e.status) for e in timeline] == [
        ("Validate dataset", "done"),
        ("Start customization job", "done"),
        ("Wait for the job", "running"),
    ]
    assert timeline[0].entered_at == "2026-11-28T05:00:01+00:00"
    assert timeline[0].exited_at == "2026-11-28T05:00:09+00:00"
    wait = timeline[-1]
    assert wait.detail == JOB["jobArn"] and wait.exited_at is None
    assert [(s.name, s.status, s.started_at) for s in wait.stages] == [
        ("validation", "Completed", "2026-11-28T05:00:14+00:00"),
        ("dataProcessing", "InProgress", "2026-11-28T05:02:00+00:00"),
    ]


def test_a_failed_state_carries_the_error() -> None:
    history = [
        entered("Start customization job", "t1"),
        {
            "type": "TaskFailed",
            "timestamp": "t2",
            "taskFailedEventDetails": {"error": "JobStartError"},
        },
    ]
    (entry,) = build_timeline(history=history, steps=[])
    assert entry.status == "failed" and entry.detail == "JobStartError"


def test_without_history_the_runs_steps_stand_in_and_the_job_gets_its_own_entry() -> None:
    steps = [Step(name="received", status="ok", at="t0", detail="s3://b/k")]
    timeline = build_timeline(history=[], steps=steps, job=JOB)
    assert [(e.name, e.kind) for e in timeline] == [
        ("received", "step"),
        ("Bedrock customization job", "job"),
    ]
    assert [s.status for s in timeline[-1].stages] == ["Completed", "InProgress"]
    assert timeline[-1].stages[0].started_at is None  # no live details: statuses only


# ------------------------------------------------------------------ failures caught or retried
def event(kind: str, at: str, **details: Any) -> dict[str, Any]:
    """A task event as GetExecutionHistory returns it (details under ``<kind>EventDetails``)."""
    key = kind[0].lower() + kind[1:] + "EventDetails"
    return {"type": kind, "timestamp": at, key: {"resourceType": "lambda", **details}}


def test_a_state_left_through_a_catch_is_failed_with_the_error_not_done() -> None:
    # The approver rejected: the task fails with ApprovalRejected, a Catch moves on.
    history = [
        entered("Wait for approval", "t1"),
        event("TaskScheduled", "t2"),
        event("TaskSubmitted", "t3"),
        event("TaskFailed", "t4", error="ApprovalRejected", cause="rejected by ana: too costly"),
        exited("Wait for approval", "t5"),
        entered("Notify approval rejected", "t6"),
        event("TaskSucceeded", "t7"),
        exited("Notify approval rejected", "t8"),
    ]
    timeline = build_timeline(history=history, steps=[])
    assert [(e.name, e.status) for e in timeline] == [
        ("Wait for approval", "failed"),
        ("Notify approval rejected", "done"),
    ]
    wait = timeline[0]
    assert wait.exited_at == "t5"
    assert wait.detail == "ApprovalRejected: rejected by ana: too costly"


def test_a_slot_not_acquired_is_failed_and_the_next_attempt_has_its_own_entry() -> None:
    cause = "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400)"
    failed = {
        "type": "TaskFailed",
        "timestamp": "t2",
        "taskFailedEventDetails": {
            "resourceType": "dynamodb",
            "error": "DynamoDB.ConditionalCheckFailedException",
            "cause": cause,
        },
    }
    history = [
        entered("Acquire a job slot", "t1"),
        failed,
        exited("Acquire a job slot", "t3"),
        {
            "type": "WaitStateEntered",
            "timestamp": "t4",
            "stateEnteredEventDetails": {"name": "Wait for a free slot"},
        },
        {
            "type": "WaitStateExited",
            "timestamp": "t5",
            "stateExitedEventDetails": {"name": "Wait for a free slot"},
        },
        entered("Acquire a job slot", "t6"),
        event("TaskSucceeded", "t7"),
        exited("Acquire a job slot", "t8"),
    ]
    timeline = build_timeline(history=history, steps=[])
    assert [(e.name, e.status) for e in timeline] == [
        ("Acquire a job slot", "failed"),
        ("Wait for a free slot", "done"),
        ("Acquire a job slot", "done"),
    ]
    assert timeline[0].detail is not None
    assert timeline[0].detail.startswith(
        "DynamoDB.ConditionalCheckFailedException: The conditional"
    )
    assert timeline[2].detail is None


def test_a_task_that_failed_then_succeeded_on_retry_is_done() -> None:
    history = [
        entered("Start customization job", "t1"),
        event("TaskScheduled", "t2"),
        event("TaskFailed", "t3", error="ThrottlingError", cause="slow down"),
        event("TaskScheduled", "t4"),
        event("TaskSucceeded", "t5"),
        exited("Start customization job", "t6"),
    ]
    (entry,) = build_timeline(history=history, steps=[])
    assert (entry.status, entry.detail, entry.exited_at) == ("done", None, "t6")


def test_a_task_waiting_for_its_retry_is_running_and_says_why() -> None:
    history = [
        entered("Start customization job", "t1"),
        event("TaskFailed", "t2", error="ThrottlingError", cause="slow down"),
        event("TaskScheduled", "t3"),
    ]
    (entry,) = build_timeline(history=history, steps=[])
    assert entry.status == "running"
    assert entry.detail == "retrying after ThrottlingError: slow down"


def test_a_lambda_errors_cause_shows_its_message() -> None:
    cause = json.dumps(
        {"errorMessage": "no such model", "errorType": "UnknownModelError", "stackTrace": ["..."]}
    )
    history = [
        entered("Validate dataset", "t1"),
        event("TaskFailed", "t2", error="UnknownModelError", cause=cause),
        exited("Validate dataset", "t3"),
    ]
    (entry,) = build_timeline(history=history, steps=[])
    assert (entry.status, entry.detail) == ("failed", "UnknownModelError: no such model")


def test_the_state_open_when_the_execution_failed_carries_the_executions_error() -> None:
    history = [
        entered("Wait for the job", "t1"),
        {
            "type": "ExecutionFailed",
            "timestamp": "t2",
            "executionFailedEventDetails": {"error": "States.Timeout", "cause": "too slow"},
        },
    ]
    (entry,) = build_timeline(history=history, steps=[])
    assert (entry.status, entry.detail) == ("failed", "States.Timeout: too slow")
