"""Fault plans: rehearse AWS failures on the local cloud before production.

A plan (YAML, docs/local-cloud.md "Fault plans") lists calls the functions make that must
fail, and sets the Bedrock simulator's knobs::

    faults:
      - service: stepfunctions        # boto3 service name of a call made by the functions
        operation: SendTaskSuccess    # API operation name (every operation if left out)
        error: ThrottlingException    # an AWS error code, or "timeout"
        times: 1                      # how many matching calls fail ("always": every one)
        after: 0                      # matching calls let through first
      - function: RegisterModelVersionFunction   # logical id in template.yaml
        error: crash                  # the handler raises before doing anything
    bedrock:
      fail: [{job: support-bot, stage: training, message: "out of memory"}]
      stall: [{stage: training}]
      drop_events: [{statuses: [Completed]}]
      duplicate_events: true

:func:`load_plan` reads and checks a plan strictly: an unknown key, a service or operation
botocore does not know, a function the template does not have, an error that is neither an
AWS error code nor ``timeout``/``crash`` is a :class:`FaultPlanError` naming the key and
the fix (the CLI prints it as ``error [BT_FAULT_PLAN]: …``, never a traceback).

:class:`FaultInjector` arms a plan on a running :class:`~.server.LocalCloud`: an interceptor
on every AWS call a function makes (:mod:`.calls`) raises the planned error, as botocore
raises it after its own retries; ``crash`` makes the bridge fail the invocation before the
handler runs (``Runtime.ExitError``, as a Lambda whose runtime exited); the ``bedrock``
section is applied to the simulator. :attr:`FaultInjector.injected` lists every fault that
fired.
"""

from __future__ import annotations

import difflib
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bedrock_tuner.errors import UsageError
from bedrock_tuner_localcloud.bridge import FunctionCrash
from bedrock_tuner_localcloud.calls import Call, add_interceptor, client_error

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.server import LocalCloud

__all__ = [
    "CRASH",
    "TIMEOUT",
    "BedrockKnobs",
    "CallFault",
    "FaultInjector",
    "FaultPlan",
    "FaultPlanError",
    "Injection",
    "aws_error_status",
    "load_plan",
    "parse_plan",
]

TIMEOUT = "timeout"
CRASH = "crash"
_ERROR_CODE = re.compile(r"[A-Z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?")
_STAGES = ("validation", "dataProcessing", "training")
_JOB_STATUSES = ("InProgress", "Stopping", "Stopped", "Completed", "Failed")
EXAMPLE_ERRORS = "ThrottlingException, ServiceUnavailableException, AccessDeniedException"


class FaultPlanError(UsageError):
    """The fault plan cannot be used as written; ``problem["problems"]`` lists each problem."""

    code = "BT_FAULT_PLAN"

    def __init__(self, message: str, *, fix: str, problems: list[dict[str, str]] | None = None):
        super().__init__(message, fix=fix)
        self.problem = {"problems": problems or []}


