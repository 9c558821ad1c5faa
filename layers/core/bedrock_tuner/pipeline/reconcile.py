"""The reconciler: runs ↔ executions ↔ jobs ↔ slots agree again within one sweep.

Events are best effort, Lambdas crash, AWS throttles. Every ``ReconcileSchedule`` tick the
sweep compares what the table says with what Step Functions and Bedrock say, and repairs
what a lost message left behind (docs/reliability.md, I1-I7):

1. **in-flight jobs** — poll Bedrock; apply a change exactly like an event (an ended job is
   resumed); heartbeat the waiting task of a running one;
2. **ended jobs not yet settled** — resume the waiting task (a resume that failed earlier,
   D1); if there is no task to resume (the execution ended), record the job's outcome on the
   run and, for a trained model nobody registered, tell people how to recover it (I1);
3. **active runs** — a run whose execution ended without recording an outcome (the notify
   step crashed, a person stopped the execution, it timed out) gets the execution's outcome
   and its notification (I3, I6); a run whose execution never started is failed and told;
   a run still waiting for approval that a person has decided is resumed with the decision
   (the decision's own resume was throttled or its function died: I7);
4. **Bedrock's own list** — a job in progress for a run that has ended is stopped (I2); one
   the table does not know yet (the start step died after Bedrock answered) is adopted;
5. **slots** — a slot is freed when its holder's execution is not running *and* the run's
   job (if any) has ended (I4): a job that is still stopping keeps its slot.

Every item is handled on its own: one failure is reported and the sweep goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from bedrock_tuner.aws.sfn import execution_arn_for
from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import BedrockTunerError
from bedrock_tuner.models.jobs import JobRecord
from bedrock_tuner.models.payloads import (
    ApprovalResult,
    DatasetInput,
    ExecutionState,
    JobOutput,
    JobResult,
    NotifyKind,
    NotifyRequest,
    ValidationOutput,
    WorkflowError,
)
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.approvals import REJECTED_ERROR
from bedrock_tuner.pipeline.notifications import notify_run
from bedrock_tuner.pipeline.runs import (
    Run,
    RunStatus,
    Step,
    execution_name_for,
    run_id_from_execution_name,
)
from bedrock_tuner.pipeline.tracking import JobState, JobStatus, is_terminal
from bedrock_tuner.pipeline.training import (
    apply_job_state,
    job_result_for,
    observed_at,
    stop_job_of,
)

__all__ = ["ReconcileReport", "reconcile", "run_state"]

NEVER_STARTED_AFTER = dt.timedelta(minutes=10)
"""A run recorded this long ago without an execution failed to start its workflow."""

_JOB_RUN = re.compile(r"-(r[0-9a-f]{12})$")

# The workflow's Fail states (and a stop) and what a run that ended in one is.
_ENDINGS: dict[str, tuple[RunStatus, NotifyKind]] = {
    "DatasetInvalid": (RunStatus.INVALID, "invalid_dataset"),
    "OverBudget": (RunStatus.OVER_BUDGET, "over_budget"),
    "NotApproved": (RunStatus.REJECTED, "approval_rejected"),
    "JobFailed": (RunStatus.FAILED, "job_failed"),
    "StoppedByUser": (RunStatus.FAILED, "run_stopped"),
}


class ReconcileReport(BaseModel):
    """What a sweep did (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    checked: int = 0
    applied: int = 0
    resumed: int = 0
    heartbeats: int = 0
    jobs_settled: int = 0
    runs_settled: list[str] = Field(default_factory=list)
    jobs_stopped: list[str] = Field(default_factory=list)
    jobs_adopted: list[str] = Field(default_factory=list)
    approvals_resumed: list[str] = Field(default_factory=list)
    slots_released: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def _each(report: ReconcileReport, what: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except BedrockTunerError as exc:
        logger.exception("reconcile failed for one item", extra={"item": what})
        report.errors.append(f"{what}: {exc}")


def reconcile(deps: Deps) -> ReconcileReport:
    """One sweep (see the module docstring)."""
    report = ReconcileReport()
    for job in deps.jobs.inflight():
        report.checked += 1
        _each(report, job.job_arn, lambda job=job: _poll_inflight(job, deps, report))  # type: ignore[misc]
    for job in deps.jobs.ended():
        _each(report, job.job_arn, lambda job=job: _settle_ended(job, deps, report))  # type: ignore[misc]
    for run in deps.runs.active():
        _each(report, run.run_id, lambda run=run: _settle_run(run, deps, report))  # type: ignore[misc]
    _each(report, "bedrock jobs", lambda: _bedrock_jobs(deps, report))
    _each(report, "slots", lambda: _release_stale_slots(deps, report))
    count("JobsReconciled", report.checked)
    return report


# --------------------------------------------------------------------------- jobs


def _poll_inflight(job: JobRecord, deps: Deps, report: ReconcileReport) -> None:
    polled = deps.bedrock.get_job(job.job_arn, job_name=job.job_name)
    if polled is None:
        report.errors.append(f"{job.job_arn}: Bedrock does not know this job")
        return
    state = JobState.from_bedrock(polled, observed_at=observed_at(polled, deps))
    if state.terminal or state.status != job.status or state.stages != job.stages:
        update, resumed = apply_job_state(state, deps, event_id=None)
        report.applied += int(update.applied)
        report.resumed += int(resumed)
        if state.terminal:
            if update.applied:
                logger.info("recovered a job end no event reported", extra={"jobArn": job.job_arn})
            return
    if job.task_token and deps.sfn.send_task_heartbeat(job.task_token):
        report.heartbeats += 1


def _settle_ended(job: JobRecord, deps: Deps, report: ReconcileReport) -> None:
    """An ended job whose workflow was not resumed: resume it, or settle the run."""
    run = deps.runs.get(job.run_id)
    if job.task_token:
        delivered = deps.sfn.send_task_success(job.task_token, job_result_for(job).wire())
        deps.jobs.mark_resumed(job.job_arn, at=deps.now(), delivered=delivered)
        if delivered:
            report.resumed += 1
            count("JobResumed")
            return
    elif run is not None and _execution_running(run, deps):
        return  # track_job has not stored its token yet: it resumes when it does
    if run is not None:
        settle_job_outcome(run, job, deps)
    deps.jobs.settle(job.job_arn, at=deps.now(), note="no waiting task to resume")
    report.jobs_settled += 1


def settle_job_outcome(run: Run, job: JobRecord, deps: Deps) -> None:
    """Record an ended job on a run whose workflow will not be resumed; a trained model
    that no version holds is announced with the command that registers it (I1)."""
    deps.runs.update(
        run.run_id,
        fields={"jobStatus": job.status, "outputModelArn": job.output_model_arn},
        step=Step(
            name="job",
            status=job.status,
            at=deps.now(),
            detail=job.failure_message or job.output_model_arn,
        ),
    )
    if job.status == JobStatus.COMPLETED and run.version is None:
        fresh = deps.runs.get(run.run_id) or run
        state = run_state(fresh, job_result=job_result_for(job))
        notify_run(NotifyRequest(kind="model_not_registered", run=state), deps)


def _bedrock_jobs(deps: Deps, report: ReconcileReport) -> None:
    """Jobs Bedrock runs: stop those of ended runs (I2), adopt those the table lost."""
    for summary in deps.bedrock.list_jobs_in_progress():
        name = str(summary.get("jobName") or "")
        match = _JOB_RUN.search(name)
        if match is None:
            continue
        run = deps.runs.get(match.group(1))
        if run is None:
            continue  # not this stack's job
        job_arn = str(summary["jobArn"])
        record = deps.jobs.get(job_arn)
        if record is None:
            deps.jobs.put(job_arn=job_arn, job_name=name, run_id=run.run_id, started_at=deps.now())
            report.jobs_adopted.append(job_arn)
            record = deps.jobs.get(job_arn)
        if run.terminal and (record is None or not record.stop_requested_at):
            stop_job_of(deps, job_arn, name, run.run_id, why=f"its run ended ({run.status})")
            report.jobs_stopped.append(job_arn)


# --------------------------------------------------------------------------- runs


def _execution_arn(run: Run, deps: Deps) -> str | None:
    if run.execution_arn:
        return run.execution_arn
    machine = deps.settings.state_machine_arn
    return (
        execution_arn_for(machine, execution_name_for(run.pipeline, run.run_id))
        if machine
        else None
    )


def _execution_running(run: Run, deps: Deps) -> bool:
    arn = _execution_arn(run, deps)
    return arn is not None and deps.sfn.execution_status(arn) == "RUNNING"


def run_state(
    run: Run,
    *,
    execution_input: dict[str, Any] | None = None,
    error: WorkflowError | None = None,
    job_result: JobResult | None = None,
) -> ExecutionState:
    """The execution state of a run, rebuilt from its record (and its execution's input):
    enough to render any of its notifications."""
    base: dict[str, Any] = dict(execution_input or {})
    base.setdefault("runId", run.run_id)
    base.setdefault("pipeline", run.pipeline)
    base.setdefault("spec", run.spec or {})
    base.setdefault(
        "dataset",
        DatasetInput(
            bucket=run.dataset.bucket,
            key=run.dataset.key,
            version_id=run.dataset.version_id,
            etag=run.dataset.etag,
            size=run.dataset.size,
        ).wire(),
    )
    state = ExecutionState.model_validate(base)
    update: dict[str, Any] = {}
    if state.validation is None and run.validation:
        with contextlib.suppress(ValidationError):
            update["validation"] = ValidationOutput.model_validate(run.validation)
    if state.job is None and run.job:
        with contextlib.suppress(ValidationError):
            update["job"] = JobOutput.model_validate(run.job)
    if error is not None:
        update["error"] = error
    if job_result is not None:
        update["job_result"] = job_result
    return state.model_copy(update=update) if update else state


def _settle_run(run: Run, deps: Deps, report: ReconcileReport) -> None:
    """An active run whose execution is not running gets its outcome and notification."""
    arn = _execution_arn(run, deps)
    described = deps.sfn.describe(arn) if arn else None
    if described is None:
        created = dt.datetime.fromisoformat(run.created_at.replace("Z", "+00:00"))
        if deps.clock() - created < NEVER_STARTED_AFTER:
            return  # on_dataset_uploaded may still be starting it
        error = WorkflowError(
            error="WorkflowNotStarted",
            cause="the run was recorded but its workflow never started (the upload "
            "handler kept failing); nothing was trained",
        )
        notify_run(NotifyRequest(kind="pipeline_failed", run=run_state(run, error=error)), deps)
        report.runs_settled.append(run.run_id)
        return
    status = str(described.get("status"))
    if status == "RUNNING":
        if run.status == RunStatus.AWAITING_APPROVAL:
            _resume_decided_approval(run, deps, report)
        return
    execution_input = described.get("input") if isinstance(described.get("input"), dict) else None
    if status == "SUCCEEDED":
        output = described.get("output")
        state = ExecutionState.model_validate(output if isinstance(output, dict) else {})
        kind: NotifyKind = "succeeded"
        if state.version is None:  # ended well without a version: should not happen
            kind = "pipeline_failed"
            state = state.model_copy(
                update={"error": WorkflowError(error="NoVersion", cause="no version recorded")}
            )
        notify_run(NotifyRequest(kind=kind, run=state), deps)
    else:
        name = str(described.get("error") or f"Execution{status.title().replace('_', '')}")
        cause = str(described.get("cause") or f"the execution ended {status}")
        _, kind = _ENDINGS.get(name, (RunStatus.FAILED, "pipeline_failed"))
        error = WorkflowError(error=name, cause=cause)
        state = run_state(run, execution_input=execution_input, error=error)
        notify_run(NotifyRequest(kind=kind, run=state), deps)
    report.runs_settled.append(run.run_id)
    logger.warning(
        "settled a run whose execution ended without recording its outcome",
        extra={"runId": run.run_id, "executionStatus": status},
    )


def _resume_decided_approval(run: Run, deps: Deps, report: ReconcileReport) -> None:
    """A person decided, but the workflow still waits for approval: ``decide_approval``
    records the decision before it resumes the task, and that resume failed (throttled, the
    function died in between). Send the recorded decision with the stored token."""
    record = deps.approvals.get(run.run_id)
    if record is None or record.status not in ("APPROVED", "REJECTED") or not record.task_token:
        return
    by = record.decided_by or "unknown"
    if record.status == "APPROVED":
        result = ApprovalResult(approved=True, by=by, reason=record.reason)
        delivered = deps.sfn.send_task_success(record.task_token, result.wire())
    else:
        cause = f"rejected by {by}" + (f": {record.reason}" if record.reason else "")
        delivered = deps.sfn.send_task_failure(record.task_token, error=REJECTED_ERROR, cause=cause)
    if not delivered:
        return
    approved = record.status == "APPROVED"
    deps.runs.update(
        run.run_id,
        status=RunStatus.APPROVED if approved else RunStatus.REJECTED,
        step=Step(
            name="approval",
            status="approved" if approved else "rejected",
            at=deps.now(),
            detail=f"by {by} (resumed by the reconciler)",
        ),
    )
    report.approvals_resumed.append(run.run_id)
    logger.warning(
        "resumed a decided approval whose resume was lost",
        extra={"runId": run.run_id, "decision": record.status},
    )


# --------------------------------------------------------------------------- slots


def _release_stale_slots(deps: Deps, report: ReconcileReport) -> None:
    for holder in deps.jobs.slot_holders():
        run_id = run_id_from_execution_name(holder)
        run = deps.runs.get(run_id) if run_id else None
        machine = deps.settings.state_machine_arn
        arn = (run.execution_arn if run else None) or (
            execution_arn_for(machine, holder) if machine else None
        )
        status = deps.sfn.execution_status(arn) if arn else None
        if status == "RUNNING":
            continue
        if run is not None and run.job_arn:
            job = deps.jobs.get(run.job_arn)
            if job is not None and not is_terminal(job.status):
                continue  # the job still runs (or is stopping): its slot stays taken
        deps.jobs.release_slot(holder)
        report.slots_released.append(holder)
        logger.warning(
            "released the job slot of an execution that is not running",
            extra={"holder": holder, "executionStatus": status},
        )
