"""The workflow's paths, each a driver that starts runs and takes the steps a person would.

A driver never fails on its own: a fault may keep a milestone from happening (no approval
request arrives), and then the driver moves on and lets the settling and the invariants
judge. ``statuses`` is how the runs end when nothing fails (their statuses, sorted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faults.harness import BROKEN, GOOD, TITAN, Harness, spec

SPLIT_MODEL = "amazon.titan-text-express-v1:0:8k"  # priced, and takes validation data


@dataclass(frozen=True)
class WorkflowPath:
    name: str
    drive: Callable[[Harness], None]
    statuses: tuple[str, ...]
    doc: str
    faults: tuple[dict[str, Any], ...] = ()  # fault rules the path itself needs

    def plan(self, *extra: dict[str, Any]) -> dict[str, Any]:
        """The path's own fault rules plus ``extra`` ones, as a plan."""
        return {"faults": [*self.faults, *extra]}


def _approval_run(h: Harness) -> str | None:
    runs = h.runs()
    for run_id, run in runs.items():
        if run.get("status") == "AWAITING_APPROVAL":
            return run_id
    return None


def _asked(h: Harness) -> str | None:
    """The run once people were asked to approve it ("" when its execution ended first)."""
    if h.cloud.notifications.all("approval_needed"):
        return _approval_run(h) or ""
    executions = h.executions()
    if executions and all(e["status"] != "RUNNING" for e in executions.values()):
        return ""
    return None


def _decide(h: Harness, decision: str) -> None:
    """Wait for the approval request, then decide as a person would (retrying on an error:
    the CLI shows it and the person tries again)."""
    h.upload("approval", GOOD, spec=spec(budget={"auto_approve_usd": 0, "max_usd": 500}))
    run_id = h.poll(lambda: _asked(h), timeout=10) or _approval_run(h)
    if run_id is None:
        return
    for _ in range(4):
        if h.approve(run_id, decision):
            return
        h.cloud.bridge.wait_idle(timeout=2)


def happy(h: Harness) -> None:
    h.upload(
        "happy",
        TITAN,
        spec=spec(base_model=SPLIT_MODEL, validation={"split_ratio": 0.1, "seed": 7}),
    )


def approved(h: Harness) -> None:
    _decide(h, "approve")


def rejected(h: Harness) -> None:
    _decide(h, "reject")


def invalid(h: Harness) -> None:
    h.upload("invalid", BROKEN, spec=spec())


def over_budget(h: Harness) -> None:
    h.upload("budget", GOOD, spec=spec(budget={"auto_approve_usd": 0, "max_usd": 0.001}))


def spec_error(h: Harness) -> None:
    h.upload("badspec", GOOD, spec=spec(base_model="amazon.nova-lite-v9", epochs=3))


def job_failed(h: Harness) -> None:
    h.cloud.bedrock.fail_next(None, "Maximum input token count 4919 exceeds limit of 4096")
    h.upload("jobfail", GOOD, spec=spec())


def lost_event(h: Harness) -> None:
    """Bedrock's terminal event never arrives: the reconciler resumes the run."""
    h.cloud.bedrock.drop_events_for(None)
    h.upload("lost", GOOD, spec=spec())
    h.poll(lambda: any(j.status == "Completed" for j in h.cloud.bedrock.jobs()), timeout=10)
    h.poll(lambda: h.call_counts()[("TrackJobFunction", "dynamodb", "UpdateItem")], timeout=5)
    h.cloud.bridge.wait_idle(timeout=2)
    h.sweep()  # the next scheduled sweep finds the job ended and resumes the run


def in_flight(h: Harness) -> None:
    """A sweep while the job trains: it polls the job and sends the task a heartbeat."""
    h.cloud.bedrock.stall_next(None, stage="training")
    h.upload("inflight", GOOD, spec=spec())
    job = h.poll(
        lambda: next(
            (
                j
                for j in h.cloud.bedrock.jobs()
                if j.stages.get("training", {}).get("status") == "InProgress"
            ),
            None,
        ),
        timeout=10,
    )
    h.poll(lambda: h.call_counts()[("TrackJobFunction", "dynamodb", "UpdateItem")], timeout=5)
    h.cloud.bridge.wait_idle(timeout=2)
    h.sweep()
    if job is not None:
        h.cloud.bedrock.unstall(job.job_name)


def tracker_crash(h: Harness) -> None:
    """The job's tracker crashes every time: the workflow gives up and stops the job."""
    h.upload("tracker", GOOD, spec=spec())


def hung_job(h: Harness) -> None:
    """The job never ends: the wait times out and the workflow stops the job."""
    h.cloud.bedrock.stall_next(None, stage="training")
    h.upload("hung", GOOD, spec=spec())


def slot_wait(h: Harness) -> None:
    """Three runs, two slots: the third waits (and says so) until a job ends."""
    h.cloud.bedrock.set_speed(11)  # a job takes ~2.4 s: the third run waits over 2 s
    for name in ("slot-a", "slot-b", "slot-c"):
        h.upload(name, GOOD, spec=spec())


PATHS: tuple[WorkflowPath, ...] = (
    WorkflowPath("happy", happy, ("SUCCEEDED",), "auto-approved, validation split"),
    WorkflowPath("invalid", invalid, ("INVALID",), "the dataset fails validation"),
    WorkflowPath("over_budget", over_budget, ("OVER_BUDGET",), "above the hard maximum"),
    WorkflowPath("spec_error", spec_error, ("SPEC_ERROR",), "a spec with problems"),
    WorkflowPath("job_failed", job_failed, ("FAILED",), "Bedrock fails the job"),
    WorkflowPath("approved", approved, ("SUCCEEDED",), "over the auto-approve limit, approved"),
    WorkflowPath("rejected", rejected, ("REJECTED",), "approval rejected"),
    WorkflowPath("lost_event", lost_event, ("SUCCEEDED",), "the terminal event is lost"),
    WorkflowPath("in_flight", in_flight, ("SUCCEEDED",), "a sweep while the job trains"),
    WorkflowPath(
        "tracker_crash",
        tracker_crash,
        ("FAILED",),
        "the tracker crashes: the workflow stops the job",
        faults=({"function": "TrackJobFunction", "error": "crash", "times": "always"},),
    ),
    WorkflowPath("hung_job", hung_job, ("FAILED",), "the job hangs: timeout, stop"),
    WorkflowPath("slot_wait", slot_wait, ("SUCCEEDED",) * 3, "3 runs, 2 slots"),
)
BY_NAME = {path.name: path for path in PATHS}
