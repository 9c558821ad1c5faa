"""Every AWS call a function makes, seen before it is sent: one hook for the local cloud's
fault plans and its IAM checks.

The bridge runs each handler with :data:`CURRENT_FUNCTION` set to the function's logical id
(``ValidateDatasetFunction``). :func:`install` wraps botocore's
``BaseClient._make_api_call`` once: for a call made while a function runs, every registered
interceptor sees a :class:`Call` and may raise (a ``botocore`` ``ClientError`` to fail the
call as AWS would). Calls made outside a function (tests, the local cloud itself, the demo)
are not intercepted. boto3's managed transfers (``upload_file``, ``copy``, ``download_file``)
run their parts on s3transfer's worker threads: :func:`install` makes those threads carry the
mark too, so each part (``CreateMultipartUpload``, ``UploadPart``, ``CopyObject`` …) is seen.

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
    "outside_functions",
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
def outside_functions() -> Iterator[None]:
    """Calls made inside the block are nobody's (not intercepted, no IAM check): an
    interceptor acting as a person would, e.g. uploading while a function runs."""
    token = CURRENT_FUNCTION.set(None)
    try:
        yield
    finally:
        CURRENT_FUNCTION.reset(token)


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

    # The shape botocore parses (its stubs' TypedDict also wants RequestId, HostId, headers).
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0},
    }
    error: Exception = ClientError(response, operation)
    return error


def install() -> None:
    """Wrap ``BaseClient._make_api_call`` (idempotent)."""
    with _lock:
        if _state["installed"]:
            return
        from botocore.client import BaseClient

        patched: Any = BaseClient  # _make_api_call is private: not in botocore's stubs
        original = patched._make_api_call

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

        patched._make_api_call = _make_api_call
        _follow_managed_transfers()
        _state["installed"] = True


class _ContextExecutor:
    """Wraps s3transfer's thread pool: each task runs in a copy of the submitter's context
    (contextvars do not follow a task into a pool thread on their own)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self._inner.submit(contextvars.copy_context().run, fn, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _follow_managed_transfers() -> None:
    """Make s3transfer's ``BoundedExecutor`` submit through :class:`_ContextExecutor`."""
    try:
        from s3transfer.futures import BoundedExecutor
    except ImportError:  # boto3 without s3transfer: nothing runs on other threads
        return
    original = BoundedExecutor.submit

    def submit(self: Any, task: Any, tag: Any = None, block: bool = True) -> Any:
        if not isinstance(self._executor, _ContextExecutor):
            self._executor = _ContextExecutor(self._executor)
        return original(self, task, tag, block)

    BoundedExecutor.submit = submit  # type: ignore[method-assign]
