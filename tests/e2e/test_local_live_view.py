"""The live view (``make demo``, ``bedrock-tuner local up``) and the API's run timeline on real
executions: a state that failed is shown failed even when a Catch moved the run on."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.api.timeline import build_timeline
from bedrock_tuner_cli.demo import Timeline
from bedrock_tuner_localcloud.server import LocalCloud

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
SPEC = {
    "base_model": "amazon.nova-2-lite-v1:0:256k",
    "customization_type": "FINE_TUNING",
    "budget": {"auto_approve_usd": 0, "max_usd": 500},  # every run asks for approval
}


def _history(cloud: LocalCloud, arn: str) -> list[dict[str, Any]]:
    pages = cloud.client("stepfunctions").get_paginator("get_execution_history")
    return [e for page in pages.paginate(executionArn=arn) for e in page["events"]]


def _decide(cloud: LocalCloud, run_id: str, decision: str) -> None:
    """Through the local API, as a person would (``POST /approvals/{run_id}``)."""
    request = urllib.request.Request(
        f"{cloud.api_url}/approvals/{run_id}",
        data=json.dumps({"decision": decision, "reason": "timeline test"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def _wait_for(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def _state_exits(text: str, state: str) -> list[str]:
    return [
        line.split("s ", 1)[1].strip()
        for line in text.splitlines()
        if f" {state} (" in line and line.split("s ", 1)[1].strip()[:1] in "✓✗"
    ]


def test_a_rejected_run_and_a_queued_slot_show_failed_states(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    out = io.StringIO()
    timeline = Timeline(cloud, out, time.time())
    # Given both job slots are taken, and two runs that wait for approval
    table = cloud.stack.physical_id("StateTable")
    ddb = cloud.client("dynamodb")
    ddb.put_item(
        TableName=table,
        Item={"PK": {"S": "SLOTS"}, "SK": {"S": "BEDROCK"}, "holders": {"SS": ["a", "b"]}},
    )
    rejected = upload_dataset("rejected", GOOD, spec=SPEC)
    queued = upload_dataset("queued", GOOD, spec=SPEC)
    asks = _wait_for(
        lambda: len(notifications("approval_needed")) >= 2 and notifications("approval_needed")
    )
    by_pipeline = {n.body["pipeline"]: n.body["run_id"] for n in asks}
    # When one is rejected and the other approved (it queues: no free slot)
    _decide(cloud, by_pipeline["rejected"], "reject")
    _decide(cloud, by_pipeline["queued"], "approve")
    assert wait_for_execution(rejected)["status"] == "FAILED"
    queued_arn = _wait_for(
        lambda: next(
            (
                e["executionArn"]
                for e in cloud.client("stepfunctions").list_executions(
                    stateMachineArn=cloud.stack.physical_id("CustomizationStateMachine")
                )["executions"]
                if e["name"].startswith("queued-")
                and sum(
                    1
                    for ev in _history(cloud, e["executionArn"])
                    if ev["type"] == "WaitStateEntered"
                )
                >= 1
            ),
            None,
        )
    )
    # and a slot frees up, so the queued run acquires one at its next attempt
    ddb.delete_item(TableName=table, Key={"PK": {"S": "SLOTS"}, "SK": {"S": "BEDROCK"}})
    assert wait_for_execution(queued, timeout=60)["status"] == "SUCCEEDED"
    cloud.bridge.wait_idle(timeout=5)
    timeline.poll()
    text = out.getvalue()

    # Then the live view shows the rejected approval and the busy slot as failures
    wait_exits = _state_exits(text, "Wait for approval")
    assert sorted(line[0] for line in wait_exits) == ["✓", "✗"], text
    assert any(line.startswith("✗") and "ApprovalRejected" in line for line in wait_exits)
    slot_exits = [line[0] for line in _state_exits(text, "Acquire a job slot")]
    assert slot_exits[0] == "✗" and slot_exits[-1] == "✓", text

    # And the API's timeline says the same of the same histories
    rejected_arn = next(
        e["executionArn"]
        for e in cloud.client("stepfunctions").list_executions(
            stateMachineArn=cloud.stack.physical_id("CustomizationStateMachine")
        )["executions"]
        if e["name"].startswith("rejected-")
    )
    entries = build_timeline(history=_history(cloud, rejected_arn), steps=[])
    (wait,) = [e for e in entries if e.name == "Wait for approval"]
    assert wait.status == "failed" and wait.detail and wait.detail.startswith("ApprovalRejected")
    slots = [
        e.status
        for e in build_timeline(history=_history(cloud, queued_arn), steps=[])
        if e.name == "Acquire a job slot"
    ]
    assert slots[0] == "failed" and slots[-1] == "done"
