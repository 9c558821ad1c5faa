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

import contextlib
import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import (
    BedrockTunerError,
    InvalidEventError,
    JobStartError,
    RunStoppedError,
)
from bedrock_tuner.models.jobs import JobRecord, JobUpdate
from bedrock_tuner.models.payloads import ExecutionState, JobOutput, JobResult, TrackJobRequest
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.events import BedrockJobStateChangeEvent
from bedrock_tuner.pipeline.jobs import build_job_request, job_name_for
from bedrock_tuner.pipeline.runs import Run, RunStatus, Step, iso
from bedrock_tuner.pipeline.spec import PipelineSpec
from bedrock_tuner.pipeline.tracking import JobState, JobStatus, is_terminal, status_rank

__all__ = [
    "AbandonOutcome",
    "abandon_job",
    "apply_job_state",
    "handle_job_event",
    "job_result_for",
    "observed_at",
    "start_job",
    "stop_job_of",
    "track_job",
]


# --------------------------------------------------------------------------- start


def _refuse_if_stopped(run: Run | None) -> None:
    if run is not None and run.stop_requested:
        by = run.stop_requested.get("by") or "someone"
        raise RunStoppedError(
            f"run {run.run_id} was stopped by {by} before its job started",
            fix="nothing to do; to train on it after all, start a new run: "
            f"`bedrock-tuner runs start {run.pipeline} {run.dataset.uri}`",
        )


