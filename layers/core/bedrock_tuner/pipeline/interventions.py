"""What people do to a run from outside the workflow: stop it, and recover a trained model
whose run failed after training.

``stop_run`` (``POST /runs/{id}/stop``): the stop is recorded on the run first, so the start
step — if it is creating the job right now — sees it and stops the job it just created (D4).
A running job is stopped at Bedrock and the workflow takes its own path (the job ends
``Stopped``, the slot is freed, people are told). A run without a job has its execution
stopped; since a stopped execution runs no Catch, the run's outcome is recorded and people
are told here (D18).

``recover_run`` (``POST /runs/{id}/recover``): a job completed but its run failed after it
(the register step broke, the workflow timed out, a person stopped the execution too late):
register its model now, with the same version rules (idempotent per job), and tell people
(I1).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import ConflictError, UsageError
from bedrock_tuner.models.payloads import (
    JobOutput,
    JobResult,
    NotifyRequest,
    WorkflowError,
)
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.notifications import notify_run
from bedrock_tuner.pipeline.reconcile import run_state
from bedrock_tuner.pipeline.registration import register_version
from bedrock_tuner.pipeline.runs import RunStatus, Step
from bedrock_tuner.pipeline.tracking import JobState, JobStatus, is_terminal
from bedrock_tuner.pipeline.training import apply_job_state, observed_at, stop_job_of

__all__ = ["RecoverOutcome", "StopOutcome", "recover_run", "stop_run"]

STOPPED_ERROR = "StoppedByUser"


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class StopOutcome(_Camel):
    run_id: str
    job_stopped: bool
    execution_stopped: bool
    by: str
    status: str


class RecoverOutcome(_Camel):
    run_id: str
    status: str  # "registered" | "already registered"
    family: str
    version: int
    model_arn: str
    notified: bool


def stop_run(run_id: str, *, by: str, reason: str | None, deps: Deps) -> StopOutcome:
    """Stop a run (see the module docstring).

    Raises
    ------
    RunNotFoundError
        No such run.
    ConflictError
        The run has ended already.
    """
    run = deps.runs.require(run_id)
    if run.terminal:
        raise ConflictError(
            f"run {run_id} has ended ({run.status})",
            fix="nothing to stop; `bedrock-tuner runs get " + run_id + "` shows how it ended",
        )
    why = reason or "stopped through the API"
    cause = f"by {by}: {why}"
    requested = {"by": by, "reason": why, "at": deps.now()}
    deps.runs.update(
        run_id,
        fields={"stopRequested": requested},
        step=Step(name="stop", status="requested", at=deps.now(), detail=cause),
    )
    run = deps.runs.require(run_id)  # the start step may have recorded its job since
    job = deps.jobs.get(run.job_arn) if run.job_arn else None
    if run.job_arn and (job is None or not is_terminal(job.status)):
        stop_job_of(
            deps,
            run.job_arn,
            job.job_name if job else None,
            run_id,
            why=f"stopped {cause}",
        )
        logger.info("job stop requested", extra={"runId": run_id, "by": by})
        return StopOutcome(
            run_id=run_id,
            job_stopped=True,
            execution_stopped=False,
            by=by,
            status="stopping: the workflow ends the run when the job has stopped",
        )
    stopped = bool(run.execution_arn) and deps.sfn.stop_execution(
        run.execution_arn or "", error=STOPPED_ERROR, cause=cause
    )
    deps.approvals.expire(run_id, only_pending=True)
    state = run_state(run, error=WorkflowError(error=STOPPED_ERROR, cause=cause))
    notify_run(NotifyRequest(kind="run_stopped", run=state), deps)
    count("RunStopped")
    logger.info("run stopped", extra={"runId": run_id, "by": by})
    return StopOutcome(
        run_id=run_id,
        job_stopped=False,
        execution_stopped=stopped,
        by=by,
        status=RunStatus.FAILED.value,
    )


def recover_run(run_id: str, *, by: str, deps: Deps) -> RecoverOutcome:
    """Register the model of a completed job whose run failed after training.

    Raises
    ------
    RunNotFoundError
        No such run.
    UsageError
        The run has no job (nothing was trained: `runs start` retries it), or its job did
        not complete (nothing to register).
    ConflictError
        The run is still running (the workflow registers it).
    """
    run = deps.runs.require(run_id)
    if not run.terminal:
        raise ConflictError(
            f"run {run_id} is still {run.status}: the workflow registers its model",
            fix=f"wait for it: `bedrock-tuner runs get {run_id}`",
        )
    if not run.job_arn:
        raise UsageError(
            f"run {run_id} never started a job: there is no model to register",
            fix=f"start it again once fixed: `bedrock-tuner runs start {run.pipeline} "
            f"{run.dataset.uri}`",
        )
    polled = deps.bedrock.get_job(run.job_arn, job_name=(run.job or {}).get("jobName"))
    if polled is None or str(polled.get("status")) != JobStatus.COMPLETED:
        status = str((polled or {}).get("status") or "unknown")
        raise UsageError(
            f"the job of run {run_id} is {status}, not Completed: there is no model to register",
            fix="upload the dataset again to train again (a new object version starts a new run)",
        )
    update, _ = apply_job_state(
        JobState.from_bedrock(polled, observed_at=observed_at(polled, deps)), deps, event_id=None
    )
    job_record = update.job or deps.jobs.get(run.job_arn)
    job_output = run.job or {
        "jobArn": run.job_arn,
        "jobName": polled.get("jobName"),
        "customModelName": polled.get("outputModelName") or "",
        "outputUri": (polled.get("outputDataConfig") or {}).get("s3Uri") or "",
    }
    state = run_state(run).model_copy(
        update={
            "job": JobOutput.model_validate(job_output),
            "job_result": JobResult(
                status=JobStatus.COMPLETED.value,
                output_model_arn=str(polled.get("outputModelArn") or ""),
                training_loss=job_record.training_loss if job_record else None,
                validation_loss=job_record.validation_loss if job_record else None,
            ),
            "error": None,
        }
    )
    already = run.version is not None
    version = register_version(state, deps)
    deps.runs.update(
        run_id,
        status=RunStatus.SUCCEEDED,
        reopen=True,  # the one way back from an ending: the model is registered after all
        fields={"version": version.version, "family": version.family, "outcome": "succeeded"},
        step=Step(name="recover", status="registered", at=deps.now(), detail=f"by {by}"),
    )
    result = notify_run(
        NotifyRequest(kind="succeeded", run=state.model_copy(update={"version": version})), deps
    )
    logger.info(
        "recovered a trained model", extra={"runId": run_id, "version": version.version, "by": by}
    )
    count("RunRecovered")
    return RecoverOutcome(
        run_id=run_id,
        status="already registered" if already else "registered",
        family=version.family,
        version=version.version,
        model_arn=version.model_arn,
        notified=bool(result.get("messageId")),
    )
