"""Bedrock adapter: model customization jobs and custom model deployments.

``CreateModelCustomizationJob`` errors become domain errors the workflow matches:
throttling and quotas (``ThrottlingException``, ``ServiceQuotaExceededException``,
``TooManyRequestsException``) → :class:`ThrottlingError` (retry with backoff: Bedrock runs
only a few jobs at once, so the pipeline waits rather than fails); 5xx
(``ServiceUnavailableException``, ``InternalServerException``) → :class:`TransientError`;
``ValidationException``, ``AccessDeniedException``, ``ResourceNotFoundException`` →
:class:`JobStartError` with Bedrock's message. A ``ConflictException`` (or moto's
``ResourceInUseException``) for a job created earlier with the same ``clientRequestToken``
is not an error: the existing job is returned.

Custom model deployments (on-demand inference): ``UpdateCustomModelDeployment`` swaps the
model behind a deployment ARN (promotion, rollback); ``GetCustomModelDeployment`` reads its
``status`` and ``updateDetails.updateStatus``. Refusals become :class:`PromotionError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, error_message, http_status, retryable_error
from bedrock_tuner.errors import JobStartError, PromotionError, TransientError
from bedrock_tuner.observability import logger

__all__ = ["BedrockJobs"]

_REFUSALS = frozenset(
    {
        "ValidationException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "TooManyTagsException",
    }
)
_CONFLICTS = frozenset({"ConflictException", "ResourceInUseException"})
_FIXES = {
    "AccessDeniedException": "check the functions' bedrock:CreateModelCustomizationJob and "
    "iam:PassRole permissions, and that BedrockCustomizationRole trusts bedrock.amazonaws.com",
    "ValidationException": "fix the request as Bedrock's message says (model id, "
    "hyperparameters, S3 locations) and upload the dataset again",
    "ResourceNotFoundException": "the base model is not available in this region or account: "
    "request access in the Bedrock console or pick another base_model",
    "TooManyTagsException": "keep fewer tags in the pipeline spec",
}


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


class BedrockJobs:
    """Model customization jobs (``bedrock`` control plane)."""

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("bedrock"))

    @property
    def _bedrock(self) -> Any:
        return self._factory()

    def create_job(self, request: dict[str, Any]) -> str:
        """Start the job; returns its ARN (the same job when retried with the same token).

        Raises
        ------
        ThrottlingError, TransientError
            Retry later.
        JobStartError
            Bedrock refused the job; the message is Bedrock's.
        """
        try:
            response = self._bedrock.create_model_customization_job(**request)
        except Exception as exc:
            code = error_code(exc)
            if code in _CONFLICTS:
                existing = self._same_request(request)
                if existing is not None:
                    logger.info("job already created for this run", extra={"jobArn": existing})
                    return existing
                raise JobStartError(
                    f"Bedrock refused job {request.get('jobName')}: {error_message(exc)}",
                    fix="a job or custom model with this name exists from another run; "
                    "change custom_model_name in the pipeline spec",
                ) from exc
            retry = retryable_error(exc, "CreateModelCustomizationJob")
            if retry is not None:
                raise retry from exc
            if code in _REFUSALS or (http_status(exc) or 0) in range(400, 500):
                raise JobStartError(
                    f"Bedrock refused to start job {request.get('jobName')}: "
                    f"{code}: {error_message(exc)}",
                    fix=_FIXES.get(code, "read Bedrock's message, fix the cause, upload again"),
                ) from exc
            raise TransientError(f"CreateModelCustomizationJob failed: {exc}") from exc
        return str(response["jobArn"])

    def _same_request(self, request: dict[str, Any]) -> str | None:
        """The ARN of the job with this name if the same run (token) created it."""
        job = self.get_job(str(request["jobName"]))
        if job is None:
            return None
        token = job.get("clientRequestToken")
        if token is not None and token != request.get("clientRequestToken"):
            return None
        return str(job["jobArn"])

    def get_job(self, identifier: str, *, job_name: str | None = None) -> dict[str, Any] | None:
        """``GetModelCustomizationJob`` (timestamps as ISO strings), ``None`` if unknown.

        ``identifier`` is the job ARN or name; ``job_name``, when known, is asked first
        (Bedrock takes either; the local emulator knows jobs by name).
        """
        for candidate in dict.fromkeys(item for item in (job_name, identifier) if item):
            try:
                response = self._bedrock.get_model_customization_job(jobIdentifier=candidate)
            except Exception as exc:
                if error_code(exc) in {"ResourceNotFoundException", "ValidationException"}:
                    continue
                retry = retryable_error(exc, "GetModelCustomizationJob")
                raise (retry or TransientError(f"GetModelCustomizationJob: {exc}")) from exc
            response.pop("ResponseMetadata", None)
            result: dict[str, Any] = _iso(response)
            return result
        return None

    def list_jobs_in_progress(self) -> list[dict[str, Any]]:
        """Every customization job of the account still ``InProgress`` (summaries)."""
        jobs: list[dict[str, Any]] = []
        try:
            pages = self._bedrock.get_paginator("list_model_customization_jobs").paginate(
                statusEquals="InProgress"
            )
            for page in pages:
                jobs.extend(_iso(page.get("modelCustomizationJobSummaries") or []))
        except Exception as exc:
            retry = retryable_error(exc, "ListModelCustomizationJobs")
            raise (retry or TransientError(f"ListModelCustomizationJobs: {exc}")) from exc
        return jobs

    def stop_job(self, identifier: str) -> None:
        try:
            self._bedrock.stop_model_customization_job(jobIdentifier=identifier)
        except Exception as exc:
            retry = retryable_error(exc, "StopModelCustomizationJob")
            if retry is not None:
                raise retry from exc
            raise JobStartError(f"cannot stop job {identifier}: {error_message(exc)}") from exc

    # -- custom model deployments ---------------------------------------------------------
    def update_custom_model_deployment(self, deployment_arn: str, model_arn: str) -> str:
        """Serve ``model_arn`` behind ``deployment_arn``; returns the deployment ARN.

        Raises
        ------
        ThrottlingError, TransientError
            Retry later.
        PromotionError
            Bedrock refused (unknown deployment or model, access, a pending update).
        """
        try:
            response = self._bedrock.update_custom_model_deployment(
                customModelDeploymentIdentifier=deployment_arn, modelArn=model_arn
            )
        except Exception as exc:
            retry = retryable_error(exc, "UpdateCustomModelDeployment")
            if retry is not None:
                raise retry from exc
            raise PromotionError(
                f"Bedrock refused to update deployment {deployment_arn} to {model_arn}: "
                f"{error_code(exc)}: {error_message(exc)}",
                fix="check the deployment exists and is Active, that the model is supported "
                "for on-demand deployment, and bedrock:UpdateCustomModelDeployment permissions",
            ) from exc
        return str(response.get("customModelDeploymentArn") or deployment_arn)

    def get_custom_model_deployment(self, deployment_arn: str) -> dict[str, Any] | None:
        """``GetCustomModelDeployment`` (timestamps as ISO strings), ``None`` if unknown."""
        try:
            response = self._bedrock.get_custom_model_deployment(
                customModelDeploymentIdentifier=deployment_arn
            )
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            retry = retryable_error(exc, "GetCustomModelDeployment")
            raise (retry or TransientError(f"GetCustomModelDeployment: {exc}")) from exc
        response.pop("ResponseMetadata", None)
        result: dict[str, Any] = _iso(response)
        return result
