"""What the moto patches fix, each checked through the public API of the running local cloud:
the Step Functions interpreter fixes, the S3 → EventBridge event shape, rule targets (Lambda,
schedules, disabled rules) and the Lambda bridge's runtime semantics."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud import patches
from bedrock_tuner_localcloud.bridge import FunctionSpec
from bedrock_tuner_localcloud.server import LocalCloud

ROLE = "arn:aws:iam::123456789012:role/patch-tests"  # not assumed: state machines only


def _machine(cloud: LocalCloud, definition: dict[str, Any]) -> str:
    sfn = cloud.client("stepfunctions")
    name = f"patch-test-{uuid.uuid4().hex[:8]}"
    return str(
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
    )


def _run(cloud: LocalCloud, machine: str, data: Any, timeout: float = 10) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=machine, name=uuid.uuid4().hex, input=json.dumps(data)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        described = dict(sfn.describe_execution(executionArn=arn))
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            described["output"] = json.loads(described.get("output") or "null")
            return described
        time.sleep(0.02)


@pytest.fixture
def test_function(cloud: LocalCloud, tmp_path: Path) -> Iterator[Callable[..., FunctionSpec]]:
    """``make(source, timeout=3, on_failure=None)``: a Lambda function in moto whose handler is
    ``source`` (the body of app.py), registered with the bridge."""
    lam = cloud.client("lambda")
    made: list[str] = []

    def make(
        source: str, *, timeout: int = 3, retries: int = 2, on_failure: str | None = None
    ) -> FunctionSpec:
        name = f"patch-test-{uuid.uuid4().hex[:8]}"
        code_dir = tmp_path / name
        code_dir.mkdir()
        (code_dir / "app.py").write_text(source)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", source)
        config = lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=cloud.stack.arn("NotifyFunctionRole"),
            Handler="app.handler",
            Code={"ZipFile": buf.getvalue()},
            Timeout=timeout,
        )
        spec = FunctionSpec(
            logical_id=name,
            name=name,
            arn=config["FunctionArn"],
            code_dir=code_dir,
            handler="app.handler",
            timeout_s=float(timeout),
            memory_mb=128,
            environment={},
            max_async_retries=retries,
            on_failure_arn=on_failure,
        )
        cloud.bridge.register(spec)
        made.append(name)
        return spec

    yield make
    for name in made:
        cloud.bridge.unregister(name)
        lam.delete_function(FunctionName=name)


# ------------------------------------------------------------------ Step Functions interpreter
def test_json_path_into_an_array_element_gives_the_value(cloud: LocalCloud) -> None:
    machine = _machine(
        cloud,
        {
            "StartAt": "Pick",
            "States": {
                "Pick": {
                    "Type": "Pass",
                    "Parameters": {"first.$": "$.items[0].name", "all.$": "$.items[*].name"},
                    "End": True,
                }
            },
        },
    )
    result = _run(cloud, machine, {"items": [{"name": "a"}, {"name": "b"}]})
    assert result["output"] == {"first": "a", "all": ["a", "b"]}


def test_task_failure_cause_reaches_the_catch(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function(
        "import boto3, json\n"
        "def handler(event, context):\n"
        "    boto3.client('stepfunctions').send_task_failure(taskToken=event['token'], error='ApprovalRejected', cause='too expensive')\n"
    )
    machine = _machine(
        cloud,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": fn.arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 5,
                    "Catch": [
                        {
                            "ErrorEquals": ["ApprovalRejected"],
                            "ResultPath": "$.error",
                            "Next": "Done",
                        }
                    ],
                    "End": True,
                },
                "Done": {"Type": "Pass", "End": True},
            },
        },
    )
    assert _run(cloud, machine, {})["output"]["error"] == {
        "Error": "ApprovalRejected",
        "Cause": "too expensive",
    }


def test_missed_heartbeat_is_a_heartbeat_timeout(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function("def handler(event, context):\n    return None\n")
    machine = _machine(
        cloud,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": fn.arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 10,
                    "HeartbeatSeconds": 1,
                    "Catch": [
                        {
                            "ErrorEquals": ["States.HeartbeatTimeout"],
                            "ResultPath": "$.error",
                            "Next": "Done",
                        }
                    ],
                    "End": True,
                },
                "Done": {"Type": "Pass", "End": True},
            },
        },
    )
    assert _run(cloud, machine, {})["output"]["error"]["Error"] == "States.HeartbeatTimeout"


def test_a_callback_sent_while_the_tasks_lambda_runs_is_not_lost(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    """L1: track_job resumes at once when the job has ended; with HeartbeatSeconds set, moto
    lost that callback and the task stalled until its heartbeat timed out."""
    source = (
        "import json, os, boto3\n"
        "def handler(event, context):\n"
        "    sfn = boto3.client('stepfunctions', endpoint_url=os.environ['AWS_ENDPOINT_URL'])\n"
        "    sfn.send_task_success(taskToken=event['token'], output=json.dumps({'ok': 1}))\n"
        "    return None\n"
    )
    fn = test_function(source)
    machine = _machine(
        cloud,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": fn.arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 30,
                    "HeartbeatSeconds": 20,
                    "End": True,
                }
            },
        },
    )
    described = _run(cloud, machine, {}, timeout=15)  # before the 20 s heartbeat would fail it
    assert described["status"] == "SUCCEEDED", described
    assert described["output"] == {"ok": 1}


def test_stop_execution_interrupts_a_task_token_wait(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function("def handler(event, context):\n    return None\n")
    machine = _machine(
        cloud,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": fn.arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 60,
                    "End": True,
                }
            },
        },
    )
    sfn = cloud.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input="{}")[
        "executionArn"
    ]
    time.sleep(0.3)
    sfn.stop_execution(executionArn=arn)
    deadline = time.monotonic() + 3
    while (
        sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_a_lambda_error_is_matched_by_its_exception_name(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function(
        "class ThrottlingError(Exception):\n    pass\n"
        "CALLS = []\n"
        "def handler(event, context):\n"
        "    CALLS.append(1)\n"
        "    if len(CALLS) < 3:\n"
        "        raise ThrottlingError('slow down')\n"
        "    return {'calls': len(CALLS), 'remaining': context.get_remaining_time_in_millis() > 0}\n"
    )
    machine = _machine(
        cloud,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": fn.arn, "Payload.$": "$"},
                    "ResultSelector": {"result.$": "$.Payload"},
                    "Retry": [
                        {
                            "ErrorEquals": ["ThrottlingError"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 3,
                            "BackoffRate": 1,
                        }
                    ],
                    "End": True,
                }
            },
        },
    )
    cloud.client("stepfunctions")  # warm
    result = _run(cloud, machine, {}, timeout=15)
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == {"result": {"calls": 3, "remaining": True}}
    errors = [i.error_type for i in cloud.bridge.invocations(fn.logical_id)]
    assert errors == ["ThrottlingError", "ThrottlingError", None]


# ------------------------------------------------------------------ Lambda runtime semantics
def test_sync_invoke_returns_the_runtime_error_shape(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function("def handler(event, context):\n    raise ValueError('bad ' + event['x'])\n")
    response = cloud.client("lambda").invoke(
        FunctionName=fn.name, Payload=json.dumps({"x": "input"})
    )
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input"


def test_the_function_timeout_is_enforced(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec]
) -> None:
    fn = test_function("import time\ndef handler(event, context):\n    time.sleep(3)\n", timeout=1)
    started = time.monotonic()
    response = cloud.client("lambda").invoke(FunctionName=fn.name, Payload=b"{}")
    assert time.monotonic() - started < 2.5
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"


def test_failed_async_invokes_are_retried_then_sent_to_on_failure(
    cloud: LocalCloud,
    test_function: Callable[..., FunctionSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=f"patch-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    fn = test_function(
        "def handler(event, context):\n    raise RuntimeError('always')\n",
        retries=1,
        on_failure=queue_arn,
    )
    monkeypatch.setattr(cloud.bridge, "async_retry_waits_s", (0.01,))
    response = cloud.client("lambda").invoke(
        FunctionName=fn.name, InvocationType="Event", Payload=b'{"n": 1}'
    )
    assert response["StatusCode"] == 202
    assert cloud.bridge.wait_idle(timeout=5)
    assert [i.attempt for i in cloud.bridge.invocations(fn.logical_id)] == [1, 2]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"n": 1}
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_a_duplicate_delivery_is_retried_after_waits_like_lambdas_so_the_first_can_finish(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec], tmp_path: Path
) -> None:
    # Lambda waits 1 then 2 minutes between the attempts of a failed asynchronous invoke; the
    # local cloud's clock runs an AWS minute in a second at simulator speed 1 (SlotWaitSeconds
    # 60 -> 1), so the waits are 1 s and 2 s.
    cloud.bedrock.set_speed(1.0)
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=f"patch-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    marks = tmp_path / "marks"
    marks.mkdir()
    # Given a handler that, like Powertools idempotency, refuses an event still in progress
    fn = test_function(
        "import pathlib, time\n"
        f"MARKS = pathlib.Path({str(marks)!r})\n"
        "def handler(event, context):\n"
        "    started, done = MARKS / 'started', MARKS / 'done'\n"
        "    if done.exists():\n"
        "        return 'already done'\n"
        "    if started.exists():\n"
        "        raise RuntimeError('IdempotencyAlreadyInProgressError')\n"
        "    started.touch()\n"
        "    time.sleep(2.0)\n"
        "    done.touch()\n"
        "    return 'done'\n",
        timeout=10,
        on_failure=queue_arn,
    )
    # When the same event is delivered twice at once
    lam = cloud.client("lambda")
    for _ in range(2):
        lam.invoke(FunctionName=fn.name, InvocationType="Event", Payload=b'{"id": 1}')
    assert cloud.bridge.wait_idle(timeout=30)
    # Then the duplicate's retry finds the first one done: nothing goes to the failure queue
    runs = cloud.bridge.invocations(fn.logical_id)
    assert [i.ok for i in runs].count(True) == 2, runs
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")


def test_concurrent_invocations_keep_their_own_powertools_log_keys(
    cloud: LocalCloud, test_function: Callable[..., FunctionSpec], tmp_path: Path
) -> None:
    # Handlers share one process (and the project's one Powertools Logger); on Lambda each has
    # its own sandbox, so what one invocation appends must not show in another's logs.
    flags = tmp_path / "flags"
    flags.mkdir()
    source = (
        "import json, pathlib, time\n"
        "from bedrock_tuner.observability import logger\n"
        f"FLAGS = pathlib.Path({str(flags)!r})\n"
        "def wait_for(name):\n"
        "    deadline = time.monotonic() + 10\n"
        "    while not (FLAGS / name).exists() and time.monotonic() < deadline:\n"
        "        time.sleep(0.01)\n"
        "@logger.inject_lambda_context(correlation_id_path='runId')\n"
        "def handler(event, context):\n"
        "    wait_for(event['waitFor']) if event.get('waitFor') else None\n"
        "    (FLAGS / event['runId']).touch()\n"
        "    wait_for(event['then']) if event.get('then') else None\n"
        "    keys = logger.get_current_keys()\n"
        "    return {k: keys.get(k) for k in ('function_name', 'correlation_id')}\n"
    )
    first, second = test_function(source), test_function(source)
    lam = cloud.client("lambda")
    results: dict[str, Any] = {}

    def call(fn: FunctionSpec, event: dict[str, str]) -> None:
        response = lam.invoke(FunctionName=fn.name, Payload=json.dumps(event).encode())
        results[fn.name] = json.loads(response["Payload"].read())

    # The first is inside its handler while the second starts, logs, and ends
    threads = [
        threading.Thread(target=call, args=(first, {"runId": "r-first", "then": "r-second"})),
        threading.Thread(target=call, args=(second, {"runId": "r-second", "waitFor": "r-first"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results[first.name] == {"function_name": first.name, "correlation_id": "r-first"}
    assert results[second.name] == {"function_name": second.name, "correlation_id": "r-second"}


# ------------------------------------------------------------------ EventBridge
def test_s3_events_have_the_aws_shape(cloud: LocalCloud) -> None:
    events, sqs, s3 = cloud.client("events"), cloud.client("sqs"), cloud.client("s3")
    bucket = cloud.stack.physical_id("DataBucket")
    name = f"s3-tap-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=name,
        EventPattern=json.dumps(
            {"source": ["aws.s3"], "detail": {"object": {"key": [{"prefix": "other/"}]}}}
        ),
    )
    events.put_targets(Rule=name, Targets=[{"Id": "tap", "Arn": arn}])
    try:
        first = s3.put_object(Bucket=bucket, Key="other/a.txt", Body=b"hello")
        s3.put_object(Bucket=bucket, Key="other/b.txt", Body=b"world")
        got = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)[
                "Messages"
            ]
        ]
    finally:
        events.remove_targets(Rule=name, Ids=["tap"])
        events.delete_rule(Name=name)
    event = next(e for e in got if e["detail"]["object"]["key"] == "other/a.txt")
    assert event["detail-type"] == "Object Created" and event["account"] == "123456789012"
    assert event["time"].endswith("Z")
    obj = event["detail"]["object"]
    assert obj["etag"] == first["ETag"].strip('"') and obj["size"] == 5
    assert obj["version-id"] == first["VersionId"]
    assert event["detail"]["reason"] == "PutObject"
    assert [e["detail-type"] for e in got] == ["Object Created"] * 2, got
    assert len({e["id"] for e in got}) == 2


def test_schedule_rules_get_no_events_and_fire_on_demand(cloud: LocalCloud) -> None:
    reconcile = cloud.stack.physical_id("ReconcileJobsFunctionReconcileSchedule")
    before = [d for d in patches.HOOKS.deliveries if d[0] == reconcile]
    cloud.client("s3").put_object(
        Bucket=cloud.stack.physical_id("DataBucket"), Key="other/c.txt", Body=b"x"
    )
    assert [d for d in patches.HOOKS.deliveries if d[0] == reconcile] == before
    cloud.fire_schedule("ReconcileJobsFunctionReconcileSchedule")
    cloud.bridge.wait_idle(timeout=5)
    invocations = cloud.bridge.invocations("ReconcileJobsFunction")
    assert invocations and invocations[-1].source == f"events:{reconcile}"


def test_disabled_rules_do_not_fire(cloud: LocalCloud) -> None:
    events = cloud.client("events")
    rule = cloud.stack.physical_id("OnDatasetUploadedFunctionDatasetObjectCreated")
    events.disable_rule(Name=rule)
    try:
        cloud.client("s3").put_object(
            Bucket=cloud.stack.physical_id("DataBucket"), Key="datasets/off/x.jsonl", Body=b"{}\n"
        )
        cloud.bridge.wait_idle(timeout=5)
        assert not cloud.bridge.invocations("OnDatasetUploadedFunction")
    finally:
        events.enable_rule(Name=rule)


def test_functions_disagreeing_on_a_variable_fail_loudly(cloud: LocalCloud, tmp_path: Path) -> None:
    from bedrock_tuner_localcloud.bridge import LambdaBridge
    from bedrock_tuner_localcloud.deploy import Deployment, Resource
    from bedrock_tuner_localcloud.errors import EnvironmentConflictError
    from bedrock_tuner_localcloud.template import SamFunction

    lam = cloud.client("lambda")
    names = [f"env-test-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name, value in zip(names, ("one", "two"), strict=True):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=cloud.stack.arn("NotifyFunctionRole"),
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            Environment={"Variables": {"SHARED": value, "BT_STATE_MACHINE_ARN": value}},
        )
    stack = Deployment(
        stack_name="env-test",
        template_path=tmp_path / "template.yaml",
        parameters={},
        sam={},
        cfn={},
        outputs={},
        resources={n: Resource(n, "AWS::Lambda::Function", n) for n in names},
        functions={n: SamFunction(n, tmp_path, "app.handler") for n in names},
    )
    bridge = LambdaBridge("us-east-1")
    try:
        with pytest.raises(EnvironmentConflictError, match="SHARED"):
            bridge.register_stack(stack, cloud.client)
    finally:
        bridge.close()
        for name in names:
            lam.delete_function(FunctionName=name)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("bedrock", "list_foundation_models", {}),  # rest-json
        ("sns", "list_origination_numbers", {}),  # query (XML)
    ],
)
def test_an_operation_moto_lacks_is_a_501_not_implemented_logged_once(
    cloud: LocalCloud,
    caplog: pytest.LogCaptureFixture,
    service: str,
    operation: str,
    params: dict[str, Any],
) -> None:
    import botocore.exceptions

    caplog.set_level("WARNING")
    name = "".join(part.title() for part in operation.split("_"))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        getattr(cloud.client(service), operation)(**params)
    response = raised.value.response
    # The SDK sees the service's error shape: code and message, and no retry of a 5xx
    assert response["Error"]["Code"] == "NotImplemented"
    assert f"{service} {name} is not implemented" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    said = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert len(said) == 1, said
    assert not [r for r in caplog.records if r.name == "werkzeug"], caplog.text
