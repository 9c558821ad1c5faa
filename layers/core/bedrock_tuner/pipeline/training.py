"""Start the Bedrock job, follow it, resume the workflow when it ends.

Events (``on_job_state_change``) and polling (``reconcile_jobs``, ``track_job``) feed the
same function, :func:`apply_job_state`: the store applies a state only if it moves the
job forward (and only once per event id), and when that makes the job terminal the
waiting task is resumed with ``{status, failureMessage, outputModelArn, trainingLoss,
validationLoss}``. The token and the state are written by conditional updates that return
the item after the write, so whichever of "token stored" and "job ended" comes second
sees both and resumes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.aws.dynamo import JobRecord, JobUpdate
from bedrock_tuner.errors import BedrockTunerError, InvalidEventError, JobStartError
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.deps import Deps
from bedrock_tuner.pipeline.events import BedrockJobStateChangeEvent
from bedrock_tuner.pipeline.jobs import build_job_request
from bedrock_tuner.pipeline.payloads import ExecutionState, JobOutput, JobResult, TrackJobRequest
from bedrock_tuner.pipeline.runs import (
    RunStatus,
    Step,
    iso,
    normalise_etag,
    run_id_from_execution_name,
)
from bedrock_tuner.pipeline.spec import PipelineSpec
from bedrock_tuner.pipeline.tracking import JobState, JobStatus, status_rank

__all__ = [
    "ReconcileReport",
    "apply_job_state",
    "handle_job_event",
    "job_result_for",
    "reconcile_jobs",
    "start_job",
    "track_job",
]


# --------------------------------------------------------------------------- start


def _check_dataset_unchanged(state: ExecutionState, training_uri: str, deps: Deps) -> None:
    """Bedrock reads the object's *current* version: make sure it is the validated one."""
    dataset = state.dataset
    if training_uri != dataset.uri:
        return  # the job reads our split copy under work/
    head = deps.s3.head(dataset.bucket, dataset.key)
    if head is None:
        raise JobStartError(
            f"{dataset.uri} was deleted after validation",
            fix="upload the dataset again",
        )
    changed = (
        head.version_id != dataset.version_id
        if dataset.version_id
        else head.etag != normalise_etag(dataset.etag)
    )
    if changed:
        raise JobStartError(
            f"{dataset.uri} changed after it was validated (a newer upload replaced it); "
            "this run stops so the job never trains on data nobody validated",
            fix="nothing to do: the newer upload has its own run",
        )


def start_job(state: ExecutionState, deps: Deps) -> JobOutput:
    """``CreateModelCustomizationJob`` for the run (idempotent: clientRequestToken = run id).

    Raises
    ------
    InvalidEventError
        The state has no validation result.
    ThrottlingError, TransientError
        Retry (a quota on concurrent jobs is throttling: the workflow waits).
    JobStartError
        Bedrock refused the job, or the dataset changed since validation.
    """
    if state.validation is None or not state.validation.training_uri:
        raise InvalidEventError(
            "start_customization_job needs $.validation.trainingUri",
            fix="run it after Validate dataset (the execution state carries the result)",
        )
    spec = PipelineSpec.model_validate(state.spec)
    training_uri = state.validation.training_uri
    _check_dataset_unchanged(state, training_uri, deps)
    family = spec.family(state.pipeline)
    next_version = (
        deps.store.last_version(family) + 1 if "{version}" in spec.custom_model_name else None
    )
    job = build_job_request(
        spec,
        pipeline=state.pipeline,
        run_id=state.run_id,
        training_uri=training_uri,
        validation_uri=state.validation.validation_uri,
        settings=deps.settings,
        now=deps.clock(),
        next_version=next_version,
    )
    job_arn = deps.bedrock.create_job(job.request)
    started = deps.now()
    deps.store.put_job(
        job_arn=job_arn, job_name=job.job_name, run_id=state.run_id, started_at=started
    )
    deps.store.update_run(
        state.run_id,
        status=RunStatus.TRAINING,
        fields={"jobArn": job_arn, "family": family},
        step=Step(name="job", status="started", at=started, detail=job_arn),
    )
    logger.info(
        "customization job started",
        extra={"runId": state.run_id, "jobArn": job_arn, "jobName": job.job_name},
    )
    count("JobStarted")
    return JobOutput(
        job_arn=job_arn,
        job_name=job.job_name,
        custom_model_name=job.custom_model_name,
        output_uri=job.output_uri,
    )


