"""The pipeline end to end on the local cloud: the real template.yaml, the real ASL, the real
handlers, the Bedrock simulator. Each scenario asserts what was stored and what was notified.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud.api_server import LOCAL_USER_ARN
from bedrock_tuner_localcloud.server import LocalCloud

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
BROKEN = ROOT / "examples" / "datasets" / "support-chat.broken.jsonl"
MODEL = "amazon.nova-2-lite-v1:0:256k"  # has a dated price, so cost is known


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "base_model": MODEL,
        "customization_type": "FINE_TUNING",
        "budget": {"auto_approve_usd": 25, "max_usd": 500},
        "notify": {"emails": ["ml-team@example.com"]},
        "tags": {"team": "e2e"},
    }
    base.update(overrides)
    return base


# ----------------------------------------------------------------------------- helpers
def table_items(cloud: LocalCloud, prefix: str) -> list[dict[str, Any]]:
    ddb = cloud.client("dynamodb")
    table = cloud.stack.physical_id("StateTable")
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items += [i for i in page["Items"] if i["PK"]["S"].startswith(prefix)]
    return items


def versions(cloud: LocalCloud, family: str) -> list[dict[str, Any]]:
    return sorted(
        (i for i in table_items(cloud, f"MODEL#{family}") if i["SK"]["S"].startswith("VERSION#")),
        key=lambda i: i["SK"]["S"],
    )


def executions(cloud: LocalCloud, since: float | None = None) -> list[dict[str, Any]]:
    """Executions of the state machine (started at or after ``since``, default: this test)."""
    sfn = cloud.client("stepfunctions")
    arn = cloud.stack.physical_id("CustomizationStateMachine")
    since = TEST_STARTED[0] if since is None else since
    out: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
        out += [e for e in page["executions"] if e["startDate"].timestamp() >= since]
    return out


TEST_STARTED = [0.0]


@pytest.fixture(autouse=True)
def _test_start() -> None:
    TEST_STARTED[0] = time.time()


def history(cloud: LocalCloud, execution_arn: str) -> list[dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events += page["events"]
    return events


def entered_states(cloud: LocalCloud, execution_arn: str) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in history(cloud, execution_arn)
        if "stateEnteredEventDetails" in e
    ]


def invoke(cloud: LocalCloud, logical_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.stack.physical_id(logical_id), Payload=json.dumps(payload).encode()
    )
    body = json.loads(response["Payload"].read() or b"null")
    assert "FunctionError" not in response, body
    return body if isinstance(body, dict) else {"result": body}


def decide(cloud: LocalCloud, run_id: str, decision: str) -> dict[str, Any]:
    """``POST /approvals/{run_id}`` on the local API front, as a person with curl."""
    request = urllib.request.Request(
        f"{cloud.api_url}/approvals/{run_id}",
        data=json.dumps({"decision": decision, "reason": "e2e"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def wait_until(predicate: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


def object_created(upload: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "3c1b2f5e-0d1e-4a7b-9c2d-0e4f5a6b7c8d",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-28T06:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{upload.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": upload.bucket},
            "object": {
                "key": upload.key,
                "size": GOOD.stat().st_size,
                "etag": upload.etag,
                "version-id": upload.version_id,
                "sequencer": "0062E99A88DC407460",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def schedule_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-28T06:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/reconcile"],
        "detail": {},
    }


# ----------------------------------------------------------------------------- scenarios
def test_happy_path_registers_version_one_with_lineage_and_notifies(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    # Given a pipeline spec and a valid dataset
    upload = upload_dataset("support", GOOD, spec=spec())
    # When the execution ends
    result = wait_for_execution(upload, timeout=60)
    # Then it succeeded through every business step
    assert result["status"] == "SUCCEEDED", result
    states = entered_states(cloud, result["executionArn"])
    for step in (
        "Validate dataset",
        "Acquire a job slot",
        "Start customization job",
        "Wait for the job",
        "Release the job slot",
        "Register model version",
        "Notify success",
    ):
        assert step in states
    assert "Wait for approval" not in states
    # And version 1 of the family holds the lineage
    (item,) = versions(cloud, "support")
    assert item["SK"]["S"].endswith("00000001")
    stored = json.dumps(item)
    for fact in (upload.key, MODEL, "arn:aws:bedrock"):
        assert fact in stored
    # And the report was written next to the data
    s3 = cloud.client("s3")
    report = json.loads(
        s3.get_object(Bucket=upload.bucket, Key=upload.key + ".report.json")["Body"].read()
    )
    assert report["summary"]["valid"] is True
    assert report["summary"]["records"] == 120
    # And the job slot was released
    (slots,) = table_items(cloud, "SLOTS")
    assert not slots.get("holders", {}).get("SS")
    # And people were told of the success, with the version
    (done,) = notifications("succeeded")
    assert "support" in json.dumps(done.body)


def test_invalid_dataset_fails_with_the_top_problems_and_the_report_link(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    upload = upload_dataset("support", BROKEN, spec=spec())
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "FAILED"
    assert result.get("error") == "DatasetInvalid"
    # No Bedrock job started, no version
    assert cloud.bedrock.jobs() == []
    assert versions(cloud, "support") == []
    # The notification names the problems and links the report
    (note,) = notifications("invalid_dataset")
    text = json.dumps(note.body)
    for code in ("E_BLANK_LINE", "E_RESERVED_STRING"):
        assert code in text
    assert upload.key + ".report.json" in text
    # And the report next to the data holds all ten error codes
    s3 = cloud.client("s3")
    report = json.loads(
        s3.get_object(Bucket=upload.bucket, Key=upload.key + ".report.json")["Body"].read()
    )
    assert report["summary"]["valid"] is False
    assert {p["code"] for p in report["problems"] if p["severity"] == "error"} >= {
        "E_ROLE_ORDER",
        "E_WRONG_FORMAT",
    }


def test_bad_spec_starts_nothing_and_says_what_is_wrong(
    cloud: LocalCloud, upload_dataset: Any, notifications: Any
) -> None:
    # Given a spec with a typo'd key and an unknown model
    bad = spec(base_model="amazon.nova-lite-v9", epochs=3)
    upload_dataset("support", GOOD, spec=bad)
    # Then the spec's own check (when it was uploaded) and the run's spec_error both name
    # the problems, and no execution starts
    run_notes = wait_until(
        lambda: [n for n in notifications("spec_error") if n.body["run_id"] != "-"],
        what="the run's spec_error notification",
    )
    (note,) = run_notes
    (upload_check,) = [n for n in notifications("spec_error") if n.body["run_id"] == "-"]
    assert "epochs" in json.dumps(upload_check.body)
    text = json.dumps(note.body)
    assert "base_model" in text and "epochs" in text
    time.sleep(0.5)
    started = executions(cloud)
    sfn = cloud.client("stepfunctions")
    assert started == [], [
        sfn.describe_execution(executionArn=e["executionArn"])["input"][:300] for e in started
    ]


def test_missing_spec_is_reported(
    cloud: LocalCloud, upload_dataset: Any, notifications: Any
) -> None:
    upload_dataset("nospec", GOOD)
    (note,) = wait_until(lambda: notifications("spec_error"), what="spec_error notification")
    assert "pipelines/nospec.yaml" in json.dumps(note.body)
    assert executions(cloud) == []


def test_failed_job_notifies_bedrocks_message_and_frees_the_slot(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    cloud.bedrock.fail_next(None, "Maximum input token count 4919 exceeds limit of 4096")
    upload = upload_dataset("support", GOOD, spec=spec())
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "FAILED"
    assert result.get("error") == "JobFailed"
    assert versions(cloud, "support") == []
    (slots,) = table_items(cloud, "SLOTS")
    assert not slots.get("holders", {}).get("SS")
    (note,) = notifications("job_failed")
    assert "4919" in json.dumps(note.body)


def test_the_same_s3_event_twice_starts_one_execution(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    upload = upload_dataset("support", GOOD, spec=spec())
    wait_for_execution(upload, timeout=60)
    # When EventBridge delivers the same Object Created event again (a new event id)
    invoke(cloud, "OnDatasetUploadedFunction", object_created(upload))
    time.sleep(0.5)
    # Then there is still one execution and one run
    assert len(executions(cloud)) == 1
    assert len([i for i in table_items(cloud, "RUN#") if i["SK"]["S"] == "RUN"]) == 1


def test_lost_terminal_event_is_recovered_by_the_reconciler(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    # Given Bedrock's terminal event is lost
    cloud.bedrock.drop_events_for(None)
    upload = upload_dataset("support", GOOD, spec=spec())
    job = wait_until(cloud.bedrock.jobs, what="a Bedrock job")[0]
    cloud.bedrock.wait_for(job.job_name, {"Completed"}, timeout=30)
    time.sleep(0.5)
    running = [e for e in executions(cloud) if e["status"] == "RUNNING"]
    assert len(running) == 1, "the execution waits for an event that never comes"
    # When the scheduled reconciler runs
    invoke(cloud, "ReconcileJobsFunction", schedule_event())
    # Then the execution resumes and registers the version
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "SUCCEEDED", result
    assert len(versions(cloud, "support")) == 1


def test_duplicate_and_out_of_order_job_events_give_one_version(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    cloud.bedrock.duplicate_events(True)
    cloud.bedrock.out_of_order(True)
    upload = upload_dataset("support", GOOD, spec=spec())
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "SUCCEEDED", result
    time.sleep(0.5)  # let the late InProgress and duplicate events arrive
    assert len(versions(cloud, "support")) == 1
    (job,) = [i for i in table_items(cloud, "JOB#") if i["SK"]["S"] == "JOB"]
    assert job["status"]["S"] == "Completed", "a late InProgress event moved the job backwards"


def test_third_job_waits_for_a_slot_while_two_run(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    # Given slow jobs, so three runs overlap (MaxConcurrentJobs is 2)
    cloud.bedrock.set_speed(15)
    running: set[str] = set()
    peak = [0]
    lock = threading.Lock()

    def watch(job: Any, what: str, status: str) -> None:
        if what != "job":
            return
        with lock:
            if status == "InProgress":
                running.add(job.job_name)
            else:
                running.discard(job.job_name)
            peak[0] = max(peak[0], len(running))

    cloud.bedrock.on_transition(watch)
    uploads = [upload_dataset(f"team{i}", GOOD, spec=spec()) for i in range(3)]
    # When the first two jobs run, the third run is queued in front of the slots
    wait_until(lambda: len(cloud.bedrock.jobs()) >= 2, timeout=30, what="two jobs")
    time.sleep(1.5)
    assert len(cloud.bedrock.jobs()) == 2
    queued = [e for e in executions(cloud) if e["status"] == "RUNNING"]
    waiting = [
        e for e in queued if "Wait for a free slot" in entered_states(cloud, e["executionArn"])
    ]
    assert len(waiting) == 1
    # Then all three finish, never more than two jobs at once
    for upload in uploads:
        assert wait_for_execution(upload, timeout=120)["status"] == "SUCCEEDED"
    assert len(cloud.bedrock.jobs()) == 3
    assert peak[0] == 2


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_run_over_budget_waits_for_approval(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    decision: str,
) -> None:
    # Given a pipeline that auto-approves nothing
    upload = upload_dataset(
        "support", GOOD, spec=spec(budget={"auto_approve_usd": 0, "max_usd": 500})
    )
    # Then it asks for approval and waits
    (ask,) = wait_until(lambda: notifications("approval_needed"), what="approval_needed")
    run_id = ask.body.get("run_id")
    assert run_id
    assert cloud.bedrock.jobs() == []
    # When someone decides, through the API (the approver is the caller)
    decided = decide(cloud, run_id, decision)
    assert decided["by"] == LOCAL_USER_ARN
    result = wait_for_execution(upload, timeout=60)
    if decision == "approve":
        assert result["status"] == "SUCCEEDED", result
        assert len(versions(cloud, "support")) == 1
    else:
        assert result["status"] == "FAILED"
        assert result.get("error") == "NotApproved"
        assert cloud.bedrock.jobs() == []
        assert notifications("approval_rejected")
    (approval,) = [i for i in table_items(cloud, f"RUN#{run_id}") if i["SK"]["S"] == "APPROVAL"]
    assert approval["decidedBy"]["S"] == LOCAL_USER_ARN


def test_run_over_the_hard_maximum_never_starts(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    upload = upload_dataset(
        "support", GOOD, spec=spec(budget={"auto_approve_usd": 0, "max_usd": 0.001})
    )
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "FAILED"
    assert result.get("error") == "OverBudget"
    assert cloud.bedrock.jobs() == []
    assert notifications("over_budget")


def test_bedrock_throttling_on_start_is_retried_then_started(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    # Given Bedrock throttles the next four CreateModelCustomizationJob calls (the SDK retries
    # once per invocation, then the workflow's Retry takes over)
    cloud.bedrock.throttle_next_creates(4)
    upload = upload_dataset("support", GOOD, spec=spec())
    result = wait_for_execution(upload, timeout=60)
    assert result["status"] == "SUCCEEDED", result
    failed = [
        e["taskFailedEventDetails"]["error"]
        for e in history(cloud, result["executionArn"])
        if "taskFailedEventDetails" in e
    ]
    assert failed.count("ThrottlingError") >= 1, "the workflow's Retry never saw the throttling"
    assert set(failed) == {"ThrottlingError"}
    assert len(cloud.bedrock.jobs()) == 1
    assert len(versions(cloud, "support")) == 1
