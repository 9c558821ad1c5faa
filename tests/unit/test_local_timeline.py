"""The local cloud's live view (``make demo``, ``bedrock-tuner local up``): one line per step of
an execution, from its history. A state that failed is never shown as a success, even when a
Catch moved the run on; the API's timeline reads the history the same way."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from bedrock_tuner.api.timeline import build_timeline
from bedrock_tuner_cli.demo import HistoryLines

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def history(*events: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as moto's GetExecutionHistory returns them: ids, datetimes, typed details."""
    out = []
    for n, (kind, details) in enumerate(events, start=1):
        event: dict[str, Any] = {"id": n, "type": kind, "timestamp": T0 + timedelta(seconds=n)}
        if kind.endswith("StateEntered"):
            event["stateEnteredEventDetails"] = details
        elif kind.endswith("StateExited"):
            event["stateExitedEventDetails"] = details
        elif details:
            event[kind[0].lower() + kind[1:] + "EventDetails"] = details
        out.append(event)
    return out


def lines_of(events: list[dict[str, Any]]) -> list[str]:
    printer = HistoryLines(name="support-bot-r1", stream=io.StringIO())
    return [line.text.strip() for line in printer.lines(events)]


REJECTED = history(
    ("ExecutionStarted", {}),
    ("TaskStateEntered", {"name": "Wait for approval"}),
    ("TaskScheduled", {"resourceType": "lambda"}),
    ("TaskStarted", {"resourceType": "lambda"}),
    ("TaskSubmitted", {"resourceType": "lambda"}),
    (
        "TaskFailed",
        {"resourceType": "lambda", "error": "ApprovalRejected", "cause": "rejected by ana: costly"},
    ),
    ("TaskStateExited", {"name": "Wait for approval"}),
    ("TaskStateEntered", {"name": "Notify approval rejected"}),
    ("TaskScheduled", {"resourceType": "lambda"}),
    ("TaskSucceeded", {"resourceType": "lambda"}),
    ("TaskStateExited", {"name": "Notify approval rejected"}),
    ("FailStateEntered", {"name": "Not approved"}),
    ("ExecutionFailed", {"error": "NotApproved", "cause": "The run was rejected"}),
)

SLOT_BUSY = history(
    ("TaskStateEntered", {"name": "Acquire a job slot"}),
    ("TaskScheduled", {"resourceType": "dynamodb"}),
    (
        "TaskFailed",
        {
            "resourceType": "dynamodb",
            "error": "DynamoDB.ConditionalCheckFailedException",
            "cause": "The conditional request failed",
        },
    ),
    ("TaskStateExited", {"name": "Acquire a job slot"}),
    ("WaitStateEntered", {"name": "Wait for a free slot"}),
    ("WaitStateExited", {"name": "Wait for a free slot"}),
    ("TaskStateEntered", {"name": "Acquire a job slot"}),
    ("TaskScheduled", {"resourceType": "dynamodb"}),
    ("TaskSucceeded", {"resourceType": "dynamodb"}),
    ("TaskStateExited", {"name": "Acquire a job slot"}),
)


def test_a_rejected_approval_is_shown_failed_not_as_a_success() -> None:
    lines = lines_of(REJECTED)
    assert not [line for line in lines if line.startswith("✓ Wait for approval")], lines
    assert "✗ ApprovalRejected: rejected by ana: costly" in lines
    (left,) = [line for line in lines if line.startswith("✗ Wait for approval")]
    assert "ApprovalRejected" in left
    assert any(line.startswith("✓ Notify approval rejected") for line in lines)
    assert lines[-1] == "■ execution FAILED (NotApproved)"


def test_a_slot_not_acquired_is_shown_failed_and_the_later_acquisition_succeeded() -> None:
    lines = lines_of(SLOT_BUSY)
    exits = [line for line in lines if "Acquire a job slot" in line and line[0] in "✓✗"]
    assert [line[0] for line in exits] == ["✗", "✓"], lines
    assert "DynamoDB.ConditionalCheckFailedException" in exits[0]


def test_the_live_view_and_the_api_timeline_agree() -> None:
    for events in (REJECTED, SLOT_BUSY):
        api = [
            (e.name, "✓" if e.status == "done" else "✗")
            for e in build_timeline(history=events, steps=[])
            if e.exited_at is not None
        ]
        shown = [
            (line[2:].split(" (")[0], line[0])
            for line in lines_of(events)
            if line[:1] in "✓✗" and " (" in line  # a state's exit: "✓ Name (0.00s)"
        ]
        assert shown == api


def test_history_fed_page_by_page_gives_the_same_lines() -> None:
    printer = HistoryLines(name="support-bot-r1", stream=io.StringIO())
    paged = [line.text for part in (REJECTED[:6], REJECTED[6:]) for line in printer.lines(part)]
    assert paged == [
        line.text for line in HistoryLines("support-bot-r1", io.StringIO()).lines(REJECTED)
    ]
