"""``make demo``: the whole flow on the local cloud, with live progress.

1. start the local cloud; 2. deploy ``template.yaml`` with fast timings; 3. upload the
pipeline spec and a sample dataset; 4. follow the run live — every state the execution enters
and leaves (from its history), the Bedrock job's sub-stages (from the simulator), the
functions EventBridge triggers; 5. print the registered version (read from the state table)
and the notifications that were sent. Exit status 0 only when the run succeeded and a version
was registered.

:class:`Timeline` is also what ``bedrock-tuner local up`` prints while it runs.
"""

from __future__ import annotations

import os
import queue
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bedrock_tuner.api.timeline import HistoryReader, short_cause

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.bedrock_sim import SimJob
    from bedrock_tuner_localcloud.faults import FaultInjector, FaultPlan
    from bedrock_tuner_localcloud.server import LocalCloud

DEFAULT_PIPELINE = "support-bot"
DEFAULT_DATASET = "examples/datasets/support-chat.nova.jsonl"
TERMINAL_EXECUTION = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
_QUIET_STATE_TYPES = ("Choice", "Pass", "Succeed", "Fail")
_EXECUTION_END = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")


@dataclass
class DemoOptions:
    pipeline: str = DEFAULT_PIPELINE
    spec: Path | None = None  # default: examples/pipelines/<pipeline>.yaml
    dataset: Path | None = None  # default: examples/datasets/support-chat.nova.jsonl
    template: Path | None = None  # default: the checkout's template.yaml
    fail_job: str | None = None  # make the Bedrock job fail with this message
    speed: float = 1.0  # multiplies the simulated Bedrock stage durations
    timeout_s: float = 120.0
    approve: bool = True  # approve runs that wait, through the local API, as a person would
    faults: Path | None = None  # a fault plan (docs/local-cloud.md, "Fault plans")
    # with a fault plan, a reconcile sweep fires when the run shows nothing new for this long
    # (the schedule's part; rate(15 minutes) on AWS)
    sweep_after_s: float = 4.0


class _Style:
    def __init__(self, stream: TextIO) -> None:
        self.on = stream.isatty() and "NO_COLOR" not in os.environ

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


@dataclass(order=True)
class _Line:
    at: float
    text: str = field(compare=False)


class HistoryLines:
    """The live view's lines for one execution, from its history events (fed whole or page by
    page; events already seen are skipped by id).

    What each state came to is :class:`~bedrock_tuner.api.timeline.HistoryReader`'s verdict,
    the same as the API's run timeline: ``✓`` only when the state's last task attempt
    succeeded; a state left through a ``Catch`` (approval rejected, no free job slot) is ``✗``
    with its error.
    """

    def __init__(self, name: str, stream: TextIO, *, prefix_runs: bool = False) -> None:
        self.name = name
        self.style = _Style(stream)
        self.prefix_runs = prefix_runs
        self.reader = HistoryReader()
        self.status: str | None = None  # the execution's, once it ended
        self._seen = 0

    def lines(self, events: list[dict[str, Any]]) -> list[_Line]:
        s = self.style
        tag = f"{s.dim(self.name)} " if self.prefix_runs else ""
        lines: list[_Line] = []
        for event in events:
            if event["id"] <= self._seen:
                continue
            self._seen = event["id"]
            at = _ts(event["timestamp"])
            etype: str = event["type"]
            visit = self.reader.feed(event)
            if etype == "ExecutionStarted":
                lines.append(_Line(at, f"{tag}{s.bold('▶')} execution {self.name} started"))
            elif visit is not None and etype.endswith("StateEntered"):
                mark = "·" if visit.kind in _QUIET_STATE_TYPES else "→"
                lines.append(_Line(at, f"{tag}  {mark} {visit.name}"))
            elif visit is not None and etype.endswith("StateExited"):
                if visit.kind in _QUIET_STATE_TYPES:
                    continue
                took = at - _ts(visit.entered_at if visit.entered_at is not None else at)
                timing = s.dim(f"({took:.2f}s)")
                if visit.status == "failed":
                    text = f"{s.red('✗')} {visit.name} {timing} {s.red(visit.error or 'failed')}"
                else:
                    text = f"{s.green('✓')} {visit.name} {timing}"
                lines.append(_Line(at, f"{tag}  {text}"))
            elif visit is not None and etype.endswith(("Failed", "TimedOut", "Aborted")):
                lines.append(_Line(at, f"{tag}    {s.red('✗')} {_short_cause(visit.failure)}"))
            elif visit is not None and visit.retrying and etype.endswith("Scheduled"):
                lines.append(_Line(at, f"{tag}    {s.dim('retrying')}"))
            elif etype == "TaskSubmitted":
                lines.append(_Line(at, f"{tag}    {s.dim('waiting for a callback (task token)')}"))
            elif etype in _EXECUTION_END:
                status = etype.removeprefix("Execution").upper().replace("TIMEDOUT", "TIMED_OUT")
                details = event.get("executionFailedEventDetails") or {}
                paint = s.green if status == "SUCCEEDED" else s.red
                why = f" ({details.get('error')})" if details.get("error") else ""
                lines.append(_Line(at, f"{tag}{s.bold('■')} execution {paint(status)}{why}"))
                self.status = status
        return lines


