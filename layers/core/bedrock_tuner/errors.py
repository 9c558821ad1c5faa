"""The domain's typed errors: one module, names ending in ``Error``.

Task Lambdas raise these by name so the state machine's Retry/Catch can match them; the
CLI maps them to exit code 2 with the message (never a traceback).
"""

from __future__ import annotations


class BedrockTunerError(Exception):
    """Base of every error this package raises on purpose."""

    code = "BT_ERROR"

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class UsageError(BedrockTunerError):
    """The caller asked for something that cannot be done as asked."""

    code = "BT_USAGE"


class CatalogError(BedrockTunerError):
    """The model catalog or an override file is malformed."""

    code = "BT_CATALOG"


class UnknownModelError(UsageError):
    """The model id is not in the catalog."""

    code = "BT_UNKNOWN_MODEL"


class UnsupportedCustomizationError(UsageError):
    """The model does not support the requested customization type."""

    code = "BT_UNSUPPORTED_TYPE"


class DatasetSourceError(BedrockTunerError):
    """A dataset could not be opened or read (missing file, S3 access, ...)."""

    code = "BT_SOURCE"
