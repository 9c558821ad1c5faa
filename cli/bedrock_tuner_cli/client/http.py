"""A small JSON-over-HTTPS client: SigV4-signed (``execute-api``), retried, problem+json aware.

Every request is signed with the caller's credentials (API Gateway's IAM auth). 429 and 5xx
answers are retried with exponential backoff (``Retry-After`` honoured when it is a number of
seconds). Any other error answer becomes an :class:`ApiError` carrying the RFC 9457 problem's
``code``, ``status``, ``detail`` and ``fix``; a server that cannot be reached becomes an
:class:`ApiUnreachableError`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from bedrock_tuner import __version__
from bedrock_tuner.errors import BedrockTunerError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"bedrock-tuner-cli/{__version__}"

_DEFAULT_FIXES = {
    401: "Sign in again (aws sso login) or check AWS_PROFILE.",
    403: "Your AWS identity needs execute-api:Invoke on the stack's API (and the right --region).",
    404: "Check the name or id (list them first), and that --stack points at the right stack.",
    409: "Fetch the current state and try again.",
    429: "The API is throttling: try again in a minute.",
}


class ApiError(BedrockTunerError):
    """The API answered with an error (RFC 9457 problem+json when it is ours)."""

    code = "BT_API_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        fix: str | None = None,
        problem: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.status = status
        self.code = code or f"BT_HTTP_{status}"
        self.detail = detail
        self.problem: dict[str, Any] = dict(problem or {})


class ApiUnreachableError(BedrockTunerError):
    """No answer from the API (DNS, refused connection, timeout, TLS)."""

    code = "BT_API_UNREACHABLE"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def problem_error(status: int, body: bytes, reason: str = "") -> ApiError:
    """The :class:`ApiError` for an error answer (problem+json, API Gateway's
    ``{"message": ...}``, or anything else)."""
    try:
        doc: Any = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    detail = _text(doc.get("detail")) or _text(doc.get("message")) or _text(doc.get("Message"))
    title = _text(doc.get("title"))
    if detail is None and title is None:
        raw = body.decode("utf-8", "replace").strip()
        detail = raw[:300] or None
    message = detail or title or reason or f"HTTP {status}"
    return ApiError(
        message,
        status=status,
        code=_text(doc.get("code")),
        detail=detail,
        fix=_text(doc.get("fix")) or _DEFAULT_FIXES.get(status),
        problem=doc,
    )


class ApiClient:
    """Signed JSON requests against ``base_url`` (the stack's ``ApiUrl``)."""

    def __init__(
        self,
        base_url: str,
        region: str,
        credentials: Any,
        *,
        retries: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.region = region
        self.credentials = credentials
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.timeout_s = timeout_s
        self._sleep = sleep

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        """The full URL of ``path`` (``/runs``) with the non-None ``query`` values."""
        url = self.base_url + "/" + path.lstrip("/")
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        return f"{url}?{urlencode(sorted(params.items()))}" if params else url

    def signed_headers(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        """The request's headers with SigV4 ``Authorization`` (service ``execute-api``)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        SigV4Auth(self.credentials, "execute-api", self.region).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send, retrying 429/5xx; the decoded JSON answer (None when empty)."""
        url = self.url(path, query)
        data = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            status, payload, retry_after = self._send(method, url, data)
            if status < 400:
                return json.loads(payload) if payload.strip() else None
            if status in RETRY_STATUSES and attempt < self.retries:
                delay = min(self.max_backoff_s, self.backoff_s * (2**attempt))
                if retry_after is not None:
                    delay = min(self.max_backoff_s, max(delay, retry_after))
                self._sleep(delay)
                attempt += 1
                continue
            raise problem_error(status, payload)

    def _send(self, method: str, url: str, data: bytes | None) -> tuple[int, bytes, float | None]:
        headers = self.signed_headers(method, url, data)  # signed per attempt (fresh date)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) only (checked when resolved)
        host = urlsplit(url).netloc
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return int(response.status), response.read(), None
        except urllib.error.HTTPError as exc:
            with exc:
                payload = exc.read()
            return exc.code, payload, _retry_after(exc.headers.get("Retry-After"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiUnreachableError(
                f"cannot reach the API at {host}: {reason}",
                fix="Check --stack/--region (or --api-url), your network, and that the stack is "
                "deployed; for the local cloud run `bedrock-tuner local up` first.",
            ) from None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