# --------------------------------------------------------------------------- resume


def job_result_for(job: JobRecord) -> JobResult:
    return JobResult(
        status=job.status,
        failure_message=job.failure_message if job.status == JobStatus.FAILED else None,
        output_model_arn=job.output_model_arn,
        training_loss=job.training_loss,
        validation_loss=job.validation_loss,
    )


def _resume(job: JobRecord, deps: Deps) -> bool:
    """Resume the waiting task of a terminal job; ``False`` when there is none (yet)."""
    if not job.task_token:
        return False
    delivered = deps.sfn.send_task_success(job.task_token, job_result_for(job).wire())
    deps.store.mark_resumed(job.job_arn, at=deps.now(), delivered=delivered)
    if delivered:
        count("JobResumed")
    return delivered


def apply_job_state(state: JobState, deps: Deps, *, event_id: str | None) -> tuple[JobUpdate, bool]:
    """Apply ``state`` (event or poll) and resume the workflow when the job ended.

    Returns the store's answer and whether a waiting task was resumed.
    """
    update = deps.store.apply_job_state(state, event_id=event_id)
    log = {
        "jobArn": state.job_arn,
        "status": state.status,
        "eventId": event_id,
        "reason": update.reason,
    }
    if not update.applied or update.job is None:
        logger.info("job state not applied", extra=log)
        return update, False
    job = update.job
    resumed = False
    if job.terminal:
        resumed = _resume(job, deps)
        try:
            deps.store.update_run(
                job.run_id,
                status=RunStatus.TRAINED if job.status == JobStatus.COMPLETED else None,
                fields={"jobStatus": job.status},
                step=Step(
                    name="job",
                    status=job.status,
                    at=deps.now(),
                    detail=job.failure_message or job.output_model_arn,
                ),
            )
        except BedrockTunerError:
            logger.warning("the job's run is missing", extra={**log, "runId": job.run_id})
    logger.info("job state applied", extra={**log, "resumed": resumed})
    return update, resumed


# --------------------------------------------------------------------------- track


def track_job(request: TrackJobRequest, deps: Deps) -> dict[str, Any]:
    """Store the task token with the job; resume at once if the job already ended."""
    job = deps.store.attach_token(
        request.job_arn, token=request.token, execution_arn=request.execution_arn
    )
    if job is None:  # the start step died between Bedrock and the store: record it now
        polled = deps.bedrock.get_job(request.job_arn)
        if polled is None:
            raise InvalidEventError(
                f"no customization job {request.job_arn}",
                fix="track_job follows the job that start_customization_job started",
            )
        deps.store.put_job(
            job_arn=request.job_arn,
            job_name=polled.get("jobName"),
            run_id=request.run_id,
            started_at=str(polled.get("creationTime") or deps.now()),
        )
        job = deps.store.attach_token(
            request.job_arn, token=request.token, execution_arn=request.execution_arn
        )
        if job is None:
            raise InvalidEventError(f"job {request.job_arn} vanished while being tracked")
    if job.terminal:
        resumed = _resume(job, deps)
        return {"jobArn": job.job_arn, "status": job.status, "resumed": resumed}
    polled = deps.bedrock.get_job(request.job_arn, job_name=job.job_name)
    if polled is not None:
        state = JobState.from_bedrock(polled, observed_at=_observed_at(polled, deps))
        if state.terminal:
            _, resumed = apply_job_state(state, deps, event_id=None)
            return {"jobArn": job.job_arn, "status": state.status, "resumed": resumed}
    logger.info("waiting for the job", extra={"jobArn": job.job_arn, "runId": request.run_id})
    return {"jobArn": job.job_arn, "status": job.status, "resumed": False}


def _observed_at(polled: dict[str, Any], deps: Deps) -> str:
    stamp = polled.get("lastModifiedTime") or polled.get("endTime")
    return str(stamp) if stamp else deps.now()


# --------------------------------------------------------------------------- events


def _event_time(event: BedrockJobStateChangeEvent) -> str:
    detail = event.detail
    if detail.last_modified_time:
        return _normalise_time(detail.last_modified_time)
    return iso(event.time)


