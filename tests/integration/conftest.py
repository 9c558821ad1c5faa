"""Integration tier: handler → domain → adapter in process, AWS emulated by moto.

``cloud`` builds, inside ``moto.mock_aws()``: the data bucket (versioned), the state table
and the Powertools idempotency table (keys and indexes read from template.yaml),
the notification topic with an SQS "tap" subscribed (to read what was published), the
Slack webhook secret and a state machine; it sets every ``BT_*`` variable and resets the
cached settings, boto3 clients and adapters.

Where moto cannot express something, the test says so and stubs at the adapter boundary:
moto's Step Functions backend ignores ``SendTaskSuccess/Failure/Heartbeat`` (no-ops), so
``sfn_tasks`` records them on moto's backend; moto's Bedrock jobs never change status, so
``Cloud.set_job_status`` moves them as Bedrock would.
"""

from __future__ import annotations

import itertools
import json
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.exceptions import AWSError

from bedrock_tuner.aws.clients import reset_clients
from bedrock_tuner.deps import reset_deps
from bedrock_tuner.settings import reset_settings
from bedrock_tuner_localcloud.template import load_yaml
from events import load_event
from fake_api import FakeApi

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "bedrock-tuner-data"  # the bucket the sample events name
TABLE = "bt-state"
IDEMPOTENCY_TABLE = "bt-idempotency"
TOPIC = "bt-notifications"
STATE_MACHINE = "CustomizationStateMachine"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/BedrockCustomizationRole"


def table_definition(logical_id: str) -> dict[str, Any]:
    """``CreateTable`` arguments for a table of template.yaml (its keys and indexes), so
    the tests and the stack cannot drift."""
    template = load_yaml(ROOT / "template.yaml")
    properties = template["Resources"][logical_id]["Properties"]
    definition: dict[str, Any] = {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index["IndexName"],
                "KeySchema": index["KeySchema"],
                "Projection": index["Projection"],
            }
            for index in properties["GlobalSecondaryIndexes"]
        ]
    return definition


STATE_TABLE = table_definition("StateTable")
IDEMPOTENCY = table_definition("IdempotencyTable")

SPEC = """\
base_model: amazon.titan-text-express-v1:0:8k
hyperparameters: {epochCount: "1"}
budget: {auto_approve_usd: 25, max_usd: 500}
notify: {emails: [ml-team@example.com], slack: true}
tags: {team: support}
"""