class Timeline:
    """Follows the stack's executions, the Bedrock simulator and event-driven functions, and
    prints one line per step with the time since ``t0``."""

    def __init__(
        self,
        cloud: LocalCloud,
        out: TextIO,
        t0: float,
        *,
        prefix_runs: bool = False,
        faults: FaultInjector | None = None,
    ) -> None:
        self.cloud = cloud
        self.faults = faults
        self._faults_seen = 0
        self.printed = 0  # lines printed so far (the demo's progress check)
        self.out = out
        self.t0 = t0
        self.style = _Style(out)
        self.prefix_runs = prefix_runs
        self.state_machine = cloud.stack.outputs.get("StateMachineArn") or cloud.stack.physical_id(
            "CustomizationStateMachine"
        )
        self.executions: dict[str, dict[str, Any]] = {}  # arn → last describe
        self._printers: dict[str, HistoryLines] = {}
        self._sim_lines: queue.SimpleQueue[_Line] = queue.SimpleQueue()
        self._invocations_seen = 0
        self._notifications_seen = 0
        cloud.bedrock.on_transition(self._on_sim)

    # -------------------------------------------------------------- sources
    def _on_sim(self, job: SimJob, what: str, status: str) -> None:
        s = self.style
        if what == "job" and status == "InProgress":
            text = f"  {s.cyan('bedrock')}  job {job.job_name} created ({job.base_model_id})"
        elif what == "job":
            paint = s.green if status == "Completed" else s.red
            extra = ""
            if status == "Completed":
                extra = " — metrics CSVs written, custom model created"
            elif job.failure_message:
                extra = f" — {job.failure_message}"
            text = f"  {s.cyan('bedrock')}  job {paint(status)}{extra}"
        elif status == "InProgress":
            text = f"  {s.cyan('bedrock')}  {what} …"
        else:
            text = f"  {s.cyan('bedrock')}  {what} {status.lower()}"
        self._sim_lines.put(_Line(time.time(), text))

    def _execution_lines(self) -> list[_Line]:
        sfn = self.cloud.client("stepfunctions")
        lines: list[_Line] = []
        listed = sfn.list_executions(stateMachineArn=self.state_machine)["executions"]
        for item in listed:
            arn = item["executionArn"]
            if arn not in self.executions and item["startDate"].timestamp() < self.t0 - 1:
                continue  # from before we started watching
            if self.executions.get(arn, {}).get("status") in TERMINAL_EXECUTION:
                continue
            self.executions[arn] = dict(item)
            lines += self._history_lines(arn, item["name"])
        return lines

    def _history_lines(self, arn: str, name: str) -> list[_Line]:
        sfn = self.cloud.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        printer = self._printers.get(arn)
        if printer is None:
            printer = self._printers[arn] = HistoryLines(
                name, self.out, prefix_runs=self.prefix_runs
            )
        lines = printer.lines(events)
        if printer.status is not None:
            self.executions[arn]["status"] = printer.status
        return lines

    def _invocation_lines(self) -> list[_Line]:
        s = self.style
        items = self.cloud.bridge.invocations()
        new, self._invocations_seen = items[self._invocations_seen :], len(items)
        lines = []
        for inv in new:
            if inv.source.startswith("lambda:Invoke"):
                continue  # the workflow's own tasks: the history shows them
            source = "EventBridge" if inv.source.startswith("events:") else inv.source
            result = s.green("ok") if inv.ok else s.red(f"{inv.error_type}: {inv.error_message}")
            retry = f" (attempt {inv.attempt})" if inv.attempt > 1 else ""
            lines.append(
                _Line(
                    inv.started + inv.duration_ms / 1000,  # recorded when it ends
                    f"  ⚡ {source} → {inv.logical_id}{retry} {result} {s.dim(f'{inv.duration_ms:.0f} ms')}",
                )
            )
        return lines

    def _fault_lines(self) -> list[_Line]:
        """The fault plan's failures as they fire."""
        if self.faults is None:
            return []
        s = self.style
        fired = list(self.faults.injected)
        new, self._faults_seen = fired[self._faults_seen :], len(fired)
        lines = []
        for item in new:
            call = f" {item.service}:{item.operation}" if item.service else ""
            lines.append(
                _Line(
                    item.at,
                    f"  {s.red('↯')} fault plan: {item.function}{call} → {item.error} "
                    + s.dim(f"(rule {item.rule + 1})"),
                )
            )
        return lines

    def _notification_lines(self) -> list[_Line]:
        items = self.cloud.notifications.all()
        new, self._notifications_seen = items[self._notifications_seen :], len(items)
        return [
            _Line(_epoch(n.timestamp), f"  ✉ notification {n.kind or '?'}: {n.subject or ''}")
            for n in new
        ]

    # -------------------------------------------------------------- printing
    def poll(self) -> None:
        lines = (
            self._execution_lines()
            + self._invocation_lines()
            + self._notification_lines()
            + self._fault_lines()
        )
        while True:
            try:
                lines.append(self._sim_lines.get_nowait())
            except queue.Empty:
                break
        for line in sorted(lines):
            self.out.write(f"{self.style.dim(f'{line.at - self.t0:+7.2f}s')} {line.text}\n")
        self.printed += len(lines)
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a line of our own, timed like the others."""
        self.out.write(f"{self.style.dim(f'{time.time() - self.t0:+7.2f}s')} {text}\n")
        self.printed += 1
        self.out.flush()

    def running(self) -> bool:
        return any(e.get("status") not in TERMINAL_EXECUTION for e in self.executions.values())


def _epoch(iso: str) -> float:
    """SNS's ISO timestamp as epoch seconds (now when it is missing)."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()


