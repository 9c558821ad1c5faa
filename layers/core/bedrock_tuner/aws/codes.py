"""Read botocore ``ClientError`` codes and turn the common ones into domain errors."""

from __future__ import annotations

from bedrock_tuner.errors import BedrockTunerError, ThrottlingError, TransientError

__all__ = [
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "error_code",
    "error_message",
    "http_status",
    "retryable_error",
]

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ServiceQuotaExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceException",
        "TransactionConflictException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(exc)


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None


def retryable_error(exc: BaseException, what: str) -> BedrockTunerError | None:
    """``ThrottlingError`` / ``TransientError`` for throttling, 5xx and connection
    problems; ``None`` when the failure is not worth retrying."""
    code = error_code(exc)
    if code in THROTTLING_CODES:
        return ThrottlingError(f"{what}: AWS is throttling ({code}): {error_message(exc)}")
    status = http_status(exc)
    name = type(exc).__name__
    if (
        code in TRANSIENT_CODES
        or (status is not None and status >= 500)
        or name
        in {
            "EndpointConnectionError",
            "ConnectionClosedError",
            "ReadTimeoutError",
            "ConnectTimeoutError",
        }
    ):
        return TransientError(
            f"{what}: temporary AWS failure ({code or name}): {error_message(exc)}"
        )
    return None