@dataclass
class Cloud:
    """The emulated account, with helpers to act on it and read what happened."""

    s3: Any
    dynamodb: Any
    sqs: Any
    sfn: Any
    bedrock: Any
    queue_url: str
    topic_arn: str
    state_machine_arn: str
    secret_arn: str
    _event_ids: Iterator[int] = field(default_factory=itertools.count)

    # -- data -----------------------------------------------------------------------------
    def put_spec(self, pipeline: str, text: str = SPEC) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=f"pipelines/{pipeline}.yaml", Body=text.encode())

    def upload(self, key: str, lines: list[dict[str, Any]] | bytes) -> dict[str, Any]:
        """Upload a dataset; returns ``{versionId, etag, size}``."""
        body = (
            lines
            if isinstance(lines, bytes)
            else "".join(json.dumps(line) + "\n" for line in lines).encode()
        )
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return {
            "versionId": response.get("VersionId"),
            "etag": response["ETag"].strip('"'),
            "size": len(body),
        }

    def s3_event(
        self, key: str, uploaded: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        """An EventBridge "Object Created" event for an uploaded object (real shape)."""
        event = load_event("s3_object_created")
        event["id"] = event_id or f"evt-{next(self._event_ids)}-{uuid.uuid4()}"
        obj = event["detail"]["object"]
        obj.update(key=key, etag=uploaded["etag"], size=uploaded["size"])
        if uploaded.get("versionId"):
            obj["version-id"] = uploaded["versionId"]
        else:
            obj.pop("version-id", None)
        return event

    def text(self, key: str) -> str:
        return str(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())

    # -- what happened ------------------------------------------------------------------
    def notifications(self) -> list[dict[str, Any]]:
        """Drain the topic tap: the published notifications (JSON) with their attributes."""
        out: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = response.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                envelope = json.loads(message["Body"])
                note = json.loads(envelope["Message"])
                note["_attributes"] = {
                    name: value["Value"]
                    for name, value in (envelope.get("MessageAttributes") or {}).items()
                }
                note["_subject"] = envelope.get("Subject")
                out.append(note)
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"])

    def execution_input(self, execution_arn: str) -> dict[str, Any]:
        return dict(json.loads(self.sfn.describe_execution(executionArn=execution_arn)["input"]))

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        from boto3.dynamodb.types import TypeDeserializer

        found = self.dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}})
        raw = found.get("Item")
        if raw is None:
            return None
        deserializer = TypeDeserializer()
        return {key: deserializer.deserialize(value) for key, value in raw.items()}

    # -- Bedrock as moto cannot play it ---------------------------------------------------
    def set_job_status(
        self, job_name: str, status: str, *, failure_message: str | None = None
    ) -> None:
        """Move a moto Bedrock job (moto's jobs stay InProgress forever)."""
        from moto.bedrock.models import bedrock_backends

        job = bedrock_backends[ACCOUNT][REGION].model_customization_jobs[job_name]
        job.status = status
        if failure_message is not None:
            job.failure_message = failure_message


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    # Powertools warns when an invocation emits no metric (an ignored event): noise here
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "bedrock-tuner",
        "POWERTOOLS_METRICS_NAMESPACE": "BedrockTuner",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "BT_DATA_BUCKET": BUCKET,
        "BT_TABLE_NAME": TABLE,
        "BT_IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
        "BT_BEDROCK_ROLE_ARN": ROLE_ARN,
        "BT_KMS_KEY_ARN": "",
        "BT_JOB_SUBNET_IDS": "",
        "BT_JOB_SECURITY_GROUP_IDS": "",
        "BT_AUTO_APPROVE_USD": "25",
        "BT_MAX_CONCURRENT_JOBS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    reset_clients()
    reset_deps()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(TableName=TABLE, **STATE_TABLE)
        dynamodb.create_table(TableName=IDEMPOTENCY_TABLE, **IDEMPOTENCY)
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="bt-notification-tap")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="bt-slack-webhook", SecretString="https://hooks.slack.com/services/T0/B0/XXXX"
        )["ARN"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        state_machine_arn = sfn.create_state_machine(
            name=STATE_MACHINE,
            definition=json.dumps(
                {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
            ),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/StateMachineRole",
        )["stateMachineArn"]
        monkeypatch.setenv("BT_TOPIC_ARN", topic_arn)
        monkeypatch.setenv("BT_STATE_MACHINE_ARN", state_machine_arn)
        monkeypatch.setenv("BT_SLACK_SECRET_ARN", secret_arn)
        reset_settings()
        yield Cloud(
            s3=s3,
            dynamodb=dynamodb,
            sqs=sqs,
            sfn=sfn,
            bedrock=boto3.client("bedrock", region_name=REGION),
            queue_url=queue_url,
            topic_arn=topic_arn,
            state_machine_arn=state_machine_arn,
            secret_arn=secret_arn,
        )
    reset_settings()
    reset_clients()
    reset_deps()


class TaskTimedOut(AWSError):
    TYPE = "TaskTimedOut"
    STATUS = 400


@dataclass
class TaskCalls:
    """SendTask* calls as moto's Step Functions backend received them."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # tokens whose task has timed out
    failures: list[str] = field(default_factory=list)  # error codes the next calls raise

    def of(self, kind: str) -> list[tuple[str, Any]]:
        return [(token, payload) for k, token, payload in self.calls if k == kind]

    def fail_next(self, *codes: str) -> None:
        """The next SendTask* calls fail with these AWS error codes (e.g.
        ``ThrottlingException``), one each, as after the SDK's own retries gave up."""
        self.failures.extend(codes)


@pytest.fixture
def sfn_tasks(monkeypatch: pytest.MonkeyPatch) -> TaskCalls:
    """Record SendTaskSuccess/Failure/Heartbeat (moto's backend ignores them)."""
    from moto.stepfunctions.models import StepFunctionBackend

    record = TaskCalls()

    def check(token: str) -> None:
        if record.failures:
            code = record.failures.pop(0)
            raise AWSError(
                f"{code} (injected by the test)", code, 500 if "Internal" in code else 400
            )
        if token in record.gone:
            raise TaskTimedOut("Task Timed Out: the task does not exist anymore")

    def success(self: Any, task_token: str, outcome: str) -> None:
        check(task_token)
        record.calls.append(("success", task_token, json.loads(outcome)))

    def failure(self: Any, task_token: str, error: str | None = None, **_: Any) -> None:
        # (**_: the local cloud's moto patch also passes the cause)
        check(task_token)
        record.calls.append(("failure", task_token, error))

    def heartbeat(self: Any, task_token: str) -> None:
        check(task_token)
        record.calls.append(("heartbeat", task_token, None))

    # One SDK attempt: an injected failure reaches the code as if the SDK's retries gave up.
    from bedrock_tuner.aws import clients

    monkeypatch.setitem(
        clients.WORKFLOW_RETRIED, "stepfunctions", {"mode": "standard", "total_max_attempts": 1}
    )
    clients.reset_clients()
    monkeypatch.setattr(StepFunctionBackend, "send_task_success", success)
    monkeypatch.setattr(StepFunctionBackend, "send_task_failure", failure)
    monkeypatch.setattr(StepFunctionBackend, "send_task_heartbeat", heartbeat)
    return record


@pytest.fixture
def fake() -> Iterator[FakeApi]:
    """An HTTP API on 127.0.0.1 that answers what a test routes (tests/fake_api.py)."""
    with FakeApi() as api:
        yield api
