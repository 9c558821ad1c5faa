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


# --------------------------------------------------------------------------- the pipeline
# The workflow's Retry/Catch match these by class name (Lambda reports it as errorType):
# keep the names stable; docs/pipeline.md lists them.


class ConfigurationError(BedrockTunerError):
    """The function's environment is incomplete or wrong (a deployment problem)."""

    code = "BT_CONFIGURATION"


class InvalidEventError(BedrockTunerError):
    """An event or payload does not have the shape its handler expects."""

    code = "BT_BAD_EVENT"


class SpecError(BedrockTunerError):
    """A pipeline spec (``pipelines/<name>.yaml``) is missing or wrong.

    ``path`` is the field path of the first problem (``budget.max_usd``; ``""`` for the
    file as a whole); ``problems`` holds every problem as ``(path, message, fix)``.
    """

    code = "BT_SPEC"

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        fix: str | None = None,
        problems: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        super().__init__(message, fix=fix)
        self.path = path
        self.problems = problems or ((path, message, fix or ""),)


class ThrottlingError(BedrockTunerError):
    """AWS asked us to slow down (throttling, a quota such as concurrent jobs): retry later."""

    code = "BT_THROTTLED"


class TransientError(BedrockTunerError):
    """A temporary AWS failure (service unavailable, internal error): retry."""

    code = "BT_TRANSIENT"


class JobStartError(BedrockTunerError):
    """Bedrock refused to start the customization job (validation, access): do not retry."""

    code = "BT_JOB_START"


class ApprovalRejected(BedrockTunerError):
    """A person rejected a run that needed approval.

    The name has no ``Error`` suffix on purpose: the task fails with this exact error name
    and the workflow catches it.
    """

    code = "BT_APPROVAL_REJECTED"


class RunNotFoundError(BedrockTunerError):
    """No run (or no approval request) with that id."""

    code = "BT_RUN_NOT_FOUND"


class ForbiddenError(BedrockTunerError):
    """The caller may not do this: another pipeline's family, approving one's own run, an
    unauthenticated approval (HTTP 403)."""

    code = "BT_FORBIDDEN"


class ConflictError(BedrockTunerError):
    """The request conflicts with the current state (already decided, name taken, ...)."""

    code = "BT_CONFLICT"


class NotificationDeliveryError(BedrockTunerError):
    """A notification could not be delivered and retrying will not help (e.g. HTTP 4xx)."""

    code = "BT_DELIVERY"


# --------------------------------------------------------------------------- the registry


class ModelNotFoundError(BedrockTunerError):
    """No such model family, version or alias target."""

    code = "BT_MODEL_NOT_FOUND"


class PromotionError(BedrockTunerError):
    """A promotion or rollback failed (compensated unless the message says otherwise)."""

    code = "BT_PROMOTION"


# --------------------------------------------------------------------------- the API
# Names ending in ``NotFoundError`` are answered with HTTP 404.


class PipelineNotFoundError(BedrockTunerError):
    """No pipeline spec ``pipelines/<name>.yaml`` (or ``.yml``)."""

    code = "BT_PIPELINE_NOT_FOUND"


class ObjectTooLargeError(DatasetSourceError):
    """An object is larger than what the caller reads into memory (a pipeline spec)."""

    code = "BT_TOO_LARGE"


class RunStoppedError(BedrockTunerError):
    """A person stopped the run (``POST /runs/{id}/stop``): nothing more may start."""

    code = "BT_RUN_STOPPED"


class DatasetNotFoundError(DatasetSourceError):
    """The dataset object does not exist."""

    code = "BT_DATASET_NOT_FOUND"