# --------------------------------------------------------------------------- the plan


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallFault(_Strict):
    """One rule: the matching calls (or invocations, for ``crash``) that fail."""

    service: str | None = None
    operation: str | None = None
    function: str | None = None
    error: str
    times: int | Literal["always"] = 1
    after: int = Field(default=0, ge=0)
    message: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)

    @field_validator("times", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if value == "always" or (isinstance(value, int) and not isinstance(value, bool)):
            if isinstance(value, int) and value < 1:
                raise ValueError(f'times must be 1 or more, or "always" (got {value})')
            return value
        raise ValueError(f'times must be a count (1 or more) or "always", not {value!r}')

    @field_validator("error")
    @classmethod
    def _error(cls, value: str) -> str:
        if value in (TIMEOUT, CRASH) or _ERROR_CODE.fullmatch(value):
            return value
        raise ValueError(
            f"error {value!r} is neither an AWS error code ({EXAMPLE_ERRORS} …) "
            f"nor {TIMEOUT!r} or {CRASH!r}"
        )

    @model_validator(mode="after")
    def _target(self) -> CallFault:
        if self.error == CRASH:
            if self.function is None:
                raise ValueError("error: crash needs the function whose handler crashes")
            if self.service or self.operation or self.status:
                raise ValueError(
                    "error: crash fails the whole invocation: drop service, operation and status"
                )
        elif self.service is None:
            raise ValueError("give the service of the call that fails (or error: crash)")
        if self.operation is not None and self.service is None:
            raise ValueError("operation needs its service")
        return self

    @property
    def always(self) -> bool:
        return self.times == "always"

    def describe(self) -> str:
        if self.error == CRASH:
            what = f"{self.function} crashes"
        else:
            call = f"{self.service}:{self.operation or '*'}"
            where = f" from {self.function}" if self.function else ""
            what = f"{call}{where} fails with {self.error}"
        count = "every time" if self.always else f"{self.times}x"
        after = f", after {self.after} through" if self.after else ""
        return f"{what} ({count}{after})"


class JobFailure(_Strict):
    job: str | None = None  # a substring of the job name (any job when left out)
    stage: Literal["validation", "dataProcessing", "training"] = "training"
    message: str = "Simulated failure: the training job failed."
    times: int = Field(default=1, ge=1)


class JobStall(_Strict):
    job: str | None = None
    stage: Literal["validation", "dataProcessing", "training"] = "training"
    times: int = Field(default=1, ge=1)


JobStatusName = Literal["InProgress", "Stopping", "Stopped", "Completed", "Failed"]


def _terminal_statuses() -> list[JobStatusName]:
    return ["Completed", "Failed", "Stopped"]


class EventDrop(_Strict):
    job: str | None = None
    statuses: list[JobStatusName] = Field(default_factory=_terminal_statuses)


class BedrockTimingKnobs(_Strict):
    validation_s: float | None = Field(default=None, ge=0)
    data_processing_s: float | None = Field(default=None, ge=0)
    training_s: float | None = Field(default=None, ge=0)
    stopping_s: float | None = Field(default=None, ge=0)


class BedrockKnobs(_Strict):
    """The Bedrock simulator's knobs (``bedrock:`` in a plan)."""

    fail: list[JobFailure] = Field(default_factory=list)
    stall: list[JobStall] = Field(default_factory=list)
    throttle_creates: int = Field(default=0, ge=0)
    drop_events: list[EventDrop] = Field(default_factory=list)
    duplicate_events: bool = False
    reorder_events: bool = False
    speed: float | None = Field(default=None, gt=0)
    timing: BedrockTimingKnobs | None = None


class FaultPlan(_Strict):
    """A whole plan file."""

    faults: list[CallFault] = Field(default_factory=list)
    bedrock: BedrockKnobs = Field(default_factory=BedrockKnobs)

    def summary(self) -> list[str]:
        """One line per rule and knob (what ``local up``/``demo`` print)."""
        lines = [fault.describe() for fault in self.faults]
        knobs = self.bedrock
        lines += [
            f"bedrock: jobs{_job(f.job)} fail at {f.stage} ({f.times}x): {f.message}"
            for f in knobs.fail
        ]
        lines += [
            f"bedrock: jobs{_job(s.job)} stall at {s.stage} ({s.times}x)" for s in knobs.stall
        ]
        if knobs.throttle_creates:
            lines.append(
                f"bedrock: the next {knobs.throttle_creates} CreateModelCustomizationJob calls "
                "are throttled"
            )
        lines += [
            f"bedrock: {'/'.join(d.statuses)} events of jobs{_job(d.job)} are lost"
            for d in knobs.drop_events
        ]
        if knobs.duplicate_events:
            lines.append("bedrock: every state-change event is delivered twice")
        if knobs.reorder_events:
            lines.append("bedrock: InProgress events arrive after the terminal event")
        if knobs.speed is not None:
            lines.append(f"bedrock: stage durations x{knobs.speed:g}")
        return lines


def _job(substring: str | None) -> str:
    return f" named *{substring}*" if substring else ""


# --------------------------------------------------------------------------- checking


@functools.cache
def _botocore_session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def _services() -> tuple[str, ...]:
    return tuple(_botocore_session().get_available_services())


@functools.cache
def _operations(service: str) -> tuple[str, ...]:
    return tuple(_botocore_session().get_service_model(service).operation_names)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


_KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": tuple(FaultPlan.model_fields),
    "faults": tuple(CallFault.model_fields),
    "bedrock": tuple(BedrockKnobs.model_fields),
    "fail": tuple(JobFailure.model_fields),
    "stall": tuple(JobStall.model_fields),
    "drop_events": tuple(EventDrop.model_fields),
    "timing": tuple(BedrockTimingKnobs.model_fields),
}


