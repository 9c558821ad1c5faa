"""The "Register model version" step: metrics from the job's output, version N, lineage,
and — with ``promotion: auto_if_better`` — auto-promotion of the ``production`` alias."""

from __future__ import annotations

from typing import Any

from bedrock_tuner.catalog import (
    effective_hyperparameters,
    get_model,
    load_catalog,
    type_support,
)
from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import BedrockTunerError, DatasetSourceError, InvalidEventError
from bedrock_tuner.models.payloads import ExecutionState, VersionOutput
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.runs import RunStatus, Step
from bedrock_tuner.pipeline.spec import PipelineSpec
from bedrock_tuner.registry.aliases import DEFAULT_ALIAS, AutoPromotion, maybe_auto_promote
from bedrock_tuner.registry.metrics import (
    TRAINING_METRICS_FILE,
    VALIDATION_METRICS_FILE,
    LossPoint,
    MetricsSummary,
    parse_loss_csv,
    summarize_metrics,
)
from bedrock_tuner.registry.versions import DatasetLineage, ModelVersion

__all__ = ["read_job_metrics", "register_version"]


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def read_job_metrics(
    output_uri: str,
    deps: Deps,
    *,
    fallback_training: float | None = None,
    fallback_validation: float | None = None,
) -> MetricsSummary:
    """Find the metrics CSVs anywhere under the job's output prefix and summarise them.

    Bedrock's sub-path varies (``model-customization-job-<id>/training_artifacts/…``,
    ``validation_artifacts/post_fine_tuning_validation/…``), so the prefix is searched
    recursively by file name. Without CSVs the losses the job reported are used.
    """
    bucket, prefix = _split_uri(output_uri)
    training: list[LossPoint] = []
    validation: list[LossPoint] = []
    for key in sorted(deps.s3.list_keys(bucket, prefix)):
        name = key.rsplit("/", 1)[-1]
        if name == TRAINING_METRICS_FILE:
            training.extend(_metrics_file(deps, bucket, key, "training"))
        elif name == VALIDATION_METRICS_FILE:
            validation.extend(_metrics_file(deps, bucket, key, "validation"))
    if not training and fallback_training is not None:
        training = [LossPoint(loss=fallback_training)]
    if not validation and fallback_validation is not None:
        validation = [LossPoint(loss=fallback_validation)]
    return summarize_metrics(training, validation)


def _metrics_file(deps: Deps, bucket: str, key: str, kind: str) -> list[LossPoint]:
    """A metrics CSV's points; one that cannot be read costs its curve, never the version
    (the model is trained: it must be registered, D3)."""
    try:
        return parse_loss_csv(deps.s3.get_text(bucket, key) or "", kind=kind)
    except (DatasetSourceError, ValueError) as exc:
        logger.warning(
            "metrics file unreadable: registered without it",
            extra={"key": key, "error": str(exc)},
        )
        return []


def _effective_hyperparameters(spec: PipelineSpec) -> dict[str, str]:
    """The spec's hyperparameters over the catalog's defaults; the spec's alone when the
    catalog no longer knows the model (it changed during a days-long job, D3)."""
    try:
        support = type_support(get_model(load_catalog(), spec.base_model), spec.customization_type)
    except BedrockTunerError:
        logger.warning(
            "the catalog no longer knows the base model", extra={"model": spec.base_model}
        )
        return dict(spec.hyperparameters)
    return effective_hyperparameters(support, spec.hyperparameters)


