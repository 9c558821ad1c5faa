"""notify_slack: SNS message → Block Kit → the webhook (a fake server on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest

from bedrock_tuner.errors import ConfigurationError, NotificationDeliveryError, TransientError
from events import load_event
from integration.conftest import REGION, Cloud
from lambda_handlers import invoke


class FakeSlack:
    """Answers with the queued statuses (then 200) and keeps every body it received."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.paths: list[str] = []
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                slack.bodies.append(json.loads(self.rfile.read(length)))
                slack.paths.append(self.path)
                status = slack.statuses.pop(0) if slack.statuses else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"invalid_payload")

            def log_message(self, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/SECRETPATH"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=cloud.secret_arn, SecretString=json.dumps({"webhookUrl": fake.url})
        )
        monkeypatch.setattr("bedrock_tuner.notify.webhook.time.sleep", lambda seconds: None)
        yield fake


def sns_event(
    message_id: str = "95df01b4-ee98-5cb9-9903-4c221d41eb5e", **changes: Any
) -> dict[str, Any]:
    event = load_event("sns_notification")
    record = event["Records"][0]["Sns"]
    record["MessageId"] = message_id
    if changes:
        note = json.loads(record["Message"])
        note.update(changes)
        record["Message"] = json.dumps(note)
    return event


def test_a_notification_is_posted_as_block_kit(
    slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    result = invoke("notify_slack", sns_event())
    assert result["results"][0]["posted"] is True
    [body] = slack.bodies
    assert body["text"].startswith("[bedrock-tuner] support-bot: approval needed")
    assert [block["type"] for block in body["blocks"]][:2] == ["header", "section"]
    assert "bedrock-tuner approvals approve" in body["blocks"][1]["text"]["text"]
    assert slack.paths == ["/services/T000/B000/SECRETPATH"]
    output = capsys.readouterr()
    assert "SECRETPATH" not in output.out + output.err  # the webhook URL is never logged


def test_a_cloudwatch_alarm_on_the_topic_is_posted_too(slack: FakeSlack) -> None:
    # Given the stack's alarms publish CloudWatch's own JSON to the same topic
    event = load_event("sns_notification")
    record = event["Records"][0]["Sns"]
    record["MessageId"] = "alarm-1"
    record["MessageAttributes"] = {}
    record["Message"] = json.dumps(
        {
            "AlarmName": "bedrock-tuner-PipelineFailedAlarm",
            "AlarmDescription": "A pipeline step failed after its retries.",
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] >= 1.0",
            "Region": "US East (N. Virginia)",
        }
    )
    # When notify_slack receives it
    result = invoke("notify_slack", event)
    # Then it is posted as an alarm, not rejected as a foreign message
    assert result["results"][0]["posted"] is True
    [body] = slack.bodies
    assert "bedrock-tuner-PipelineFailedAlarm is ALARM" in body["text"]


def test_rate_limits_and_server_errors_are_retried(slack: FakeSlack) -> None:
    slack.statuses = [429, 503]
    invoke("notify_slack", sns_event("m-retry"))
    assert len(slack.bodies) == 3


def test_a_webhook_that_keeps_failing_is_a_transient_error(
    slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.statuses = [500, 500, 500, 500]
    with pytest.raises(TransientError, match="kept failing after 4 attempts") as caught:
        invoke("notify_slack", sns_event("m-fail"))
    assert "SECRETPATH" not in str(caught.value)
    output = capsys.readouterr()
    assert "SECRETPATH" not in output.out + output.err


def test_a_refused_message_is_not_retried(slack: FakeSlack) -> None:
    slack.statuses = [400]
    with pytest.raises(NotificationDeliveryError, match="HTTP 400"):
        invoke("notify_slack", sns_event("m-400"))
    assert len(slack.bodies) == 1


def test_a_duplicate_sns_delivery_posts_once(slack: FakeSlack) -> None:
    invoke("notify_slack", sns_event("m-dup"))
    invoke("notify_slack", sns_event("m-dup"))
    assert len(slack.bodies) == 1


def test_pipelines_with_slack_off_are_skipped(slack: FakeSlack) -> None:
    result = invoke("notify_slack", sns_event("m-off", slack=False))
    assert result["results"][0]["posted"] is False
    assert slack.bodies == []


def test_a_plain_http_webhook_is_refused(cloud: Cloud) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=cloud.secret_arn, SecretString="http://hooks.example.com/services/x"
    )
    with pytest.raises(ConfigurationError, match="not an https URL"):
        invoke("notify_slack", sns_event("m-http"))


def test_a_message_that_is_not_a_notification_is_a_coded_error(slack: FakeSlack) -> None:
    from bedrock_tuner.errors import InvalidEventError

    event = sns_event("m-bad")
    event["Records"][0]["Sns"]["Message"] = "hello"
    with pytest.raises(InvalidEventError):
        invoke("notify_slack", event)
