"""SNS adapter: publish a notification as JSON with message attributes.

The message uses ``MessageStructure=json``: subscribers that take JSON (Lambda, SQS,
HTTPS) get the whole notification, and email gets the text a person reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, error_message, retryable_error
from bedrock_tuner.errors import ConfigurationError, TransientError

__all__ = ["SnsPublisher"]

SUBJECT_MAX = 100


class SnsPublisher:
    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("sns"))

    def publish(
        self,
        topic_arn: str,
        *,
        message: Mapping[str, Any],
        subject: str,
        attributes: Mapping[str, str],
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
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in attributes.items()
                    if value
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
