"""Secrets Manager adapter: the Slack webhook URL, cached for a few minutes.

The secret is either the URL itself or JSON with ``webhookUrl`` / ``webhook_url`` /
``url``. The value is never logged and never put in an error message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, retryable_error
from bedrock_tuner.errors import ConfigurationError

__all__ = ["SecretReader"]

CACHE_SECONDS = 300
_KEYS = ("webhookUrl", "webhook_url", "url", "WebhookUrl")


class SecretReader:
    def __init__(
        self,
        client_factory: Callable[[], Any] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = client_factory or (lambda: default_client("secretsmanager"))
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}

    def secret_string(self, secret_arn: str) -> str:
        cached = self._cache.get(secret_arn)
        if cached and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            response = self._factory().get_secret_value(SecretId=secret_arn)
        except Exception as exc:
            retry = retryable_error(exc, "Secrets Manager")
            if retry is not None:
                raise retry from exc
            raise ConfigurationError(
                f"cannot read the secret {secret_arn} ({error_code(exc) or type(exc).__name__})",
                fix="check SlackWebhookSecretArn and the function's secretsmanager:GetSecretValue "
                "permission (and kms:Decrypt on the secret's key)",
            ) from exc
        value = response.get("SecretString")
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(
                f"the secret {secret_arn} has no text value",
                fix="store the Slack webhook URL as the secret's text",
            )
        self._cache[secret_arn] = (self._clock(), value)
        return value

    def webhook_url(self, secret_arn: str) -> str:
        """The webhook URL held in the secret (plain text or a JSON object)."""
        value = self.secret_string(secret_arn).strip()
        if value.startswith("{"):
            try:
                document = json.loads(value)
            except ValueError:
                document = None
            if isinstance(document, dict):
                for key in _KEYS:
                    if isinstance(document.get(key), str):
                        return str(document[key]).strip()
            raise ConfigurationError(
                f"the secret {secret_arn} is JSON without a webhookUrl",
                fix='store {"webhookUrl": "https://hooks.slack.com/services/..."} or the URL',
            )
        return value

    def clear(self) -> None:
        self._cache.clear()
