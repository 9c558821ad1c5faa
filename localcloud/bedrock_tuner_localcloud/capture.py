"""Every message the stack publishes to its notification topic, for the demo and the tests.

An SQS "tap" queue (not part of the template; local only) is subscribed to each SNS topic of
the stack at deploy time, so what is captured went through real SNS delivery (filter policies
and message attributes included). :meth:`NotificationCapture.drain` moves what arrived into
:attr:`NotificationCapture.messages`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.deploy import Deployment
    from bedrock_tuner_localcloud.server import LocalCloud

TAP_QUEUE = "local-cloud-notification-tap"


@dataclass(frozen=True)
class Notification:
    """One SNS message as a subscriber saw it."""

    topic_arn: str
    message_id: str
    subject: str | None
    message: str
    attributes: dict[str, str]
    timestamp: str

    @property
    def body(self) -> Any:
        """The message parsed as JSON (the stack publishes JSON), else the raw text."""
        try:
            return json.loads(self.message)
        except ValueError:
            return self.message

    @property
    def kind(self) -> str | None:
        if "kind" in self.attributes:
            return self.attributes["kind"]
        body = self.body
        return str(body.get("kind")) if isinstance(body, dict) and "kind" in body else None


class NotificationCapture:
    """Collects the SNS notifications of a deployed stack through an SQS tap queue."""

    def __init__(self, sqs: Any, queue_url: str, topic_arns: list[str]) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.topic_arns = topic_arns
        self.messages: list[Notification] = []
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, cloud: LocalCloud, deployment: Deployment) -> NotificationCapture:
        sqs, sns = cloud.client("sqs"), cloud.client("sns")
        url = sqs.create_queue(QueueName=f"{deployment.stack_name}-{TAP_QUEUE}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        topics = [r.physical_id for r in deployment.of_type("AWS::SNS::Topic").values()]
        for topic in topics:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return cls(sqs, url, topics)

    def drain(self) -> list[Notification]:
        """Receive everything that arrived; returns the new notifications (also kept)."""
        new: list[Notification] = []
        with self._lock:
            while True:
                response = self._sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                )
                batch = response.get("Messages", [])
                if not batch:
                    break
                for raw in batch:
                    envelope = json.loads(raw["Body"])
                    new.append(
                        Notification(
                            topic_arn=envelope.get("TopicArn", ""),
                            message_id=envelope.get("MessageId", ""),
                            subject=envelope.get("Subject"),
                            message=envelope.get("Message", ""),
                            attributes={
                                k: str(v.get("Value"))
                                for k, v in (envelope.get("MessageAttributes") or {}).items()
                            },
                            timestamp=envelope.get("Timestamp", ""),
                        )
                    )
                self._sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(batch)
                    ],
                )
            self.messages.extend(new)
        return new

    def all(self, kind: str | None = None) -> list[Notification]:
        """Everything captured so far (drains first), optionally of one ``kind``."""
        self.drain()
        with self._lock:
            return [m for m in self.messages if kind is None or m.kind == kind]

    def wait_for(
        self, kind: str | None = None, timeout: float = 10.0, count: int = 1
    ) -> list[Notification]:
        """Wait until at least ``count`` notifications (of ``kind``) were captured."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.all(kind)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(found)} of {count} {kind or ''} notification(s) after {timeout}s"
                )
            time.sleep(0.05)

    def clear(self) -> None:
        """Drop what was captured (and what is still queued)."""
        self.drain()
        with self._lock:
            self.messages.clear()
