"""Every AWS call a function makes, seen before it is sent: one hook for the local cloud's
fault plans and its IAM checks.

The bridge runs each handler with :data:`CURRENT_FUNCTION` set to the function's logical id
(``ValidateDatasetFunction``). :func:`install` wraps botocore's
``BaseClient._make_api_call`` once: for a call made while a function runs, every registered
interceptor sees a :class:`Call` and may raise (a ``botocore`` ``ClientError`` to fail the
call as AWS would). Calls made outside a function (tests, the local cloud itself, the demo)
are not intercepted.

The hook sits above the SDK's own retries: a failure an interceptor raises is what the
function's code sees after its SDK gave up (docs/local-cloud.md, "Fault plans").
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CURRENT_FUNCTION",
    "Call",
    "Interceptor",
    "add_interceptor",
    "client_error",
    "install",
    "running_function",
]

CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bedrock_tuner_local_function", default=None
)


@dataclass(frozen=True)
class Call:
    """One API call: who makes it and what it asks."""

    function: str  # the calling function's logical id in template.yaml
    service: str  # boto3's service name: "s3", "stepfunctions", "bedrock" …
    operation: str  # the API operation: "PutObject", "SendTaskSuccess" …
    params: dict[str, Any]  # the request's parameters (read-only)
    region: str


Interceptor = Callable[[Call], None]
_interceptors: list[Interceptor] = []
_lock = threading.Lock()
_state = {"installed": False}


def add_interceptor(interceptor: Interceptor) -> Callable[[], None]:
    """Register ``interceptor`` (called in registration order); returns its remover."""
    install()
    with _lock:
        _interceptors.append(interceptor)

    def remove() -> None:
        with _lock:
            if interceptor in _interceptors:
                _interceptors.remove(interceptor)

    return remove


@contextmanager
def running_function(logical_id: str) -> Iterator[None]:
    """Mark the calls made inside the block as made by ``logical_id`` (the bridge)."""
    token = CURRENT_FUNCTION.set(logical_id)
    try:
        yield
    finally:
        CURRENT_FUNCTION.reset(token)


def client_error(code: str, message: str, operation: str, *, status: int = 400) -> Exception:
    """A ``ClientError`` as botocore raises it for an AWS error response."""
    from botocore.exceptions import ClientError

    error: Exception = ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0},
        },
        operation,
    )
    return error


def install() -> None:
    """Wrap ``BaseClient._make_api_call`` (idempotent)."""
    with _lock:
        if _state["installed"]:
            return
        from botocore.client import BaseClient

        original = BaseClient._make_api_call

        def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            function = CURRENT_FUNCTION.get()
            if function is not None and _interceptors:
                call = Call(
                    function=function,
                    service=self.meta.service_model.service_name,
                    operation=operation_name,
                    params=api_params,
                    region=self.meta.region_name,
                )
                for interceptor in list(_interceptors):
                    interceptor(call)
            return original(self, operation_name, api_params)

        BaseClient._make_api_call = _make_api_call
        _state["installed"] = True
