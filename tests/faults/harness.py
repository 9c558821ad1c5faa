"""The fault tier's harness: one deployed local cloud, the workflow's paths, and one checker of
the reliability invariants I1-I7 (docs/reliability.md).

* :class:`Harness` wraps the cloud: reset between tests, upload, arm a fault plan, fire the
  reconciler (the schedule rule, as EventBridge would), wait for the executions to settle
  (firing a sweep whenever they stop making progress, as the schedule would), and take a
  :class:`World` snapshot of everything the invariants talk about.
* :func:`assert_invariants` checks I1-I7 on a world and lists every violation.

Every AWS call a function makes is recorded (``calls``) for the call-site registry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedrock_tuner_localcloud.bedrock_sim import SimJob, SimTiming
from bedrock_tuner_localcloud.calls import Call, add_interceptor
from bedrock_tuner_localcloud.faults import FaultInjector, FaultPlan, parse_plan
from bedrock_tuner_localcloud.server import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
BROKEN = ROOT / "examples" / "datasets" / "support-chat.broken.jsonl"
TITAN = ROOT / "examples" / "datasets" / "titan.prompt-completion.jsonl"
MODEL = "amazon.nova-2-lite-v1:0:256k"  # a dated price: the cost is known

MAX_JOBS = 2
# Short timings: a job takes ~0.25 s; a hung job times out after 5 s (heartbeat 4 s).
FAULT_TIMING = SimTiming(
    validation_s=0.05, data_processing_s=0.05, training_s=0.12, stopping_s=0.05
)
PARAMETERS = {
    "MaxConcurrentJobs": str(MAX_JOBS),
    "SlotWaitSeconds": "1",
    "SlotWaitAlertSeconds": "2",
    "JobTimeoutSeconds": "5",
    "JobHeartbeatSeconds": "4",
    "ApprovalTimeoutSeconds": "8",
}
RETRY_WAIT_SCALE = 0.02  # the workflow's Retry back-off (1 s x2, 5 attempts: 31 s) -> 0.6 s
ASYNC_RETRY_WAITS = (0.05, 0.1)  # Lambda's 1 and 2 minutes between async attempts
RECONCILE_RULE = "ReconcileJobsFunctionReconcileSchedule"
TERMINAL_EXECUTION = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
TERMINAL_RUN = frozenset(
    {"SUCCEEDED", "FAILED", "INVALID", "OVER_BUDGET", "REJECTED", "SPEC_ERROR"}
)
TERMINAL_JOB = frozenset({"Completed", "Failed", "Stopped"})
_RUN_OF_JOB = re.compile(r"-(r[0-9a-f]{12})$")
# The outcome a run's terminal status comes from (pipeline/notifications.py OUTCOME_STATUS).
OUTCOME_STATUS = {
    "invalid_dataset": "INVALID",
    "over_budget": "OVER_BUDGET",
    "approval_rejected": "REJECTED",
    "job_failed": "FAILED",
    "pipeline_failed": "FAILED",
    "run_stopped": "FAILED",
    "succeeded": "SUCCEEDED",
    "spec_error": "SPEC_ERROR",
    "bad_dataset_key": "INVALID",
}


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "base_model": MODEL,
        "customization_type": "FINE_TUNING",
        "budget": {"auto_approve_usd": 25, "max_usd": 500},
        "notify": {"emails": ["ml-team@example.com"]},
    }
    base.update(overrides)
    return base


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    version_id: str | None
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def records(self) -> int:
        return sum(1 for line in self.body.splitlines() if line.strip())


@dataclass
class SettleReport:
    sweeps: int = 0  # sweeps fired because executions stopped making progress
    recovery_sweeps: int = 0  # of those, fired while a run waited for a job that had ended
    failed_sweeps: int = 0  # sweeps that reported errors
    aged: list[str] = field(default_factory=list)  # runs whose workflow never started
    settled: bool = False
    stuck: list[str] = field(default_factory=list)


@dataclass
class World:
    """What the invariants look at, read after the runs settled."""

    runs: dict[str, dict[str, Any]]
    jobs: list[SimJob]
    job_items: dict[str, dict[str, Any]]
    versions: list[dict[str, Any]]
    slot_holders: list[str]
    executions: dict[str, dict[str, Any]]  # by name
    notifications: list[Any]
    invocations: list[Any]
    metrics: Counter[str]
    status_history: dict[str, list[str]]
    peak_jobs: int
    uploads: list[Upload]

    def notes_of(self, run_id: str) -> list[Any]:
        return [n for n in self.notifications if _note_run(n) == run_id]

    def failed_invocations(self, logical_id: str) -> list[Any]:
        return [i for i in self.invocations if i.logical_id == logical_id and not i.ok]


def _note_run(note: Any) -> str | None:
    body = note.body
    return str(body.get("run_id")) if isinstance(body, dict) and body.get("run_id") else None


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


class JobWatch:
    """Every Bedrock job transition (simulator listener): the most jobs running at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active: set[str] = set()
        self.peak = 0

    def __call__(self, job: SimJob, what: str, status: str) -> None:
        if what != "job":
            return
        with self._lock:
            if status in ("InProgress", "Stopping"):
                self.active.add(job.job_arn)
            else:
                self.active.discard(job.job_arn)
            self.peak = max(self.peak, len(self.active))

    def reset(self) -> None:
        with self._lock:
            self.active.clear()
            self.peak = 0