def _short_cause(cause: Any, limit: int = 140) -> str:
    return short_cause(cause, limit)


def _ts(value: Any) -> float:
    """A history timestamp (datetime from boto3, or ISO text) as epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    return _epoch(str(value))


def _latest_version(cloud: LocalCloud, family: str) -> dict[str, Any] | None:
    from boto3.dynamodb.types import TypeDeserializer

    table = cloud.stack.physical_id("StateTable")
    result = cloud.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"MODEL#{family}"}, ":sk": {"S": "VERSION#"}},
        ScanIndexForward=False,
        Limit=1,
    )
    items = result.get("Items") or []
    if not items:
        return None
    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in items[0].items()}


def run_demo(options: DemoOptions, out: TextIO | None = None) -> int:
    """The ``make demo`` flow; returns the process exit status."""
    import yaml

    from bedrock_tuner_localcloud.bedrock_sim import SimTiming
    from bedrock_tuner_localcloud.server import LocalCloud, repo_root

    out = out or sys.stdout
    st = _Style(out)
    root = repo_root() if options.template is None else options.template.resolve().parent
    spec_path = options.spec or root / "examples" / "pipelines" / f"{options.pipeline}.yaml"
    dataset_path = options.dataset or root / DEFAULT_DATASET
    for path in (spec_path, dataset_path):
        if not path.is_file():
            out.write(f"demo: {path} does not exist\n")
            return 2
    plan = _load_plan(options, root)  # a bad plan is refused before anything starts
    log_dir = Path(tempfile.gettempdir()) / "bedrock-tuner-local"
    handler_log = log_dir / f"handlers-{time.strftime('%Y%m%d-%H%M%S')}.log"

    def step(n: int, title: str) -> None:
        out.write(f"\n{st.bold(f'== {n}/5  {title}')}\n")
        out.flush()

    out.write(
        st.bold("bedrock-tuner local demo")
        + ": the real template.yaml and statemachine/customization.asl.json on a local AWS\n"
        "emulator (moto), handlers in-process, Bedrock simulated. No AWS account is used.\n"
    )
    step(1, "Start the local cloud")
    timing = SimTiming(speed=options.speed)
    with LocalCloud(timing=timing, handler_log=handler_log) as cloud:
        import moto

        out.write(
            f"   moto {moto.__version__} on {cloud.endpoint} (Step Functions execution on) "
            f"in {cloud.started_in:.1f}s\n"
        )
        step(2, "Deploy template.yaml")
        t_deploy = time.perf_counter()
        stack = cloud.deploy(options.template)
        took = time.perf_counter() - t_deploy
        counts: dict[str, int] = {}
        for res in stack.resources.values():
            counts[res.type] = counts.get(res.type, 0) + 1
        phases = " · ".join(f"{k} {v:.1f}s" for k, v in stack.timings.items())
        out.write(f"   {len(stack.resources)} resources in {took:.1f}s ({phases})\n")
        bucket = stack.physical_id("DataBucket")
        out.write(f"   bucket      {bucket} (versioned, EventBridge notifications on)\n")
        out.write(f"   state       {stack.outputs.get('StateMachineArn')}\n")
        out.write(
            f"   functions   {len(cloud.bridge.functions)} from functions/*/app.py, run in this process\n"
        )
        kinds = (
            ("AWS::DynamoDB::Table", "tables"),
            ("AWS::SNS::Topic", "topic"),
            ("AWS::SQS::Queue", "queues"),
            ("AWS::Events::Rule", "EventBridge rules"),
            ("AWS::CloudWatch::Alarm", "alarms"),
            ("AWS::KMS::Key", "KMS key"),
            ("AWS::IAM::Role", "roles"),
        )
        also = " · ".join(f"{counts[t]} {label}" for t, label in kinds if counts.get(t))
        out.write(f"   also        {also}\n")
        for note in stack.relaxations:
            out.write(st.dim(f"   local only: {note}\n"))
        if options.fail_job:
            cloud.bedrock.fail_next(None, options.fail_job)
            out.write(f"   the Bedrock simulator will fail the job: {options.fail_job!r}\n")
        injector = _arm(cloud, plan, options, out) if plan is not None else None

        step(3, "Upload the pipeline spec and a dataset")
        s3 = cloud.client("s3")
        spec_key = f"pipelines/{options.pipeline}.yaml"
        spec_text = spec_path.read_text(encoding="utf-8")
        s3.put_object(Bucket=bucket, Key=spec_key, Body=spec_text.encode())
        out.write(f"   s3://{bucket}/{spec_key}  ← {_rel(spec_path, root)}\n")
        dataset_key = f"datasets/{options.pipeline}/{dataset_path.name}"
        data = dataset_path.read_bytes()
        records = sum(1 for line in data.splitlines() if line.strip())
        t0 = time.time()
        put = s3.put_object(Bucket=bucket, Key=dataset_key, Body=data)
        out.write(
            f"   s3://{bucket}/{dataset_key}  ← {_rel(dataset_path, root)} "
            f"({records} records, {len(data) / 1024:.0f} KiB, version {put.get('VersionId', '-')})\n"
        )

        step(4, "The run, live (time since the upload)")
        timeline = Timeline(cloud, out, t0, faults=injector)
        deadline = time.monotonic() + options.timeout_s
        approved: set[str] = set()
        quiet = _Quiet(timeline)
        while time.monotonic() < deadline:
            timeline.poll()
            if options.approve:
                _approve_waiting_runs(cloud, timeline, approved)
            if injector is not None and quiet.for_s() >= options.sweep_after_s:
                _sweep(cloud, timeline)
            if timeline.executions and not timeline.running():
                break
            if not timeline.executions and _upload_failed(cloud):
                break
            time.sleep(0.1)
        cloud.bridge.wait_idle(timeout=3)
        timeline.poll()

        step(5, "Result")
        status = _final_status(timeline)
        if status is None:
            out.write(st.red("   no execution started (see the errors above)\n"))
        else:
            arn, desc = status
            took_run = (
                (desc["stopDate"] - desc["startDate"]).total_seconds()
                if desc.get("stopDate")
                else 0.0
            )
            paint = st.green if desc["status"] == "SUCCEEDED" else st.red
            out.write(
                f"   execution   {arn.rsplit(':', 1)[-1]} {paint(desc['status'])} in {took_run:.1f}s\n"
            )
            if desc.get("error"):
                out.write(
                    f"               {desc['error']}: {_short_cause(desc.get('cause'), 200)}\n"
                )
            if desc["status"] != "SUCCEEDED":
                run_id = str(desc.get("name") or arn.rsplit(":", 1)[-1]).rsplit("-", 1)[-1]
                for line in _failure_summary(cloud, run_id):
                    out.write(f"               {line}\n")
        spec = yaml.safe_load(spec_text) or {}
        family = spec.get("model_family") or options.pipeline
        version = _latest_version(cloud, family)
        if version:
            number = int(str(version.get("SK", "VERSION#0")).split("#")[-1])
            out.write(
                f"   registered  {st.bold(f'{family} v{number}')}  {version.get('modelArn', '')}\n"
            )
            metrics = version.get("metrics") or {}
            if metrics:
                shown = ", ".join(f"{k} {v}" for k, v in metrics.items() if v is not None)
                out.write(f"               metrics: {shown}\n")
            dataset = version.get("dataset") or {}
            if dataset:
                out.write(
                    f"               dataset: {dataset.get('uri', '')} (version {dataset.get('versionId', '-')})\n"
                )
            if version.get("jobArn"):
                out.write(f"               job: {version['jobArn']}\n")
        else:
            out.write(st.red(f"   no version of {family} was registered\n"))
        sent = cloud.notifications.all()
        out.write(f"   notifications sent ({len(sent)}):\n")
        for sent_note in sent:
            body = sent_note.body
            text = body.get("text") if isinstance(body, dict) else str(body)
            first = (str(text or "").strip().splitlines() or [""])[0]
            out.write(f"     [{sent_note.kind}] {sent_note.subject or ''}\n")
            if first:
                out.write(st.dim(f"         {first[:160]}\n"))
        if injector is not None:
            out.write(f"   faults injected: {len(injector.injected)}\n")
        out.write(st.dim(f"   handler logs: {handler_log}\n"))
        ok = status is not None and status[1]["status"] == "SUCCEEDED" and version is not None
        out.write(
            "\n"
            + (st.green("demo succeeded") if ok else st.red("demo: the run did not succeed"))
            + "\n"
        )
        return 0 if ok else 1


def _load_plan(options: DemoOptions, root: Path) -> FaultPlan | None:
    if options.faults is None:
        return None
    from bedrock_tuner_localcloud.faults import load_plan

    return load_plan(options.faults, template=options.template or root / "template.yaml")


def _arm(cloud: LocalCloud, plan: FaultPlan, options: DemoOptions, out: TextIO) -> FaultInjector:
    from bedrock_tuner_localcloud.faults import FaultInjector

    injector = FaultInjector(plan).install(cloud)
    out.write(f"   fault plan  {options.faults}:\n")
    for line in plan.summary() or ["(nothing to fail)"]:
        out.write(f"               {line}\n")
    return injector


class _Quiet:
    """How long the timeline has printed nothing new while a run is going."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._seen = -1
        self._since = time.monotonic()

    def for_s(self) -> float:
        if self.timeline.printed != self._seen or not self.timeline.running():
            self._seen, self._since = self.timeline.printed, time.monotonic()
        return time.monotonic() - self._since


