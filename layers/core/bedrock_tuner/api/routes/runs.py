"""``/runs``: start a run on an object, list and inspect runs, stop one."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query

from bedrock_tuner.api.context import authenticated_principal, caller_of, new_router
from bedrock_tuner.api.models import RunStartBody, StopBody, TimelineEntry
from bedrock_tuner.api.routes.pipelines import pipeline_names
from bedrock_tuner.api.timeline import build_timeline
from bedrock_tuner.aws.s3 import parse_s3_uri
from bedrock_tuner.deps import Deps, default_deps
from bedrock_tuner.errors import DatasetNotFoundError, UsageError
from bedrock_tuner.models.payloads import DatasetInput
from bedrock_tuner.pipeline.interventions import (
    RecoverOutcome,
    StopOutcome,
    recover_run,
    stop_run,
)
from bedrock_tuner.pipeline.runs import (
    Run,
    RunStatus,
    parse_status_filter,
    status_filter_values,
)
from bedrock_tuner.pipeline.spec import pipeline_name_for_key
from bedrock_tuner.pipeline.uploads import UploadOutcome, handle_dataset_uploaded

router = new_router()


def _run_view(run: Run) -> dict[str, Any]:
    return run.model_dump(by_alias=True, mode="json", exclude_none=True)


@router.post(
    "/runs",
    summary="Start a run on a dataset object (as if it had just been uploaded)",
    tags=["runs"],
    responses={
        202: {
            "description": "started",
            "content": {"application/json": {"model": UploadOutcome}},
        },
        200: {
            "description": "a run exists already (duplicate), the spec is wrong (spec_error), "
            "or the key cannot be used (rejected); a run that ended before its job (spec "
            "error, invalid data, rejected, over budget) is retried: status started, retryOf",
            "content": {"application/json": {"model": UploadOutcome}},
        },
    },
)
def start_run(body: RunStartBody) -> Response[str]:
    deps = default_deps()
    bucket, key = parse_s3_uri(body.dataset_uri)
    if bucket != deps.settings.data_bucket:
        raise UsageError(
            f"{bucket} is not the pipeline's data bucket",
            fix=f"upload the dataset to s3://{deps.settings.data_bucket}/datasets/<pipeline>/",
        )
    pipeline = pipeline_name_for_key(key)
    if pipeline is None or (body.pipeline is not None and body.pipeline != pipeline):
        raise UsageError(
            f"{key} is not a dataset of pipeline {body.pipeline or '?'}",
            fix="use s3://<bucket>/datasets/<pipeline>/<file>.jsonl",
        )
    head = deps.s3.head(bucket, key, version_id=body.version_id)
    if head is None:
        raise DatasetNotFoundError(
            f"s3://{bucket}/{key} does not exist", fix="upload it first, or check the version id"
        )
    outcome = handle_dataset_uploaded(
        DatasetInput(
            bucket=bucket, key=key, version_id=head.version_id, etag=head.etag, size=head.size
        ),
        deps,
        retry=True,  # a person asked: a run that ended before its job starts again
        started_by=authenticated_principal(router.current_event),  # may not approve it
    )
    return Response(
        status_code=202 if outcome.status == "started" else 200,
        content_type="application/json",
        body=json.dumps(outcome.wire()),
    )


_STATUS_HELP = (
    "only runs in this status, or in a group: failed (FAILED, INVALID, REJECTED, OVER_BUDGET, "
    "SPEC_ERROR), active (not ended yet), succeeded; case does not matter. One of: "
    + ", ".join(status_filter_values())
)


def _status_filter(value: str) -> frozenset[RunStatus]:
    try:
        return parse_status_filter(value)[1]
    except ValueError as error:
        raise RequestValidationError(
            [{"loc": ("query", "status"), "msg": str(error), "type": "value_error"}]
        ) from None


@router.get("/runs", summary="List runs (newest first)", tags=["runs"])
def list_runs(
    pipeline: Annotated[str | None, Query(description="only this pipeline's runs")] = None,
    status: Annotated[str | None, Query(description=_STATUS_HELP, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    wanted = _status_filter(status) if status is not None else None
    deps = default_deps()
    names = [pipeline] if pipeline else pipeline_names(deps)
    runs: list[Run] = []
    for name in names:
        runs.extend(deps.runs.by_pipeline(name, limit=limit if wanted is None else 1000))
    if wanted is not None:
        runs = [run for run in runs if run.status in wanted]
    runs.sort(key=lambda run: (run.created_at, run.run_id), reverse=True)
    return [_run_view(run) for run in runs[:limit]]


def _job_details(deps: Deps, job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    found = deps.bedrock.get_job(str(job["jobArn"]), job_name=job.get("jobName"))
    details: dict[str, Any] | None = (found or {}).get("statusDetails")
    return details


@router.get(
    "/runs/<run_id>",
    summary="Get a run with its timeline (workflow states and Bedrock sub-stages)",
    tags=["runs"],
)
def get_run(run_id: str) -> dict[str, Any]:
    deps = default_deps()
    run = deps.runs.require(run_id)
    history = deps.sfn.execution_history(run.execution_arn) if run.execution_arn else []
    record = deps.jobs.get(run.job_arn) if run.job_arn else None
    job = record.model_dump(by_alias=True, mode="json") if record else None
    if job is not None:
        job.pop("taskToken", None)
        job.pop("seenEventIds", None)
    timeline: list[TimelineEntry] = build_timeline(
        history=history, steps=run.steps, job=job, job_details=_job_details(deps, job)
    )
    return {
        **_run_view(run),
        "job": job,
        "timeline": [entry.model_dump(by_alias=True, mode="json") for entry in timeline],
    }


@router.post(
    "/runs/<run_id>/stop",
    summary="Stop a run: its Bedrock job, or its execution when no job runs",
    tags=["runs"],
    responses={
        200: {"description": "stopped", "content": {"application/json": {"model": StopOutcome}}}
    },
)
def stop(run_id: str, body: StopBody | None = None) -> dict[str, Any]:
    """A running job is stopped at Bedrock: the workflow then takes its own failure path
    (the job ends Stopped, the slot is released, people are told). A run with no job yet
    (validating, waiting for approval or a slot) has its execution stopped and people are
    told. The stop is recorded first, so a job being created at that moment is stopped as
    soon as it exists."""
    outcome = stop_run(
        run_id,
        by=caller_of(router.current_event),
        reason=body.reason if body else None,
        deps=default_deps(),
    )
    return outcome.wire()


@router.post(
    "/runs/<run_id>/recover",
    summary="Register the model of a completed job whose run failed after training",
    tags=["runs"],
    responses={
        200: {
            "description": "registered",
            "content": {"application/json": {"model": RecoverOutcome}},
        }
    },
)
def recover(run_id: str) -> dict[str, Any]:
    """Idempotent: a run whose model is registered already answers with its version."""
    outcome = recover_run(run_id, by=caller_of(router.current_event), deps=default_deps())
    return outcome.wire()