class Harness:
    """One deployed cloud shared by the tier's tests (see the module docstring)."""

    def __init__(self, cloud: LocalCloud, handler_log: Path) -> None:
        self.cloud = cloud
        self.handler_log = handler_log
        self.bucket = cloud.stack.physical_id("DataBucket")
        self.machine = cloud.stack.physical_id("CustomizationStateMachine")
        self.table = cloud.stack.physical_id("StateTable")
        self.calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self.remove_recorder = add_interceptor(self._record)
        self.watch = JobWatch()
        cloud.bedrock.on_transition(self.watch)
        self.injector: FaultInjector | None = None
        self._metrics: Counter[str] = Counter()
        self.remove_metrics = self._count_metrics()
        self.uploads: list[Upload] = []
        self._status_history: dict[str, list[str]] = {}
        self.started = time.time()

    # ------------------------------------------------------------------ recording
    def _count_metrics(self) -> Callable[[], None]:
        """Count the metrics the functions add (what their EMF output would carry)."""
        from bedrock_tuner import observability

        metrics = observability.metrics
        original = metrics.add_metric

        def add_metric(name: str, unit: Any, value: float, *args: Any, **kwargs: Any) -> None:
            with self._calls_lock:
                self._metrics[name] += int(value)
            original(name, unit, value, *args, **kwargs)

        metrics.add_metric = add_metric  # type: ignore[method-assign]
        return lambda: vars(metrics).pop("add_metric", None)

    def _record(self, call: Call) -> None:
        with self._calls_lock:
            self.calls.append(call)

    def call_sites(self) -> set[tuple[str, str, str]]:
        with self._calls_lock:
            return {(c.function, c.service, c.operation) for c in self.calls}

    def call_counts(self) -> Counter[tuple[str, str, str]]:
        with self._calls_lock:
            return Counter((c.function, c.service, c.operation) for c in self.calls)

    # ------------------------------------------------------------------ reset
    def reset(self) -> None:
        """Back to a just-deployed stack: no executions, jobs, items, faults, records."""
        self.disarm()
        cloud = self.cloud
        sfn = cloud.client("stepfunctions")
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.machine, statusFilter="RUNNING"
        ):
            for execution in page["executions"]:
                with contextlib.suppress(Exception):
                    sfn.stop_execution(executionArn=execution["executionArn"], error="TestReset")
        cloud.bridge.wait_idle(timeout=10)
        cloud.bedrock.reset()
        self._empty_bucket()
        for logical_id in ("StateTable", "IdempotencyTable"):
            self._clear_table(logical_id)
        cloud.notifications.clear()
        cloud.bridge.clear_invocations()
        self.watch.reset()
        with self._calls_lock:
            self.calls.clear()
            self._metrics.clear()
        self.uploads.clear()
        self._status_history = {}
        self.started = time.time()

    def _empty_bucket(self) -> None:
        s3 = self.cloud.client("s3")
        doomed: list[dict[str, str]] = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                doomed.append({"Key": item["Key"], "VersionId": item["VersionId"]})
        for i in range(0, len(doomed), 1000):
            s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": doomed[i : i + 1000], "Quiet": True}
            )

    def _clear_table(self, logical_id: str) -> None:
        ddb = self.cloud.client("dynamodb")
        table = self.cloud.stack.physical_id(logical_id)
        schema = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
        keys = [k["AttributeName"] for k in schema]
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                ddb.delete_item(TableName=table, Key={k: item[k] for k in keys})

    # ------------------------------------------------------------------ faults
    def arm(self, plan: FaultPlan | dict[str, Any]) -> FaultInjector:
        if isinstance(plan, dict):
            plan = parse_plan(plan, functions=self.cloud.bridge.functions)
        self.disarm()
        self.injector = FaultInjector(plan).install(self.cloud)
        return self.injector

    def disarm(self) -> None:
        if self.injector is not None:
            self.injector.remove()
            self.injector = None

    # ------------------------------------------------------------------ driving
    def put_spec(self, pipeline: str, body: dict[str, Any] | str) -> None:
        import yaml

        text = body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False)
        self.cloud.client("s3").put_object(
            Bucket=self.bucket, Key=f"pipelines/{pipeline}.yaml", Body=text.encode()
        )

    def upload(
        self,
        pipeline: str,
        data: Path | bytes = GOOD,
        *,
        spec: dict[str, Any] | str | None = None,
        name: str = "train.jsonl",
    ) -> Upload:
        if spec is not None:
            self.put_spec(pipeline, spec)
        body = data.read_bytes() if isinstance(data, Path) else data
        key = f"datasets/{pipeline}/{name}"
        put = self.cloud.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        upload = Upload(self.bucket, key, put.get("VersionId"), body)
        self.uploads.append(upload)
        return upload

    def invoke(self, logical_id: str, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Invoke a function as a person or a tool would: (body, ok)."""
        response = self.cloud.client("lambda", max_attempts=1).invoke(
            FunctionName=self.cloud.stack.physical_id(logical_id),
            Payload=json.dumps(payload).encode(),
        )
        body = json.loads(response["Payload"].read() or b"null")
        return (body if isinstance(body, dict) else {"result": body}), (
            "FunctionError" not in response
        )

    def approve(self, run_id: str, decision: str, *, reason: str = "fault suite") -> bool:
        """Decide as a person does: ``POST /approvals/{run}`` through ApiFunction (an API
        Gateway proxy event, the caller the local user); True when the API answered 200."""
        from events import load_event

        event = load_event("api_post_approval")
        path = f"/approvals/{run_id}"
        event.update(path=path, pathParameters={"proxy": path.lstrip("/")})
        event["requestContext"].update(path=f"/v1{path}")
        event["body"] = json.dumps({"decision": decision, "reason": reason})
        answer, ok = self.invoke("ApiFunction", event)
        return ok and int(answer.get("statusCode", 500)) == 200

    def sweep(self, timeout: float = 20.0) -> bool:
        """Fire the reconcile schedule once and wait for the sweep; True if it went well."""
        before = len(self.cloud.bridge.invocations("ReconcileJobsFunction"))
        self.cloud.fire_schedule(RECONCILE_RULE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.cloud.bridge.invocations("ReconcileJobsFunction")[before:]
            if done:
                return all(i.ok for i in done)
            time.sleep(0.02)
        raise TimeoutError("the reconcile sweep did not run")

    def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.03)
        raise TimeoutError(f"timed out waiting for {what}")

    def poll(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """``wait_until`` that gives up quietly (a fault may prevent the milestone)."""
        with contextlib.suppress(TimeoutError):
            return self.wait_until(predicate, timeout)
        return None

    # ------------------------------------------------------------------ observing
    def executions(self) -> dict[str, dict[str, Any]]:
        sfn = self.cloud.client("stepfunctions")
        found: dict[str, dict[str, Any]] = {}
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=self.machine):
            for execution in page["executions"]:
                if execution["startDate"].timestamp() >= self.started - 1:
                    found[execution["name"]] = dict(execution)
        return found

    def runs(self) -> dict[str, dict[str, Any]]:
        ddb = self.cloud.client("dynamodb")
        runs: dict[str, dict[str, Any]] = {}
        for page in ddb.get_paginator("scan").paginate(
            TableName=self.table,
            FilterExpression="SK = :run",
            ExpressionAttributeValues={":run": {"S": "RUN"}},
        ):
            for item in page["Items"]:
                plain = _plain(item)
                runs[str(plain["runId"])] = plain
        for run_id, run in runs.items():
            history = self._status_history.setdefault(run_id, [])
            if not history or history[-1] != run.get("status"):
                history.append(str(run.get("status")))
        return runs

    def _progress_mark(self) -> tuple[Any, ...]:
        sfn = self.cloud.client("stepfunctions")
        marks: list[Any] = []
        for name, execution in sorted(self.executions().items()):
            if execution["status"] == "RUNNING":
                events = sfn.get_execution_history(
                    executionArn=execution["executionArn"], reverseOrder=True, maxResults=1
                )["events"]
                marks.append((name, events[0]["id"] if events else 0))
            else:
                marks.append((name, execution["status"]))
        jobs = tuple(
            sorted((j.job_name, j.status, j.current_stage) for j in self.cloud.bedrock.jobs())
        )
        return (*marks, jobs, len(self.cloud.bridge.invocations()))

    def running(self) -> list[str]:
        return [n for n, e in self.executions().items() if e["status"] == "RUNNING"]

    def settle(
        self, *, recover: bool = True, quiet_s: float = 0.8, timeout: float = 30.0
    ) -> SettleReport:
        """Wait until every execution of the test ended. With ``recover``, whenever nothing
        moved for ``quiet_s`` (a lost event, a failed resume), fire one reconcile sweep, as
        the schedule would (without it, only the path's own sweeps run: the calls made are
        the same every time, for the call-site registry). Then two final sweeps settle jobs,
        runs and slots."""
        report = SettleReport()
        deadline = time.monotonic() + timeout
        mark, still_since = None, time.monotonic()
        calm = 0
        while time.monotonic() < deadline:
            self.cloud.bridge.wait_idle(timeout=2)
            self.runs()  # the status history (terminal statuses are final)
            running = self.running()
            calm = calm + 1 if not running and self._bedrock_quiet() else 0
            if calm >= 3:  # nothing runs, three looks in a row
                report.settled = True
                break
            now_mark = self._progress_mark()
            if now_mark != mark:
                mark, still_since = now_mark, time.monotonic()
            elif recover and time.monotonic() - still_since >= quiet_s:
                report.sweeps += 1
                report.recovery_sweeps += int(self._resume_lost(running))
                if not self.sweep():
                    report.failed_sweeps += 1
                mark, still_since = None, time.monotonic()
            time.sleep(0.05)
        report.stuck = self.running()
        if recover:
            report.aged = self._age_unstarted_runs()
        for _ in range(2):
            self.cloud.bridge.wait_idle(timeout=5)
            self._wait_jobs_quiet()
            self.sweep()
            self.runs()
        self.cloud.bridge.wait_idle(timeout=5)
        return report

    def _age_unstarted_runs(self) -> list[str]:
        """Runs recorded whose execution never started (the upload handler kept failing):
        the reconciler fails them once they are ``NEVER_STARTED_AFTER`` old. Time passes:
        their ``createdAt`` is moved back by that much, so the final sweeps see them."""
        from bedrock_tuner.pipeline.reconcile import NEVER_STARTED_AFTER
        from bedrock_tuner.pipeline.runs import iso, utc_now

        started = self.executions()
        aged = []
        ddb = self.cloud.client("dynamodb")
        for run_id, run in self.runs().items():
            if str(run.get("status")) in TERMINAL_RUN or any(n.endswith(run_id) for n in started):
                continue
            past = iso(utc_now() - NEVER_STARTED_AFTER - dt.timedelta(minutes=1))
            ddb.update_item(
                TableName=self.table,
                Key={"PK": {"S": f"RUN#{run_id}"}, "SK": {"S": "RUN"}},
                UpdateExpression="SET createdAt = :past",
                ExpressionAttributeValues={":past": {"S": past}},
            )
            aged.append(run_id)
        return aged

    def _resume_lost(self, running: list[str]) -> bool:
        """A running execution waits for a job that has ended (its resume was lost)."""
        ended = {
            match.group(1)
            for job in self.cloud.bedrock.jobs()
            if job.status in TERMINAL_JOB and (match := _RUN_OF_JOB.search(job.job_name))
        }
        return any(name.rsplit("-", 1)[-1] in ended for name in running)

    def _bedrock_quiet(self) -> bool:
        """No job is in progress unless a stop is coming (a stopping job ends by itself)."""
        return all(j.status in TERMINAL_JOB for j in self.cloud.bedrock.jobs())

    def _wait_jobs_quiet(self, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(j.status != "Stopping" for j in self.cloud.bedrock.jobs()):
                return
            time.sleep(0.03)

    def metrics(self) -> Counter[str]:
        """The metrics the functions counted since the reset (NotificationFailed …)."""
        with self._calls_lock:
            return Counter(self._metrics)

    def world(self) -> World:
        ddb = self.cloud.client("dynamodb")
        items: list[dict[str, Any]] = []
        for page in ddb.get_paginator("scan").paginate(TableName=self.table):
            items += [_plain(i) for i in page["Items"]]
        versions = [i for i in items if str(i["SK"]).startswith("VERSION#")]
        jobs = {str(i["jobArn"]): i for i in items if i["SK"] == "JOB"}
        slots = next((i for i in items if i["PK"] == "SLOTS"), {})
        executions = {}
        sfn = self.cloud.client("stepfunctions")
        for name, execution in self.executions().items():
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            executions[name] = dict(described)
        return World(
            runs=self.runs(),
            jobs=self.cloud.bedrock.jobs(),
            job_items=jobs,
            versions=versions,
            slot_holders=sorted(slots.get("holders") or []),
            executions=executions,
            notifications=self.cloud.notifications.all(),
            invocations=self.cloud.bridge.invocations(),
            metrics=self.metrics(),
            status_history={k: list(v) for k, v in self._status_history.items()},
            peak_jobs=self.watch.peak,
            uploads=list(self.uploads),
        )


# --------------------------------------------------------------------------- invariants


@dataclass
class Violations:
    found: list[str] = field(default_factory=list)

    def add(self, invariant: str, text: str) -> None:
        self.found.append(f"{invariant}: {text}")


def _alarmed(world: World, *functions: str) -> bool:
    """Someone was alerted: a NotificationFailed metric, or a failed invocation of one of
    ``functions`` (every function has an Errors alarm on the topic)."""
    return world.metrics["NotificationFailed"] > 0 or any(
        world.failed_invocations(f) for f in functions
    )


def check_invariants(world: World, report: SettleReport | None = None) -> list[str]:
    """Every violation of I1-I7 in ``world`` (empty when they hold)."""
    v = Violations()
    runs = world.runs
    notify_functions = ("NotifyFunction", "ReconcileJobsFunction")

    # I1 / I2 — every job the service started ends registered, or its run says why.
    for job in world.jobs:
        match = _RUN_OF_JOB.search(job.job_name)
        run = runs.get(match.group(1)) if match else None
        if run is None:
            continue
        run_id = str(run["runId"])
        status = str(run.get("status"))
        if job.status not in TERMINAL_JOB:
            v.add("I2", f"job {job.job_name} is still {job.status} (run {run_id} is {status})")
            continue
        registered = [x for x in world.versions if x.get("jobArn") == job.job_arn]
        if len(registered) > 1:
            v.add("I1", f"job {job.job_name} is registered {len(registered)} times")
        if job.status == "Completed" and not registered:
            if status not in TERMINAL_RUN:
                v.add("I1", f"run {run_id} of unregistered completed job ended {status}")
            if run.get("outputModelArn") != job.output_model_arn:
                v.add(
                    "I1",
                    f"run {run_id} does not name the custom model {job.output_model_arn} of its "
                    f"unregistered job (it says {run.get('outputModelArn')})",
                )
            told = any(
                job.output_model_arn and job.output_model_arn in n.message
                for n in world.notes_of(run_id)
            )
            if not told and not _alarmed(world, *notify_functions):
                v.add("I1", f"nobody was told of the unregistered model of run {run_id}")
        if job.status != "Completed" or not registered:
            if status == "SUCCEEDED":
                v.add("I1", f"run {run_id} SUCCEEDED without a version for job {job.job_name}")
            elif status in TERMINAL_RUN and not (run.get("error") or run.get("outcome")):
                v.add("I1", f"run {run_id} ended {status} without saying why")

    # I2 — no job runs for a terminal run (also: nothing left running at all).
    for job in world.jobs:
        match = _RUN_OF_JOB.search(job.job_name)
        run = runs.get(match.group(1)) if match else None
        if run is not None and job.status not in TERMINAL_JOB and run.get("status") in TERMINAL_RUN:
            v.add("I2", f"job {job.job_name} is {job.status} for terminal run {run['runId']}")

    # I3 — a run's status agrees with its execution and its job; terminal is final.
    executions_by_run = {}
    for name, execution in world.executions.items():
        match = re.search(r"(r[0-9a-f]{12})$", name)
        if match:
            executions_by_run[match.group(1)] = execution
    for run_id, run in runs.items():
        status = str(run.get("status"))
        execution = executions_by_run.get(run_id)
        if status not in TERMINAL_RUN:
            v.add("I3", f"run {run_id} is still {status} after everything settled")
        if execution is not None:
            ended = execution["status"]
            if ended == "SUCCEEDED" and status != "SUCCEEDED":
                v.add("I3", f"run {run_id} is {status} but its execution SUCCEEDED")
            if ended in ("FAILED", "TIMED_OUT", "ABORTED") and status == "SUCCEEDED":
                v.add("I3", f"run {run_id} SUCCEEDED but its execution {ended}")
            if ended == "RUNNING":
                v.add("I3", f"the execution of run {run_id} is still RUNNING")
        if status == "SUCCEEDED" and not any(x.get("runId") == run_id for x in world.versions):
            v.add("I3", f"run {run_id} SUCCEEDED without a registered version")
        outcome = run.get("outcome")
        if (
            status in TERMINAL_RUN
            and outcome in OUTCOME_STATUS
            and OUTCOME_STATUS[str(outcome)] != status
        ):
            v.add("I3", f"run {run_id} is {status} but its outcome is {outcome}")
        history = world.status_history.get(run_id, [])
        for index, seen in enumerate(history):
            if seen in TERMINAL_RUN and any(later != seen for later in history[index + 1 :]):
                v.add("I3", f"run {run_id} left terminal status {seen}: {' -> '.join(history)}")
                break
        job_arn = run.get("jobArn")
        job = world.job_items.get(str(job_arn)) if job_arn else None
        sim = next((j for j in world.jobs if j.job_arn == job_arn), None)
        if (
            job is not None
            and sim is not None
            and sim.status in TERMINAL_JOB
            and job.get("status") != sim.status
        ):
            v.add(
                "I3",
                f"the table says job {sim.job_name} is {job.get('status')}, Bedrock {sim.status}",
            )

    # I4 — bounded jobs, no slot held by something that does not run.
    if world.peak_jobs > MAX_JOBS:
        v.add("I4", f"{world.peak_jobs} jobs ran at once (MaxConcurrentJobs is {MAX_JOBS})")
    for holder in world.slot_holders:
        v.add("I4", f"slot still held by {holder} after the sweeps (nothing runs)")

    # I5 — a version's lineage is of the bytes that were validated and trained on.
    by_key = {(u.key, u.version_id): u for u in world.uploads}
    for version in world.versions:
        dataset = version.get("dataset") or {}
        uri = str(dataset.get("uri") or "")
        key = uri.split("/", 3)[-1] if uri.startswith("s3://") else ""
        upload = by_key.get((key, dataset.get("versionId")))
        if upload is None:
            v.add("I5", f"version {version['SK']} names data nobody uploaded: {uri}")
            continue
        if dataset.get("sha256") != upload.sha256:
            v.add(
                "I5",
                f"version {version['SK']} lineage sha256 {dataset.get('sha256')} is not the "
                f"uploaded bytes' {upload.sha256}",
            )

    # I6 — one notification per outcome; an outcome nobody was told about alarmed.
    kinds = Counter((_note_run(n), n.kind) for n in world.notifications if _note_run(n))
    for (run_id, kind), n in kinds.items():
        if n > 1:
            v.add("I6", f"run {run_id} was told {kind!r} {n} times")
    for run_id, run in runs.items():
        if str(run.get("status")) not in TERMINAL_RUN:
            continue
        outcome = run.get("outcome")
        told = {n.kind for n in world.notes_of(run_id)}
        ending_kinds = set(OUTCOME_STATUS) & told
        if not ending_kinds and not _alarmed(world, *notify_functions, "OnDatasetUploadedFunction"):
            v.add("I6", f"run {run_id} ended {run.get('status')} ({outcome}) and nobody was told")

    # I7 — a lost resume is recovered within one sweep (one more per sweep that failed).
    if report is not None:
        if report.stuck:
            v.add("I7", f"executions still running after the sweeps: {report.stuck}")
        if report.recovery_sweeps > 1 + report.failed_sweeps:
            v.add(
                "I7",
                f"{report.recovery_sweeps} reconcile sweeps were needed to resume runs whose "
                f"job had ended ({report.failed_sweeps} sweeps failed)",
            )
    return v.found


def assert_invariants(world: World, report: SettleReport | None = None) -> None:
    found = check_invariants(world, report)
    assert not found, "invariants violated:\n  " + "\n  ".join(found)


@contextlib.contextmanager
def started_cloud(
    handler_log: Path, *, parameters: dict[str, str] | None = None
) -> Iterator[Harness]:
    cloud = LocalCloud(timing=FAULT_TIMING, handler_log=handler_log).start()
    try:
        cloud.deploy(TEMPLATE, parameters={**PARAMETERS, **(parameters or {})})
        cloud.retry_wait_scale = RETRY_WAIT_SCALE
        cloud.bridge.async_retry_waits_s = ASYNC_RETRY_WAITS
        harness = Harness(cloud, handler_log)
        try:
            yield harness
        finally:
            harness.disarm()
            harness.remove_recorder()
            harness.remove_metrics()
    finally:
        cloud.stop()
