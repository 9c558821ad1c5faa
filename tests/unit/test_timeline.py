"""A run's timeline from the execution history, the run's steps and the job's sub-stages."""

from __future__ import annotations

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