def register_version(state: ExecutionState, deps: Deps) -> VersionOutput:
    """Allocate the next version of the run's family for its job and store the lineage.

    Registering the same job again returns the version it already has. The family must be
    the pipeline's own, or shared with it by its owner (``family_writers``): checked in the
    registration's transaction, so a share taken back while the job ran is honoured.

    Raises
    ------
    ForbiddenError
        The family belongs to another pipeline that does not list this one.
    InvalidEventError
        The state lacks ``job`` or a completed ``jobResult`` with the model ARN.
    ThrottlingError, TransientError
        AWS failed (or contention did not settle); the workflow retries.
    """
    job, result = state.job, state.job_result
    if job is None or result is None or result.status != "Completed":
        raise InvalidEventError(
            "register_model_version needs $.job and a Completed $.jobResult",
            fix="run it after the job completed (Did the job complete?)",
        )
    if not result.output_model_arn:
        raise InvalidEventError(
            f"job {job.job_arn} completed without an outputModelArn",
            fix="check the job in the Bedrock console",
        )
    spec = PipelineSpec.model_validate(state.spec)
    family = spec.family(state.pipeline)
    metrics = read_job_metrics(
        job.output_uri,
        deps,
        fallback_training=result.training_loss,
        fallback_validation=result.validation_loss,
    )
    run = deps.runs.get(state.run_id)
    hyperparameters = _effective_hyperparameters(spec)
    validation = state.validation
    dataset = state.dataset
    registered_at = deps.now()

    def build(number: int) -> ModelVersion:
        return ModelVersion(
            family=family,
            version=number,
            model_arn=result.output_model_arn or "",
            custom_model_name=job.custom_model_name,
            pipeline=state.pipeline,
            run_id=state.run_id,
            execution_arn=run.execution_arn if run else None,
            job_arn=job.job_arn,
            job_name=job.job_name,
            base_model=spec.base_model,
            customization_type=spec.customization_type.value,
            hyperparameters=hyperparameters,
            dataset=DatasetLineage(
                uri=dataset.uri,
                version_id=dataset.version_id,
                etag=dataset.etag or None,
                sha256=run.dataset.sha256 if run else None,
                records=validation.records if validation else None,
                validation_records=validation.validation_records if validation else None,
                training_tokens=validation.training_tokens if validation else None,
                report_uri=validation.report_uri if validation else None,
                training_uri=validation.training_uri if validation else None,
                validation_uri=validation.validation_uri if validation else None,
            ),
            spec=state.spec,
            metrics=metrics,
            cost_usd=validation.estimated_cost_usd if validation else None,
            registered_at=registered_at,
            run_started_at=run.created_at if run else None,
        )

    version, created = deps.versions.register(family, job.job_arn, build, writer=state.pipeline)
    if run is not None:
        deps.runs.update(
            state.run_id,
            status=RunStatus.REGISTERED,
            fields={"version": version.version, "family": family},
            step=Step(
                name="register",
                status="registered" if created else "exists",
                at=deps.now(),
                detail=f"{family} v{version.version}",
            ),
        )
    logger.info(
        "model version registered" if created else "job was registered already",
        extra={"family": family, "version": version.version, "jobArn": job.job_arn},
    )
    if created:
        count("VersionRegistered")
    output = version.summary()
    promotion = _auto_promote(deps, family, version, spec, run_id=state.run_id if run else None)
    if promotion is not None:
        output["promotion"] = promotion
    return VersionOutput.model_validate(output)


def _auto_promote(
    deps: Deps, family: str, version: ModelVersion, spec: PipelineSpec, *, run_id: str | None
) -> dict[str, Any] | None:
    """``promotion: auto_if_better``: move ``production`` when the new version is better.

    A failed promotion never fails the registration: it is logged, recorded in the run's
    timeline and returned in the step output (``promotion``) with the error.
    """
    try:
        result = maybe_auto_promote(deps, family, version, spec)
    except Exception as exc:  # noqa: BLE001 - a promotion never fails the registration
        logger.exception("auto-promotion failed", extra={"family": family})
        message = exc.message if isinstance(exc, BedrockTunerError) else str(exc)
        result = AutoPromotion(
            alias=DEFAULT_ALIAS, status="failed", reason="promotion failed", error=message
        )
    if result is None:
        return None
    if run_id is not None:
        try:
            deps.runs.update(
                run_id,
                step=Step(
                    name="promote",
                    status=result.status,
                    at=deps.now(),
                    detail=f"{result.alias}: {result.error or result.reason}",
                ),
            )
        except BedrockTunerError:
            logger.exception("could not record the promotion in the run", extra={"runId": run_id})
    data: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    return data