def _problems_of(error: ValidationError) -> list[dict[str, str]]:
    problems = []
    # an unknown key first: it often explains a "missing" one (eror: → error missing)
    items = sorted(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    for item in items:
        loc = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
        path = _path(loc)
        if item["type"] == "extra_forbidden":
            key = str(loc[-1])
            parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
            known = _KNOWN_KEYS.get(parent, ())
            hint = _suggest(key, known)
            problems.append(
                {
                    "path": path,
                    "message": f"unknown key {key!r}",
                    "fix": (hint + " " if hint else "") + "known keys: " + ", ".join(known),
                }
            )
            continue
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = f"missing key {str(loc[-1])!r}"
        fix = "see docs/local-cloud.md, Fault plans"
        if path.endswith(".error"):
            fix = f"use an AWS error code such as {EXAMPLE_ERRORS}, or {TIMEOUT!r} or {CRASH!r}"
        elif path.endswith(".stage"):
            fix = "use one of " + ", ".join(_STAGES)
        elif path.endswith(".times"):
            fix = 'give a count of 1 or more, or "always"'
        elif "statuses" in path:
            fix = "use job statuses: " + ", ".join(_JOB_STATUSES)
        problems.append({"path": path, "message": message, "fix": fix})
    return problems


def _check_calls(plan: FaultPlan, functions: Iterable[str] | None) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    known_functions = sorted(functions) if functions is not None else None
    for index, fault in enumerate(plan.faults):
        where = f"faults[{index}]"
        if fault.service is not None and fault.service not in _services():
            hint = _suggest(fault.service, _services())
            problems.append(
                {
                    "path": f"{where}.service",
                    "message": f"{fault.service!r} is not a boto3 service name",
                    "fix": hint
                    or "use the name boto3.client() takes: s3, dynamodb, "
                    "stepfunctions, sns, bedrock …",
                }
            )
        elif fault.service is not None and fault.operation is not None:
            operations = _operations(fault.service)
            if fault.operation not in operations:
                pascal = "".join(part.title() for part in fault.operation.split("_"))
                hint = (
                    f"did you mean {pascal!r}? (API names, not boto3 method names)"
                    if pascal in operations
                    else _suggest(fault.operation, operations)
                )
                problems.append(
                    {
                        "path": f"{where}.operation",
                        "message": f"{fault.service} has no operation {fault.operation!r}",
                        "fix": hint
                        or f"use an API operation name of {fault.service} "
                        "(as in the AWS API reference: SendTaskSuccess, PutItem …)",
                    }
                )
        if (
            fault.function is not None
            and known_functions is not None
            and fault.function not in known_functions
        ):
            hint = _suggest(fault.function, known_functions)
            problems.append(
                {
                    "path": f"{where}.function",
                    "message": f"the template has no function {fault.function!r}",
                    "fix": (hint + " " if hint else "")
                    + "use a logical id of template.yaml: "
                    + ", ".join(known_functions),
                }
            )
    return problems


def _raise(problems: list[dict[str, str]], source: str) -> NoReturn:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise FaultPlanError(
        f"{source}: {first['path']}: {first['message']}{more}",
        fix=first["fix"],
        problems=problems,
    )


def parse_plan(
    data: Any, *, functions: Iterable[str] | None = None, source: str = "fault plan"
) -> FaultPlan:
    """Check a loaded plan (a mapping) strictly; ``functions``: the template's logical ids."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FaultPlanError(
            f"{source}: a fault plan is a mapping with 'faults' and/or 'bedrock', "
            f"not a {type(data).__name__}",
            fix="start the file with `faults:` (see examples/faults/)",
        )
    try:
        plan = FaultPlan.model_validate(data)
    except ValidationError as exc:
        _raise(_problems_of(exc), source)
    problems = _check_calls(plan, functions)
    if problems:
        _raise(problems, source)
    return plan


def template_functions(template: Path) -> list[str]:
    """The logical ids of the template's ``AWS::Serverless::Function`` resources."""
    from bedrock_tuner_localcloud.template import SERVERLESS_FUNCTION, load_yaml

    resources = load_yaml(template).get("Resources") or {}
    return sorted(
        lid
        for lid, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == SERVERLESS_FUNCTION
    )


def load_plan(path: Path, *, template: Path | None = None) -> FaultPlan:
    """Read and check a plan file (functions against ``template``'s when given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FaultPlanError(
            f"cannot read the fault plan {path}: {exc.strerror or exc}",
            fix="give the path of a YAML file (samples in examples/faults/)",
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise FaultPlanError(
            f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}",
            fix="fix the YAML syntax (indentation, a missing colon)",
        ) from None
    functions = template_functions(template) if template is not None else None
    return parse_plan(data, functions=functions, source=str(path))


# --------------------------------------------------------------------------- injecting


def aws_error_status(service: str, code: str) -> int:
    """The HTTP status AWS answers ``code`` with (from botocore's model when it knows it)."""
    if service in _services():
        model = _botocore_session().get_service_model(service)
        for name in model.shape_names:
            shape = model.shape_for(name)
            error = shape.metadata.get("error") or {}
            if shape.metadata.get("exception") and code in (name, error.get("code")):
                status = error.get("httpStatusCode")
                if status:
                    return int(status)
    lowered = code.lower()
    if "unavailable" in lowered or code == "SlowDown":
        return 503
    if "internal" in lowered:
        return 500
    if "denied" in lowered or "authoriz" in lowered or "forbidden" in lowered:
        return 403
    if "throttl" in lowered or "toomanyrequests" in lowered:
        return 429 if service in ("bedrock", "lambda", "s3") else 400
    return 400


@dataclass(frozen=True)
class Injection:
    """One fault that fired."""

    at: float  # time.time()
    rule: int  # index in the plan's faults
    function: str | None
    service: str | None
    operation: str | None
    error: str


class _Rule:
    def __init__(self, index: int, fault: CallFault) -> None:
        self.index = index
        self.fault = fault
        self.seen = 0

    def matches_call(self, call: Call) -> bool:
        fault = self.fault
        return (
            fault.error != CRASH
            and fault.service == call.service
            and (fault.operation is None or fault.operation == call.operation)
            and (fault.function is None or fault.function == call.function)
        )

    def matches_invocation(self, logical_id: str) -> bool:
        return self.fault.error == CRASH and self.fault.function == logical_id

    def count(self) -> bool:
        """Count a match; True when this one fails."""
        self.seen += 1
        if self.seen <= self.fault.after:
            return False
        return self.fault.always or self.seen - self.fault.after <= int(self.fault.times)

    @property
    def spent(self) -> bool:
        return not self.fault.always and self.seen >= self.fault.after + int(self.fault.times)


class FaultInjector:
    """A plan, armed on a running local cloud (:meth:`install`, :meth:`remove`)."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._rules = [_Rule(i, fault) for i, fault in enumerate(plan.faults)]
        self._lock = threading.Lock()
        self.injected: list[Injection] = []
        self._removers: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ lifecycle
    def install(self, cloud: LocalCloud) -> FaultInjector:
        """Arm the call and crash rules and set the simulator's knobs."""
        functions = set(cloud.bridge.functions)
        problems = _check_calls(self.plan, functions)
        if problems:
            _raise(problems, "fault plan")
        self._removers.append(add_interceptor(self._on_call))
        self._removers.append(cloud.bridge.add_invoke_hook(self._on_invoke))
        apply_bedrock_knobs(cloud, self.plan.bedrock)
        return self

    def remove(self) -> None:
        for remove in self._removers:
            remove()
        self._removers.clear()

    def exhausted(self) -> bool:
        """Every counted rule has failed as many calls as it should."""
        with self._lock:
            return all(rule.spent for rule in self._rules if not rule.fault.always)

    # ------------------------------------------------------------------ hooks
    def _fire(self, rules: list[_Rule], call: Call | None, function: str) -> _Rule | None:
        fired: _Rule | None = None
        with self._lock:
            for rule in rules:
                if rule.count() and fired is None:
                    fired = rule
            if fired is not None:
                self.injected.append(
                    Injection(
                        at=time.time(),
                        rule=fired.index,
                        function=function,
                        service=call.service if call else None,
                        operation=call.operation if call else None,
                        error=fired.fault.error,
                    )
                )
        return fired

    def _on_call(self, call: Call) -> None:
        rules = [rule for rule in self._rules if rule.matches_call(call)]
        if not rules:
            return
        fired = self._fire(rules, call, call.function)
        if fired is not None:
            raise _exception(fired.fault, call)

    def _on_invoke(self, logical_id: str) -> None:
        rules = [rule for rule in self._rules if rule.matches_invocation(logical_id)]
        if not rules:
            return
        fired = self._fire(rules, None, logical_id)
        if fired is not None:
            raise FunctionCrash(
                fired.fault.message
                or f"Runtime exited with error: exit status 1 (fault plan rule {fired.index})"
            )


def _exception(fault: CallFault, call: Call) -> Exception:
    if fault.error == TIMEOUT:
        from botocore.exceptions import ReadTimeoutError

        error: Exception = ReadTimeoutError(
            endpoint_url=f"https://{call.service}.{call.region}.amazonaws.com/"
        )
        return error
    message = fault.message or f"{call.operation} failed: {fault.error} (local fault plan)"
    status = fault.status or aws_error_status(call.service, fault.error)
    return client_error(fault.error, message, call.operation, status=status)


def apply_bedrock_knobs(cloud: LocalCloud, knobs: BedrockKnobs) -> None:
    """Set the simulator's knobs from a plan's ``bedrock`` section."""
    sim = cloud.bedrock
    if knobs.timing is not None:
        for name, value in knobs.timing.model_dump(exclude_none=True).items():
            setattr(sim.timing, name, value)
    if knobs.speed is not None:
        sim.set_speed(knobs.speed)
    for failure in knobs.fail:
        for _ in range(failure.times):
            sim.fail_next(failure.job, failure.message, stage=failure.stage)
    for stall in knobs.stall:
        for _ in range(stall.times):
            sim.stall_next(stall.job, stage=stall.stage)
    if knobs.throttle_creates:
        sim.throttle_next_creates(knobs.throttle_creates)
    for drop in knobs.drop_events:
        sim.drop_events_for(drop.job, drop.statuses)
    if knobs.duplicate_events:
        sim.duplicate_events(True)
    if knobs.reorder_events:
        sim.out_of_order(True)
