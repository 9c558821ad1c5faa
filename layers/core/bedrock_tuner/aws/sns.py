"""SNS adapter: publish a notification as JSON with message attributes.

The message uses ``MessageStructure=json``: subscribers that take JSON (Lambda, SQS,
HTTPS) get the whole notification, and email gets the text a person reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, error_message, retryable_error
from bedrock_tuner.errors import ConfigurationError, TransientError

__all__ = ["SnsPublisher", "email_filter_policy"]

SUBJECT_MAX = 100


def _attribute(value: str | Sequence[str]) -> dict[str, str]:
    """A message attribute: a string, or a list as ``String.Array`` (filter policies match
    a list when any of its values matches)."""
    if isinstance(value, str):
        return {"DataType": "String", "StringValue": value}
    return {"DataType": "String.Array", "StringValue": json.dumps(list(value))}


def email_filter_policy(email: str) -> dict[str, list[str]]:
    """The filter of a pipeline recipient's subscription: messages whose ``emails``
    attribute names the address (``notify.emails`` of the run's spec)."""
    return {"emails": [email]}


class SnsPublisher:
    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("sns"))

    def publish(
        self,
        topic_arn: str,
        *,
        message: Mapping[str, Any],
        subject: str,
        attributes: Mapping[str, str | Sequence[str]],
        email_text: str | None = None,
    ) -> str:
        """Publish; returns the SNS message id.

        Raises
        ------
        ConfigurationError
            The topic does not exist or the function may not publish to it.
        ThrottlingError, TransientError
            Retry later.
        """
        document = json.dumps(message, default=str)
        body = {"default": document, "email": email_text or document}
        clean_subject = " ".join(subject.split())[:SUBJECT_MAX] or "bedrock-tuner"
        try:
            response = self._factory().publish(
                TopicArn=topic_arn,
                Message=json.dumps(body),
                MessageStructure="json",
                Subject=clean_subject,
                MessageAttributes={
                    name: _attribute(value) for name, value in attributes.items() if value
                },
            )
        except Exception as exc:
            code = error_code(exc)
            if code in {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter"}:
                raise ConfigurationError(
                    f"cannot publish to {topic_arn}: {code}: {error_message(exc)}",
                    fix="check BT_TOPIC_ARN and the function's sns:Publish permission",
                ) from exc
            retry = retryable_error(exc, "SNS Publish")
            raise (retry or TransientError(f"SNS Publish failed: {error_message(exc)}")) from exc
        return str(response["MessageId"])

    def subscribe_email(self, topic_arn: str, email: str) -> str:
        """Subscribe ``email`` to the topic, filtered to messages addressed to it; returns
        the subscription ARN (pending until the person confirms AWS's email).

        Idempotent: SNS answers a repeated subscription with the existing one. An address
        subscribed by hand with other attributes is left as it is (and returned as
        ``"exists"``).

        Raises
        ------
        ConfigurationError
            The topic does not exist or the function may not subscribe to it.
        ThrottlingError, TransientError
            Retry later.
        """
        try:
            response = self._factory().subscribe(
                TopicArn=topic_arn,
                Protocol="email",
                Endpoint=email,
                Attributes={
                    "FilterPolicy": json.dumps(email_filter_policy(email)),
                    "FilterPolicyScope": "MessageAttributes",
                },
                ReturnSubscriptionArn=True,
            )
        except Exception as exc:
            code = error_code(exc)
            message = error_message(exc)
            if code == "InvalidParameter" and "already exists" in message:
                return "exists"
            if code in {"NotFound", "NotFoundException", "AuthorizationError"}:
                raise ConfigurationError(
                    f"cannot subscribe {email} to {topic_arn}: {code}: {message}",
                    fix="check BT_TOPIC_ARN and the function's sns:Subscribe permission",
                ) from exc
            if code == "InvalidParameter":
                raise ConfigurationError(
                    f"SNS refused the address {email}: {message}",
                    fix="check notify.emails in the pipeline spec",
                ) from exc
            retry = retryable_error(exc, "SNS Subscribe")
            raise (retry or TransientError(f"SNS Subscribe failed: {message}")) from exc
        return str(response["SubscriptionArn"])
