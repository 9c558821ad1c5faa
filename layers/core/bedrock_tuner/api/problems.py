"""RFC 9457 problem details: every error the API returns.

A :class:`~bedrock_tuner.errors.BedrockTunerError` keeps its ``code`` and ``fix``; the
status follows the error's kind (:func:`status_for`). Request validation errors are 422 with
every bad field listed under ``errors``. Anything unexpected is a 500 that names the request
id and nothing of the internals.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response

from bedrock_tuner.errors import (
    ApprovalRejected,
    BedrockTunerError,
    CatalogError,
    ConfigurationError,
    ConflictError,
    DatasetSourceError,
    ForbiddenError,
    InvalidEventError,
    JobStartError,
    NotificationDeliveryError,
    PromotionError,
    SpecError,
    ThrottlingError,
    TransientError,
    UsageError,
)

__all__ = ["PROBLEM_JSON", "problem", "problem_for_error", "status_for"]

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:bedrock-tuner:problem:"

# Checked in order: the first class an error is an instance of decides the status.
_STATUS: tuple[tuple[type[BedrockTunerError], int], ...] = (
    (SpecError, 422),
    (InvalidEventError, 400),
    (UsageError, 400),
    (DatasetSourceError, 422),
    (ForbiddenError, 403),
    (ConflictError, 409),
    (ApprovalRejected, 409),
    (JobStartError, 409),
    (ThrottlingError, 429),
    (TransientError, 503),
    (NotificationDeliveryError, 502),
    (PromotionError, 502),  # SSM or the deployment failed; compensated (see the detail)
    (ConfigurationError, 500),
    (CatalogError, 500),
)


def status_for(error: BedrockTunerError) -> int:
    """The HTTP status of a domain error (``*NotFoundError`` → 404)."""
    if type(error).__name__.endswith("NotFoundError"):
        return 404
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def problem(
    status: int,
    *,
    code: str,
    detail: str,
    instance: str | None,
    fix: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[str]:
    """A ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "fix": fix,
        **extra,
    }
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body, default=str),
        headers=headers,
    )


def problem_for_error(error: BedrockTunerError, instance: str | None) -> Response[str]:
    """The problem details of a domain error (configuration problems say little)."""
    status = status_for(error)
    extra: dict[str, Any] = {}
    if isinstance(error, SpecError):
        extra["problems"] = [
            {"path": path, "message": message, "fix": fix or None}
            for path, message, fix in error.problems
        ]
    headers = {"Retry-After": "5"} if status in {429, 503} else None
    if isinstance(error, ConfigurationError | CatalogError):
        # A deployment problem: the caller cannot fix it; the logs have the details.
        return problem(
            500,
            code=error.code,
            detail="the service is misconfigured; the operators have the details in the logs",
            instance=instance,
        )
    return problem(
        status,
        code=error.code,
        detail=error.message,
        instance=instance,
        fix=error.fix,
        headers=headers,
        **extra,
    )