def _sweep(cloud: LocalCloud, timeline: Timeline) -> None:
    """Fire the reconcile schedule now (the demo does not wait for its rate)."""
    for logical_id in cloud.scheduled_rules():
        timeline.note(f"  ⟳ nothing moved for a while: {logical_id} fires (reconcile sweep)")
        cloud.fire_schedule(logical_id)


def _approve_waiting_runs(cloud: LocalCloud, timeline: Timeline, done: set[str]) -> None:
    """Approve each run that asked for approval as a person would: ``POST /approvals/{run}``
    on the local API front (the approver is the front's caller, the local user)."""
    from botocore.credentials import Credentials

    from bedrock_tuner.errors import BedrockTunerError
    from bedrock_tuner_cli.client.api import BedrockTunerApi
    from bedrock_tuner_cli.client.http import ApiClient

    api: BedrockTunerApi | None = None
    for note in cloud.notifications.all("approval_needed"):
        body = note.body
        run_id = body.get("run_id") if isinstance(body, dict) else None
        if not run_id or run_id in done:
            continue
        done.add(run_id)
        if api is None:
            api = BedrockTunerApi(
                ApiClient(cloud.api_url, cloud.region, Credentials("testing", "testing"))
            )
        timeline.note(f"  ✋ approving run {run_id} (POST /approvals/{run_id} on the local API)")
        try:
            decided = api.decide(run_id, "approve", reason="make demo")
        except BedrockTunerError as exc:
            timeline.note(f"  ✗ approval failed: {_short_cause(exc.message)}")
        else:
            timeline.note(f"  ✓ approved by {decided.get('by')}")


