"""A fake REST API on 127.0.0.1 (http.server in a thread) for the client and CLI tests.

with FakeApi() as api:
    api.route("GET", "/v1/runs", {"items": []})            # canned JSON (status 200)
    api.route("GET", "/v1/runs/x", [(429, {}), (200, {...})])  # one answer per request
    api.requests[-1].headers["Authorization"]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROBLEM = "application/problem+json"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FakeApi:
    def __init__(self, prefix: str = "/v1") -> None:
        self.prefix = prefix
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], list[tuple[int, Any, dict[str, str]]]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append(
                    Recorded(
                        method=self.command,
                        path=parts.path,
                        query=parse_qs(parts.query),
                        headers={k: v for k, v in self.headers.items()},
                        body=json.loads(raw) if raw else None,
                    )
                )
                answers = fake._routes.get((self.command, parts.path))
                if not answers:
                    status, body, headers = 404, {"message": "Not Found"}, {}
                else:
                    status, body, headers = answers[0] if len(answers) == 1 else answers.pop(0)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                content_type = (
                    PROBLEM if status >= 400 and "code" in (body or {}) else "application/json"
                )
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    def route(self, method: str, path: str, answer: Any, status: int = 200) -> None:
        """``answer``: a JSON body (served every time with ``status``), or a list of
        ``(status, body)`` / ``(status, body, headers)`` served in order (the last repeats)."""
        full = self.prefix + path
        if isinstance(answer, list) and answer and all(isinstance(a, tuple) for a in answer):
            self._routes[(method, full)] = [
                (a[0], a[1], a[2] if len(a) > 2 else {}) for a in answer
            ]
        else:
            self._routes[(method, full)] = [(status, answer, {})]

    def __enter__(self) -> FakeApi:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def problem(status: int, code: str, detail: str, fix: str) -> dict[str, Any]:
    return {
        "type": f"urn:bedrock-tuner:problem:{code}",
        "title": "Error",
        "status": status,
        "detail": detail,
        "code": code,
        "fix": fix,
    }
