"""A dataset lands in S3: resolve its pipeline spec, record the run, start one execution.

Idempotent per object version: the run id comes from bucket/key/version, the execution name
from the run id (Step Functions refuses a second execution of a name), and the handler
wraps this in Powertools idempotency as well.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from bedrock_tuner.errors import SpecError
from bedrock_tuner.notify.messages import render_spec_error
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.deps import Deps
from bedrock_tuner.pipeline.jobs import bedrock_uri_problem
from bedrock_tuner.pipeline.payloads import DatasetInput, ExecutionInput, ExecutionState
from bedrock_tuner.pipeline.runs import (
    DatasetRef,
    Run,
    RunStatus,
    Step,
    execution_name_for,
    normalise_etag,
    run_id_for,
)
from bedrock_tuner.pipeline.spec import (
    PipelineSpec,
    check_pipeline_name,
    parse_spec,
    pipeline_name_for_key,
    spec_keys_for,
)

__all__ = ["UploadOutcome", "handle_dataset_uploaded", "publish_notification"]


class UploadOutcome(BaseModel):
    """What ``on_dataset_uploaded`` did with one object (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    status: Literal["started", "duplicate", "ignored", "spec_error"]
    reason: str
    run_id: str | None = None
    pipeline: str | None = None
    execution_arn: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def publish_notification(deps: Deps, note: Any, *, email_text: str | None = None) -> str:
    """Publish a rendered notification to the topic; returns the message id."""
    message_id = deps.sns.publish(
        deps.settings.topic_arn,
        message=note.model_dump(mode="json"),
        subject=note.subject,
        attributes=note.attributes(),
        email_text=email_text or _email_text(note),
    )
    count(f"Notification_{note.kind}")
    return message_id


def _email_text(note: Any) -> str:
    lines = [note.text, ""]
    lines += [f"{link.label}: {link.url}" for link in note.links]
    lines += ["", f"run {note.run_id} · pipeline {note.pipeline} · {note.kind}"]
    return "\n".join(lines)


def _load_spec(deps: Deps, bucket: str, pipeline: str) -> PipelineSpec:
    check_pipeline_name(pipeline)
    for key in spec_keys_for(pipeline):
        text = deps.s3.get_text(bucket, key)
        if text is not None:
            return parse_spec(text, pipeline)
    raise SpecError(
        f"there is no pipeline spec for {pipeline}: pipelines/{pipeline}.yaml does not exist",
        path="",
        fix=f"upload pipelines/{pipeline}.yaml (at least `base_model: <model id>`; see "
        "docs/pipeline.md), then upload the dataset again",
    )


def handle_dataset_uploaded(dataset: DatasetInput, deps: Deps) -> UploadOutcome:
    """Start the run of one uploaded object (see the module docstring).

    A missing or bad spec does not raise: it is recorded on the run (``SPEC_ERROR``) and
    sent as a ``spec_error`` notification naming every problem, and nothing starts.

    Raises
    ------
    DatasetSourceError, ThrottlingError, TransientError
        The spec could not be read, or AWS failed: the event is retried.
    """
    pipeline = pipeline_name_for_key(dataset.key)
    if pipeline is None:
        return UploadOutcome(status="ignored", reason=f"{dataset.key} is not a dataset key")
    if dataset.bucket != deps.settings.data_bucket:
        return UploadOutcome(
            status="ignored", reason=f"{dataset.bucket} is not the pipeline's data bucket"
        )
    marker = dataset.version_id or normalise_etag(dataset.etag)
    run_id = run_id_for(dataset.bucket, dataset.key, marker)
    log = {"runId": run_id, "pipeline": pipeline, "key": dataset.key}

    existing = deps.store.get_run(run_id)
    if existing is not None and (existing.execution_arn or existing.status == RunStatus.SPEC_ERROR):
        logger.info("duplicate delivery: the run exists", extra=log)
        return UploadOutcome(
            status="duplicate",
            reason="this object version already has a run",
            run_id=run_id,
            pipeline=pipeline,
            execution_arn=existing.execution_arn,
        )

    now = deps.now()
    ref = DatasetRef(
        bucket=dataset.bucket,
        key=dataset.key,
        version_id=dataset.version_id,
        etag=normalise_etag(dataset.etag),
        size=dataset.size,
    )
    try:
        spec = _load_spec(deps, dataset.bucket, pipeline)
        problem = bedrock_uri_problem(dataset.uri)
        if problem:
            raise SpecError(problem[0], path="dataset.key", fix=problem[1])
    except SpecError as error:
        return _spec_error(deps, error, run_id=run_id, pipeline=pipeline, ref=ref, now=now)

    if spec.validation is not None and spec.validation.file_uri(dataset.bucket) == dataset.uri:
        return UploadOutcome(
            status="ignored",
            reason=f"{dataset.key} is the validation file of {pipeline}, not training data",
            pipeline=pipeline,
        )

    snapshot = spec.model_dump(mode="json")
    run = Run(
        run_id=run_id,
        pipeline=pipeline,
        dataset=ref,
        status=RunStatus.RECEIVED,
        created_at=now,
        updated_at=now,
        spec=snapshot,
    ).with_step("received", "ok", at=now, detail=dataset.uri)
    run, _ = deps.store.create_run(run)

    payload = ExecutionInput(
        run_id=run_id,
        pipeline=pipeline,
        dataset=DatasetInput(
            bucket=ref.bucket,
            key=ref.key,
            version_id=ref.version_id,
            etag=ref.etag,
            size=ref.size,
        ),
        spec=snapshot,
    )
    name = execution_name_for(pipeline, run_id)
    execution_arn, started = deps.sfn.start_execution(
        deps.settings.require_state_machine_arn(), name, payload.wire()
    )
    deps.store.update_run(
        run_id,
        fields={"executionArn": execution_arn},
        step=Step(
            name="execution",
            status="started" if started else "exists",
            at=deps.now(),
            detail=execution_arn,
        ),
    )
    logger.info(
        "execution started" if started else "execution existed",
        extra={**log, "executionArn": execution_arn},
    )
    if started:
        count("RunStarted")
    return UploadOutcome(
        status="started" if started else "duplicate",
        reason="execution started" if started else "the execution exists already",
        run_id=run_id,
        pipeline=pipeline,
        execution_arn=execution_arn,
    )


def _spec_error(
    deps: Deps, error: SpecError, *, run_id: str, pipeline: str, ref: DatasetRef, now: str
) -> UploadOutcome:
    logger.warning(
        "pipeline spec problem: no run started",
        extra={"runId": run_id, "pipeline": pipeline, "problems": list(error.problems)},
    )
    run = Run(
        run_id=run_id,
        pipeline=pipeline,
        dataset=ref,
        status=RunStatus.SPEC_ERROR,
        created_at=now,
        updated_at=now,
        error={"Error": "SpecError", "Cause": error.message, "path": error.path},
    ).with_step("spec", "error", at=now, detail=error.message)
    run, created = deps.store.create_run(run)
    state = ExecutionState(
        run_id=run_id,
        pipeline=pipeline,
        dataset=DatasetInput(
            bucket=ref.bucket, key=ref.key, version_id=ref.version_id, etag=ref.etag, size=ref.size
        ),
        spec={},
    )
    if created:  # one notification per run, even if the event comes again
        note = render_spec_error(error, state=state, region=deps.settings.region)
        publish_notification(deps, note)
    return UploadOutcome(status="spec_error", reason=str(error), run_id=run_id, pipeline=pipeline)
