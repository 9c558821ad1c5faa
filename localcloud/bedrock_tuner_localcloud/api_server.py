"""The local HTTP front of the API: HTTP on 127.0.0.1 → API Gateway proxy event → ApiFunction.

API Gateway (REST, ``/{proxy+}``) is not emulated: each request becomes the proxy event API
Gateway would send — ``resource``, ``path``, ``httpMethod``, ``headers`` and
``multiValueHeaders``, ``queryStringParameters`` and their multi-value form,
``pathParameters.proxy``, ``body`` (base64 when it is not text), and a ``requestContext``
whose ``identity.userArn`` is the local user (IAM auth is not checked locally) — and the
deployed ``ApiFunction`` runs through the Lambda bridge, exactly as moto would invoke it.
Its response (``statusCode``, headers, body) is written back. No stage in the path:
``http://127.0.0.1:<port>/catalog``, Swagger UI at ``/docs``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["LOCAL_USER_ARN", "LocalApiServer", "proxy_event"]

LOG = logging.getLogger("bedrock_tuner_localcloud")

LOCAL_USER_ARN = "arn:aws:iam::123456789012:user/local"
LOCAL_ACCOUNT = "123456789012"
STAGE = "v1"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml")
_TEXT_TYPES_EXTRA = ("application/x-www-form-urlencoded", "application/yaml", "+json", "+xml")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})

Invoke = Callable[[dict[str, Any]], tuple[bytes, str | None]]


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_TYPES_EXTRA)


def proxy_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    user_arn: str = LOCAL_USER_ARN,
    source_ip: str = "127.0.0.1",
    stage: str = STAGE,
) -> dict[str, Any]:
    """The API Gateway REST proxy event (``/{proxy+}`` resource) for one HTTP request."""
    parts = urlsplit(target)
    path = parts.path or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    encoded = bool(body) and not _is_text(content_type)
    text: str | None = None
    if body:
        if not encoded:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                encoded = True
        if encoded:
            text = base64.b64encode(body).decode("ascii")
    now = time.time()
    resource = "/" if path == "/" else "/{proxy+}"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": path,  # no stage prefix: Swagger UI then uses "/" as its server
            "accountId": LOCAL_ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": LOCAL_ACCOUNT,
                "cognitoIdentityId": None,
                "caller": "AIDALOCALUSER",
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": "testing",
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": user_arn,
                "userAgent": single.get("User-Agent", ""),
                "user": "AIDALOCALUSER",
            },
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _problem(status: int, code: str, detail: str, path: str) -> dict[str, Any]:
    body = {
        "type": f"urn:bedrock-tuner:problem:{code}",
        "title": "Bad Gateway" if status == 502 else "Error",
        "status": status,
        "detail": detail,
        "instance": path,
        "code": code,
        "fix": "see the handler log `bedrock-tuner local up` printed",
    }
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/problem+json"},
        "body": json.dumps(body),
    }


def _response_of(payload: bytes, error: str | None, path: str) -> dict[str, Any]:
    """The proxy response, or a 502 problem when the function failed (as API Gateway)."""
    if error is not None:
        LOG.warning("API function failed: %s %s", error, payload[:500])
        return _problem(502, "BT_LAMBDA_ERROR", f"the API function failed ({error})", path)
    try:
        response = json.loads(payload)
    except ValueError:
        response = None
    if not isinstance(response, dict) or "statusCode" not in response:
        return _problem(502, "BT_BAD_PROXY_RESPONSE", "malformed Lambda proxy response", path)
    return response


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(_problem(413, "BT_TOO_LARGE", "request body over 10 MB", self.path))
            return
        body = self.rfile.read(length) if length else b""
        event = proxy_event(
            self.command,
            self.path,
            list(self.headers.items()),
            body,
            user_arn=self.server.user_arn,
            source_ip=self.client_address[0],
        )
        payload, error = self.server.invoke(event)
        self._write(_response_of(payload, error, event["path"]))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (QUERY, PROPFIND, …) goes to the function too, as API Gateway's
        # ANY route would send it; the function answers 404/405 as problem details.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _write(self, response: dict[str, Any]) -> None:
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        self.send_response(int(response["statusCode"]))
        headers = Message()
        for name, value in (response.get("headers") or {}).items():
            headers[name] = str(value)
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name not in (response.get("headers") or {}):
                for value in values:
                    headers[name] = str(value)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("api %s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], invoke: Invoke, user_arn: str) -> None:
        super().__init__(address, _Handler)
        self.invoke = invoke
        self.user_arn = user_arn


class LocalApiServer:
    """Serve the API function on ``http://<host>:<port>`` (port 0: a free one)."""

    def __init__(
        self,
        invoke: Invoke,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        user_arn: str = LOCAL_USER_ARN,
    ) -> None:
        self._invoke = invoke
        self._address = (host, port)
        self._user_arn = user_arn
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._server = _Server(self._address, self._invoke, self._user_arn)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-api", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local API server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