def start_job(state: ExecutionState, deps: Deps) -> JobOutput:
    """``CreateModelCustomizationJob`` for the run (idempotent: clientRequestToken = run id).

    The job trains on the run's own copy of the validated bytes (``work/<pipeline>/<run>/``,
    written by the validate step), so a later upload to the same key cannot change what it
    learns from (I5). A run stopped before or while the job is created never keeps a job:
    the stop is checked before the request and again after it (D4).

    Raises
    ------
    InvalidEventError
        The state has no validation result.
    RunStoppedError
        A person stopped the run.
    ThrottlingError, TransientError
        Retry (a quota on concurrent jobs is throttling: the workflow waits).
    JobStartError
        Bedrock refused the job.
    """
    if state.validation is None or not state.validation.training_uri:
        raise InvalidEventError(
            "start_customization_job needs $.validation.trainingUri",
            fix="run it after Validate dataset (the execution state carries the result)",
        )
    _refuse_if_stopped(deps.runs.get(state.run_id))
    spec = PipelineSpec.model_validate(state.spec)
    training_uri = state.validation.training_uri
    family = spec.family(state.pipeline)
    next_version = (
        deps.versions.last_number(family) + 1 if "{version}" in spec.custom_model_name else None
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
    deps.jobs.put(job_arn=job_arn, job_name=job.job_name, run_id=state.run_id, started_at=started)
    output = JobOutput(
        job_arn=job_arn,
        job_name=job.job_name,
        custom_model_name=job.custom_model_name,
        output_uri=job.output_uri,
    )
    deps.runs.update(
        state.run_id,
        status=RunStatus.TRAINING,
        fields={"jobArn": job_arn, "family": family, "job": output.wire()},
        step=Step(name="job", status="started", at=started, detail=job_arn),
    )
    run = deps.runs.get(state.run_id)
    if run is not None and run.stop_requested:
        # stopped while Bedrock was creating the job: the job must not train on
        stop_job_of(deps, job_arn, job.job_name, state.run_id, why="the run was stopped")
        _refuse_if_stopped(run)
    logger.info(
        "customization job started",
        extra={"runId": state.run_id, "jobArn": job_arn, "jobName": job.job_name},
    )
    count("JobStarted")
    return output


def stop_job_of(deps: Deps, job_arn: str, job_name: str | None, run_id: str, *, why: str) -> str:
    """Ask Bedrock to stop a job; returns its status after the request."""
    status = JobStatus.STOPPING.value
    try:
        deps.bedrock.stop_job(job_name or job_arn)
    except JobStartError:  # Bedrock refuses to stop a job that has ended: read it
        polled = deps.bedrock.get_job(job_arn, job_name=job_name)
        status = str((polled or {}).get("status") or JobStatus.STOPPING.value)
        if not is_terminal(status):
            raise
    with contextlib.suppress(BedrockTunerError):
        deps.jobs.mark_stop_requested(job_arn, at=deps.now())
    with contextlib.suppress(BedrockTunerError):
        deps.runs.update(
            run_id,
            step=Step(name="job", status="stop_requested", at=deps.now(), detail=why),
        )
    logger.warning("customization job stopped", extra={"jobArn": job_arn, "why": why})
    count("JobStopped")
    return status


class AbandonOutcome(BaseModel):
    """What "Stop the job" did (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    job_arn: str | None = None
    status: str | None = None
    stopping: bool = False  # a stop was requested and the job has not ended yet

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def abandon_job(state: ExecutionState, deps: Deps) -> AbandonOutcome:
    """The workflow gave up on the run after the job was started (a timeout, a failed
    step): stop the Bedrock job so it does not train and bill for a run that has ended
    (I2). The slot stays held while the job is stopping; the reconciler frees it when the
    job has ended (I4).

    Finds the job from the state, the run, or Bedrock itself by its name (the start step
    may have died after Bedrock created it).
    """
    run = deps.runs.get(state.run_id)
    job_arn = (state.job.job_arn if state.job else None) or (run.job_arn if run else None)
    job_name = (state.job.job_name if state.job else None) or job_name_for(
        state.pipeline, state.run_id
    )
    polled = deps.bedrock.get_job(job_arn or job_name, job_name=job_name)
    if polled is None:
        return AbandonOutcome(job_arn=job_arn)  # no job was ever created
    job_arn = str(polled["jobArn"])
    deps.jobs.put(job_arn=job_arn, job_name=job_name, run_id=state.run_id, started_at=deps.now())
    status = str(polled.get("status") or JobStatus.IN_PROGRESS.value)
    if not is_terminal(status) and status != JobStatus.STOPPING:
        why = "the workflow gave up on the run"
        if state.error is not None:
            why += f" ({state.error.error_type()})"
        status = stop_job_of(deps, job_arn, job_name, state.run_id, why=why)
    if is_terminal(status):
        # no resume: the task that waited for this job is gone (the workflow is here because
        # it gave up on it), and this function may not SendTaskSuccess (least privilege)
        apply_job_state(
            JobState.from_bedrock(polled, observed_at=observed_at(polled, deps)),
            deps,
            event_id=None,
            resume=False,
        )
    return AbandonOutcome(job_arn=job_arn, status=status, stopping=not is_terminal(status))


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
    """Resume the waiting task of a terminal job; ``False`` when there is none (yet).

    A task that is gone (the execution ended) leaves the job in the ended index: the
    reconciler then records the outcome on the run and tells people about a trained model
    nobody registered (:func:`bedrock_tuner.pipeline.reconcile.settle_job_outcome`).
    """
    if not job.task_token:
        return False
    delivered = deps.sfn.send_task_success(job.task_token, job_result_for(job).wire())
    if delivered:
        deps.jobs.mark_resumed(job.job_arn, at=deps.now(), delivered=True)
        count("JobResumed")
    return delivered


def apply_job_state(
    state: JobState, deps: Deps, *, event_id: str | None, resume: bool = True
) -> tuple[JobUpdate, bool]:
    """Apply ``state`` (event or poll) and resume the workflow when the job ended (unless
    ``resume`` is false: the caller knows no task waits).

    Returns the store's answer and whether a waiting task was resumed. A resume that
    fails (throttled) raises: the event is redelivered, and — because the job stays in the
    ended index until its workflow is resumed — the redelivered event (reported as a
    duplicate) and the reconciler both try again (D1).
    """
    update = deps.jobs.apply_state(state, event_id=event_id)
    log = {
        "jobArn": state.job_arn,
        "status": state.status,
        "eventId": event_id,
        "reason": update.reason,
    }
    job = update.job
    if not update.applied or job is None:
        if resume and job is not None and job.resume_pending and job.task_token:
            resumed = _resume(job, deps)  # an earlier resume of this ended job failed
            logger.info("resumed an ended job on a repeat", extra={**log, "resumed": resumed})
            return update, resumed
        logger.info("job state not applied", extra=log)
        return update, False
    resumed = False
    if job.terminal:
        try:
            deps.runs.update(
                job.run_id,
                status=RunStatus.TRAINED if job.status == JobStatus.COMPLETED else None,
                fields={"jobStatus": job.status, "outputModelArn": job.output_model_arn},
                step=Step(
                    name="job",
                    status=job.status,
                    at=deps.now(),
                    detail=job.failure_message or job.output_model_arn,
                ),
            )
        except BedrockTunerError:
            logger.warning("the job's run is missing", extra={**log, "runId": job.run_id})
        resumed = _resume(job, deps) if resume else False
    logger.info("job state applied", extra={**log, "resumed": resumed})
    return update, resumed


# --------------------------------------------------------------------------- track


def track_job(request: TrackJobRequest, deps: Deps) -> dict[str, Any]:
    """Store the task token with the job; resume at once if the job already ended."""
    job = deps.jobs.attach_token(
        request.job_arn, token=request.token, execution_arn=request.execution_arn
    )
    if job is None:  # the start step died between Bedrock and the store: record it now
        polled = deps.bedrock.get_job(request.job_arn)
        if polled is None:
            raise InvalidEventError(
                f"no customization job {request.job_arn}",
                fix="track_job follows the job that start_customization_job started",
            )
        deps.jobs.put(
            job_arn=request.job_arn,
            job_name=polled.get("jobName"),
            run_id=request.run_id,
            started_at=str(polled.get("creationTime") or deps.now()),
        )
        job = deps.jobs.attach_token(
            request.job_arn, token=request.token, execution_arn=request.execution_arn
        )
        if job is None:
            raise InvalidEventError(f"job {request.job_arn} vanished while being tracked")
    if job.terminal:
        resumed = _resume(job, deps)
        return {"jobArn": job.job_arn, "status": job.status, "resumed": resumed}
    polled = deps.bedrock.get_job(request.job_arn, job_name=job.job_name)
    if polled is not None:
        state = JobState.from_bedrock(polled, observed_at=observed_at(polled, deps))
        if state.terminal:
            _, resumed = apply_job_state(state, deps, event_id=None)
            return {"jobArn": job.job_arn, "status": state.status, "resumed": resumed}
    logger.info("waiting for the job", extra={"jobArn": job.job_arn, "runId": request.run_id})
    return {"jobArn": job.job_arn, "status": job.status, "resumed": False}


def observed_at(polled: dict[str, Any], deps: Deps) -> str:
    """When Bedrock last changed the job (the poll's time when it does not say)."""
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
    job = deps.jobs.get(detail.job_arn)
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
