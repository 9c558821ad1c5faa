"""POST JSON to an incoming webhook (Slack), with retries on 429 and 5xx.

The URL is a secret (Slack's path is the credential): it never appears in a log line or
an error message. Only ``https`` is allowed, except ``http`` to the loopback interface
(the local cloud and the tests run a fake webhook on 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bedrock_tuner.errors import ConfigurationError, NotificationDeliveryError, TransientError

__all__ = ["ATTEMPTS", "post_json"]

ATTEMPTS = 4
TIMEOUT_SECONDS = 10
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise ConfigurationError(
        "the Slack webhook URL in the secret is not an https URL",
        fix="store the incoming-webhook URL (https://hooks.slack.com/services/...)",
    )


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """POST ``payload``; returns the HTTP status. Retries 429 (honouring Retry-After, at
    most 30 s), 5xx and connection errors with exponential backoff.

    Raises
    ------
    ConfigurationError
        The URL is not https (or loopback http).
    NotificationDeliveryError
        The webhook refused the message (4xx other than 429): retrying will not help.
    TransientError
        Still failing after ``attempts`` tries.
    """
    _check_url(url)
    pause = sleep or time.sleep
    body = json.dumps(payload).encode()
    last = ""
    for attempt in range(attempts):
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        wait = min(2.0**attempt * 0.5, 8.0)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status = int(response.status)
                response.read()
                return status
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status == 429:
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                with contextlib.suppress(ValueError):
                    wait = min(float(retry_after), 30.0) if retry_after else wait
                last = "HTTP 429 (rate limited)"
            elif status >= 500:
                last = f"HTTP {status}"
            else:
                detail = exc.read(200).decode("utf-8", "replace") if exc.fp else ""
                raise NotificationDeliveryError(
                    f"the Slack webhook refused the message: HTTP {status} {detail}".strip(),
                    fix="check the webhook (revoked? channel archived?) and the payload",
                ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"connection failed ({type(reason).__name__})"
        if attempt + 1 < attempts:
            pause(wait)
    raise TransientError(f"the Slack webhook kept failing after {attempts} attempts: {last}")
