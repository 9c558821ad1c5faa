"""boto3 clients on the local endpoint, made once per service from one shared session.

A new boto3 session re-reads botocore's endpoint and service data (about 0.1 s a client);
sharing one session and caching the clients keeps a deploy fast. Client creation is
serialised (boto3 sessions are not thread-safe); using a client from several threads is safe.
"""

from __future__ import annotations

import threading
from typing import Any

FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class ClientFactory:
    """``factory("s3")`` → a cached boto3 client for the local endpoint."""

    def __init__(self, endpoint: str, region: str) -> None:
        self.endpoint = endpoint
        self.region = region
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, *, max_attempts: int | None = None) -> Any:
        """The cached client; with ``max_attempts`` (attempts in all, retries included), a new
        client with that limit."""
        client = self._clients.get(service)
        if client is not None and max_attempts is None:
            return client
        with self._lock:
            import boto3
            from botocore.config import Config

            if self._session is None:
                self._session = boto3.session.Session(
                    aws_access_key_id=FAKE_CREDENTIALS["aws_access_key_id"],
                    aws_secret_access_key=FAKE_CREDENTIALS["aws_secret_access_key"],
                    region_name=self.region,
                )
            config = Config(retries={"mode": "standard", "total_max_attempts": max_attempts or 3})
            made = self._session.client(service, endpoint_url=self.endpoint, config=config)
            if max_attempts is None:
                made = self._clients.setdefault(service, made)
            return made