def _normalise_time(text: str) -> str:
    """ISO text in one shape (UTC, milliseconds) so times compare as strings."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return iso(moment)


def handle_job_event(event: BedrockJobStateChangeEvent, deps: Deps) -> dict[str, Any]:
    """Apply a Bedrock state-change event (sub-stages and metrics from
    ``GetModelCustomizationJob``, which events do not carry)."""
    detail = event.detail
    job = deps.store.get_job(detail.job_arn)
    if job is None:
        logger.info("event for a job the pipeline did not start", extra={"jobArn": detail.job_arn})
        return {"jobArn": detail.job_arn, "applied": False, "reason": "unknown_job"}
    observed = _event_time(event)
    state = JobState(
        job_arn=detail.job_arn,
        job_name=detail.job_name,
        status=detail.job_status,
        failure_message=detail.failure_message if detail.job_status == JobStatus.FAILED else None,
        output_model_arn=detail.output_model_arn
        if detail.job_status == JobStatus.COMPLETED
        else None,
        observed_at=observed,
    )
    polled = deps.bedrock.get_job(detail.job_arn, job_name=detail.job_name or job.job_name)
    if polled is not None:
        fresh = JobState.from_bedrock(polled, observed_at=observed)
        if status_rank(fresh.status) > status_rank(state.status):
            state = fresh  # Bedrock is further along than this (late) event
        else:
            state = state.model_copy(
                update={
                    "stages": fresh.stages,
                    "training_loss": fresh.training_loss,
                    "validation_loss": fresh.validation_loss,
                    "output_model_arn": state.output_model_arn or fresh.output_model_arn,
                }
            )
    update, resumed = apply_job_state(state, deps, event_id=event.id)
    return {
        "jobArn": detail.job_arn,
        "status": state.status,
        "applied": update.applied,
        "reason": update.reason,
        "resumed": resumed,
    }


# --------------------------------------------------------------------------- reconcile


class ReconcileReport(BaseModel):
    """What a reconcile sweep did (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    checked: int = 0
    applied: int = 0
    resumed: int = 0
    heartbeats: int = 0
    slots_released: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def reconcile_jobs(deps: Deps) -> ReconcileReport:
    """Poll in-flight jobs (events are best effort), heartbeat the waiting ones, and free
    job slots whose executions are no longer running.

    Every job is checked even if one fails; failures are listed in the report (and the
    handler raises after the sweep so the invocation is retried and alarms).
    """
    report = ReconcileReport()
    for job in deps.store.list_inflight_jobs():
        report.checked += 1
        try:
            _reconcile_one(job, deps, report)
        except BedrockTunerError as exc:
            logger.exception("reconcile failed for a job", extra={"jobArn": job.job_arn})
            report.errors.append(f"{job.job_arn}: {exc}")
    _release_stale_slots(deps, report)
    count("JobsReconciled", report.checked)
    return report


def _reconcile_one(job: JobRecord, deps: Deps, report: ReconcileReport) -> None:
    polled = deps.bedrock.get_job(job.job_arn, job_name=job.job_name)
    if polled is None:
        report.errors.append(f"{job.job_arn}: Bedrock does not know this job")
        return
    state = JobState.from_bedrock(polled, observed_at=_observed_at(polled, deps))
    if state.terminal or state.status != job.status or state.stages != job.stages:
        update, resumed = apply_job_state(state, deps, event_id=None)
        report.applied += int(update.applied)
        report.resumed += int(resumed)
        if state.terminal:
            if update.applied:
                logger.info(
                    "recovered a job end that no event reported", extra={"jobArn": job.job_arn}
                )
            return
    if job.task_token and deps.sfn.send_task_heartbeat(job.task_token):
        report.heartbeats += 1


def _release_stale_slots(deps: Deps, report: ReconcileReport) -> None:
    for holder in deps.store.slot_holders():
        run_id = run_id_from_execution_name(holder)
        run = deps.store.get_run(run_id) if run_id else None
        if run is not None and not run.execution_arn:
            continue  # cannot tell yet: leave it
        status = deps.sfn.execution_status(run.execution_arn) if run and run.execution_arn else None
        if status == "RUNNING":
            continue
        deps.store.release_slot(holder)
        report.slots_released.append(holder)
        logger.warning(
            "released the job slot of an execution that is not running",
            extra={"holder": holder, "executionStatus": status},
        )