def _failure_summary(cloud: LocalCloud, run_id: str) -> list[str]:
    """Why a run failed and what to do: Bedrock's failure message and the fix the run's
    failure notification gives (the job's own message when no notification was sent)."""
    said: str | None = None
    fix: str | None = None
    for note in cloud.notifications.all():
        body = note.body
        if not isinstance(body, dict) or body.get("run_id") != run_id:
            continue
        if body.get("severity") not in ("error", "warning") or note.kind == "approval_needed":
            continue
        details = body.get("details") or {}
        said = details.get("failureMessage") or said
        fix = details.get("hint") or _what_to_do(str(body.get("text") or "")) or fix
    if said is None:
        failed = [j for j in cloud.bedrock.jobs() if j.job_name.endswith(run_id)]
        said = next((j.failure_message for j in failed if j.failure_message), None)
    lines = [f"Bedrock says: {said}"] if said else []
    if fix:
        lines.append(f"fix: {fix}")
    return lines


def _what_to_do(text: str) -> str | None:
    """The "What to do: …" sentence of a notification's text."""
    for line in text.splitlines():
        if line.startswith("What to do:"):
            return line.removeprefix("What to do:").strip().rstrip(".")
    return None


def _upload_failed(cloud: LocalCloud) -> bool:
    """The upload handler gave up (all its async attempts failed)."""
    invocations = cloud.bridge.invocations("OnDatasetUploadedFunction")
    failures = [i for i in invocations if not i.ok]
    spec = cloud.bridge.spec("OnDatasetUploadedFunction")
    return bool(failures) and len(failures) >= 1 + spec.max_async_retries


def _final_status(timeline: Timeline) -> tuple[str, dict[str, Any]] | None:
    if not timeline.executions:
        return None
    arn = next(iter(timeline.executions))
    desc = timeline.cloud.client("stepfunctions").describe_execution(executionArn=arn)
    return arn, desc


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
