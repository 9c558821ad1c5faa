"""The Lambda bridge: the project's handlers run in this process when moto invokes a function.

Every ``AWS::Serverless::Function`` of the template is registered under its deployed name with
its code folder and handler (``functions/<dir>/app.py`` → ``handler``). The module is imported
by file path under a unique name (``bt_fn_<dir>``: every function's file is ``app.py``), and
``handler(event, context)`` is called with a :class:`LambdaContext`.

Semantics kept from Lambda:

* synchronous invokes return the handler's JSON result, or the Python runtime's error shape
  (``errorType`` = exception class name) with ``X-Amz-Function-Error: Unhandled`` — Step Functions
  then matches ``Retry``/``Catch`` on the exception name;
* the function's ``Timeout`` is enforced (``Sandbox.Timedout``; the thread itself cannot be
  killed and finishes in the background);
* asynchronous invokes (EventBridge targets, SNS, ``InvocationType=Event``) run on a daemon
  thread, are retried ``MaximumRetryAttempts`` times (default 2, as AWS) and then go to the
  function's ``OnFailure`` destination queue, with Lambda's destination record. Lambda waits
  1 minute before the second attempt and 2 more before the third; the local clock runs an AWS
  minute in :data:`LOCAL_SECONDS_PER_AWS_MINUTE` seconds at simulator speed 1, so a duplicate
  delivery that meets the first still in progress (Powertools idempotency) is retried after
  the first has finished, as on AWS.

Environment: ``os.environ`` is one per process, so the bridge sets the union of every
function's variables (read back from the deployed function configuration) and refuses two
functions giving one variable different values — except :data:`FUNCTION_SPECIFIC` variables,
which only one function sets and mean the same everywhere.

Invoke hooks (:meth:`LambdaBridge.add_invoke_hook`) run before each handler; one that raises
:class:`FunctionCrash` fails the invocation as a Lambda whose runtime exited (fault plans'
``crash``).

With ``handler_log`` set, whatever a handler writes to stdout/stderr (Powertools logs, EMF
metrics, prints) goes to that file instead of the terminal.

Powertools: the handlers share one ``Logger`` (one per sandbox on Lambda). Its formatter's keys
(function name, request id, correlation id, appended keys) are kept per invocation here
(:class:`_PerInvocationKeys`), so concurrent invocations do not log each other's keys.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO, cast

from bedrock_tuner_localcloud.calls import running_function
from bedrock_tuner_localcloud.errors import EnvironmentConflictError, LocalCloudError

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.deploy import Deployment

LOG = logging.getLogger("bedrock_tuner_localcloud")

# Set by one function only, identical in meaning wherever set: made process-wide too.
FUNCTION_SPECIFIC = frozenset({"BT_STATE_MACHINE_ARN", "BT_SLACK_SECRET_ARN"})
DEFAULT_ASYNC_RETRIES = 2  # Lambda's default for asynchronous invokes
# Lambda's waits before the 2nd and 3rd attempt of a failed asynchronous invoke, in AWS minutes
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html, read
# 2026-12-07): one minute, then two.
AWS_ASYNC_RETRY_WAITS_MIN = (1.0, 2.0)
# The local cloud's clock: an AWS minute lasts a second (the deploy's SlotWaitSeconds 60 -> 1),
# times the simulator's speed.
LOCAL_SECONDS_PER_AWS_MINUTE = 1.0

Handler = Callable[[Any, Any], Any]
InvokeHook = Callable[[str], None]  # called with the logical id before the handler runs


class FunctionCrash(Exception):
    """Raise from an invoke hook: the function's runtime died before the handler ran (a
    fault plan's ``crash``). Reported as Lambda reports it: ``Runtime.ExitError``."""

    error_type = "Runtime.ExitError"


_INVOCATION = threading.local()  # .active: this thread runs one handler invocation


class _PerInvocationKeys:
    """``LambdaPowertoolsFormatter.log_format`` (the keys every log line carries), one copy per
    handler invocation: in a thread running a handler, reads and writes go to that thread's
    copy (first made from the formatter's keys outside any invocation); elsewhere they are the
    plain attribute. Installed on the class once (:func:`_keep_powertools_keys_per_invocation`).
    """

    _STORE = "_bt_shared_log_format"

    def __init__(self) -> None:
        self._local = threading.local()

    def _mine(self) -> dict[int, dict[str, Any]]:
        mine: dict[int, dict[str, Any]] | None = getattr(self._local, "keys", None)
        if mine is None:
            mine = self._local.keys = {}
        return mine

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        shared: dict[str, Any] = obj.__dict__.get(self._STORE, {})
        if not getattr(_INVOCATION, "active", False):
            return shared
        mine = self._mine()
        if id(obj) not in mine:
            mine[id(obj)] = dict(shared)
        return mine[id(obj)]

    def __set__(self, obj: Any, value: dict[str, Any]) -> None:
        if not getattr(_INVOCATION, "active", False) or self._STORE not in obj.__dict__:
            obj.__dict__[self._STORE] = value  # outside a handler, or the formatter's creation
        if getattr(_INVOCATION, "active", False):
            self._mine()[id(obj)] = value


def _keep_powertools_keys_per_invocation() -> None:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    if not isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _PerInvocationKeys):
        for formatter in _existing_formatters():
            formatter.__dict__[_PerInvocationKeys._STORE] = formatter.__dict__.pop("log_format")
        LambdaPowertoolsFormatter.log_format = _PerInvocationKeys()  # type: ignore[assignment]


def _existing_formatters() -> list[Any]:
    """Powertools formatters made before the patch (a Logger created at import)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    found = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            formatter = handler.formatter
            if isinstance(formatter, LambdaPowertoolsFormatter) and "log_format" in vars(formatter):
                found.append(formatter)
    return found


@dataclass
class LambdaContext:
    """Duck-types the Lambda Python runtime's context object (what Powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{dt.date.today():%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class FunctionSpec:
    """One registered function."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]
    max_async_retries: int = DEFAULT_ASYNC_RETRIES
    on_failure_arn: str | None = None

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")


@dataclass(frozen=True)
class Invocation:
    """One handler run (for the demo, the tests and debugging)."""

    logical_id: str
    request_id: str
    source: str
    started: float
    duration_ms: float
    ok: bool
    error_type: str | None = None
    error_message: str | None = None
    attempt: int = 1


class _HandlerOutput(io.TextIOBase):
    """sys.stdout/stderr stand-in: writes from handler threads go to a log file."""

    def __init__(self, real: TextIO, sink: TextIO, marker: threading.local) -> None:
        self.real = real
        self._sink = sink
        self._marker = marker

    def _target(self) -> TextIO:
        return self._sink if getattr(self._marker, "in_handler", False) else self.real

    def write(self, text: str) -> int:
        target = self._target()
        target.write(text)
        if target is self._sink:
            target.flush()
        return len(text)

    def flush(self) -> None:
        self.real.flush()
        self._sink.flush()

    def isatty(self) -> bool:
        return self.real.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.real, "encoding", "utf-8")


class LambdaBridge:
    """Runs registered handlers for moto (see :mod:`.patches`, which calls it)."""

    def __init__(
        self,
        region: str,
        *,
        handler_log: Path | None = None,
        speed: Callable[[], float] = lambda: 1.0,
    ) -> None:
        _keep_powertools_keys_per_invocation()
        self.region = region
        self._speed = speed  # the simulator's speed factor, read at each retry
        self.async_retry_waits_s: tuple[float, ...] | None = None  # fixed waits (tests)
        self._specs: dict[str, FunctionSpec] = {}
        self._by_logical: dict[str, FunctionSpec] = {}
        self._handlers: dict[str, Handler] = {}
        self._modules: set[str] = set()  # imported handler modules (forgotten at close)
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()
        self._invocations: list[Invocation] = []
        self._threads: set[threading.Thread] = set()
        self._invoke_hooks: list[InvokeHook] = []
        self._closed = False
        self._marker = threading.local()
        self._streams: tuple[TextIO, TextIO] | None = None
        self._sink: TextIO | None = None
        self.handler_log = handler_log
        if handler_log is not None:
            handler_log.parent.mkdir(parents=True, exist_ok=True)
            self._sink = handler_log.open("a", encoding="utf-8")
            self._streams = (sys.stdout, sys.stderr)
            sys.stdout = _HandlerOutput(sys.stdout, self._sink, self._marker)
            sys.stderr = _HandlerOutput(sys.stderr, self._sink, self._marker)

    # ------------------------------------------------------------------ registration
    def register_stack(
        self, deployment: Deployment, client: Callable[[str], Any]
    ) -> dict[str, str]:
        """Register every ``AWS::Serverless::Function`` of the deployed template and return the
        environment to set process-wide (union of the functions' variables).

        Raises :class:`EnvironmentConflictError` when two functions disagree on a variable.
        """
        lam = client("lambda")
        env: dict[str, str] = {}
        owners: dict[str, str] = {}
        for lid, fn in sorted(deployment.functions.items()):
            resource = deployment.resources.get(lid)
            if resource is None:  # its Condition is false
                continue
            config = lam.get_function_configuration(FunctionName=resource.physical_id)
            raw = (config.get("Environment") or {}).get("Variables") or {}
            # moto keeps Number parameters as numbers; Lambda variables are strings
            variables = {str(k): str(v) for k, v in raw.items()}
            retries, on_failure = DEFAULT_ASYNC_RETRIES, None
            try:
                invoke_config = lam.get_function_event_invoke_config(
                    FunctionName=resource.physical_id
                )
                retries = int(invoke_config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES))
                destination = (invoke_config.get("DestinationConfig") or {}).get("OnFailure") or {}
                on_failure = destination.get("Destination")
            except lam.exceptions.ResourceNotFoundException:
                pass
            spec = FunctionSpec(
                logical_id=lid,
                name=str(config["FunctionName"]),
                arn=str(config["FunctionArn"]),
                code_dir=fn.code_dir,
                handler=fn.handler,
                timeout_s=float(config.get("Timeout") or 3),
                memory_mb=int(config.get("MemorySize") or 128),
                environment=variables,
                max_async_retries=retries,
                on_failure_arn=on_failure,
            )
            self.register(spec)
            for key, value in variables.items():
                if key in env and env[key] != value and key not in FUNCTION_SPECIFIC:
                    raise EnvironmentConflictError(
                        f"{owners[key]} and {lid} set {key} to different values "
                        f"({env[key]!r} vs {value!r}); handlers share one process environment "
                        "in the local cloud, so give the variable one value (Globals) or add it "
                        "to bridge.FUNCTION_SPECIFIC if it is set by one function only"
                    )
                env.setdefault(key, value)
                owners.setdefault(key, lid)
        return env

    def register(self, spec: FunctionSpec) -> None:
        with self._lock:
            self._specs[spec.name] = spec
            self._by_logical[spec.logical_id] = spec

    def unregister(self, name: str) -> None:
        with self._lock:
            spec = self._specs.pop(name, None)
            if spec is not None:
                self._by_logical.pop(spec.logical_id, None)
                self._handlers.pop(name, None)

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        """Registered functions by logical ID."""
        return dict(self._by_logical)

    def missing_handlers(self) -> list[Path]:
        """Handler files that do not exist (functions still to be written)."""
        return sorted({s.module_file for s in self._specs.values() if not s.module_file.is_file()})

    def load_handlers(self) -> None:
        """Import every handler now (fail loudly, naming the files that are missing or broken)."""
        missing = self.missing_handlers()
        if missing:
            raise LocalCloudError("handler files missing: " + ", ".join(str(p) for p in missing))
        for spec in list(self._specs.values()):
            self._handler(spec)

    def _handler(self, spec: FunctionSpec) -> Handler:
        with self._load_lock:
            if spec.name in self._handlers:
                return self._handlers[spec.name]
            module_name, _, attr = spec.handler.rpartition(".")
            path = spec.module_file
            if not path.is_file():
                raise LocalCloudError(f"{spec.logical_id}: handler file {path} does not exist")
            unique = f"bt_fn_{spec.code_dir.name}_{module_name.replace('.', '_')}"
            module = sys.modules.get(unique) or _import_file(unique, path)
            self._modules.add(unique)
            handler = getattr(module, attr, None)
            if not callable(handler):
                raise LocalCloudError(f"{spec.logical_id}: {path} has no callable {attr}")
            self._handlers[spec.name] = handler
            return cast("Handler", handler)

    # ------------------------------------------------------------------ invoking
    def add_invoke_hook(self, hook: InvokeHook) -> Callable[[], None]:
        """Call ``hook(logical_id)`` at the start of every invocation, before the handler (in
        the invocation's thread, inside :func:`~.calls.running_function`); it may raise
        :class:`FunctionCrash` to fail the invocation (fault plans). Returns its remover."""
        with self._lock:
            self._invoke_hooks.append(hook)

        def remove() -> None:
            with self._lock:
                if hook in self._invoke_hooks:
                    self._invoke_hooks.remove(hook)

        return remove

    def handles(self, function_name: str) -> bool:
        return function_name in self._specs

    def spec(self, name_or_logical_id: str) -> FunctionSpec:
        spec = self._specs.get(name_or_logical_id) or self._by_logical.get(name_or_logical_id)
        if spec is None:
            raise LocalCloudError(f"no function {name_or_logical_id} is registered")
        return spec

    def invoke(self, function_name: str, event: Any) -> tuple[bytes, str | None]:
        """Run the handler now; returns (payload bytes, FunctionError or None)."""
        return self._run(self.spec(function_name), event, "lambda:Invoke", attempt=1)

    def invoke_async(self, function_name: str, event: Any, *, source: str) -> None:
        """Run the handler on a daemon thread with Lambda's async retries and OnFailure."""
        spec = self.spec(function_name)
        if self._closed:
            LOG.warning("bridge closed: dropping async invoke of %s", spec.logical_id)
            return
        thread = threading.Thread(
            target=self._run_async,
            args=(spec, event, source),
            name=f"lambda-async-{spec.logical_id}",
            daemon=True,
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run_async(self, spec: FunctionSpec, event: Any, source: str) -> None:
        try:
            attempts = 1 + max(0, spec.max_async_retries)
            payload, error = b"", None
            for attempt in range(1, attempts + 1):
                payload, error = self._run(spec, event, source, attempt=attempt)
                if error is None or self._closed:
                    return
                if attempt < attempts:
                    time.sleep(self.async_retry_wait_s(attempt))
            if spec.on_failure_arn:
                self._send_on_failure(spec, event, payload, attempts)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def async_retry_wait_s(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based) of an async invoke."""
        waits = self.async_retry_waits_s or tuple(
            minutes * LOCAL_SECONDS_PER_AWS_MINUTE * self._speed()
            for minutes in AWS_ASYNC_RETRY_WAITS_MIN
        )
        return max(0.0, waits[min(attempt, len(waits)) - 1])

    def _send_on_failure(
        self, spec: FunctionSpec, event: Any, payload: bytes, attempts: int
    ) -> None:
        """Lambda's destination record for a failed asynchronous invocation (SQS destinations)."""
        assert spec.on_failure_arn is not None
        arn = spec.on_failure_arn
        record = {
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{spec.arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": json.loads(payload or b"null"),
        }
        try:
            if arn.split(":")[2] != "sqs":
                raise LocalCloudError(
                    f"only SQS OnFailure destinations are supported locally ({arn})"
                )
            from moto.sqs.models import sqs_backends

            _, _, _, region, account, queue = arn.split(":", 5)
            sqs_backends[account][region].send_message(queue, json.dumps(record, default=str))
        except Exception:
            LOG.exception("%s: could not deliver the OnFailure record to %s", spec.logical_id, arn)

    def _run(
        self, spec: FunctionSpec, event: Any, source: str, *, attempt: int
    ) -> tuple[bytes, str | None]:
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_mb,
            timeout_s=spec.timeout_s,
        )
        started = time.time()
        t0 = time.perf_counter()
        box: dict[str, Any] = {}

        def target() -> None:
            self._marker.in_handler = True
            _INVOCATION.active = True
            try:
                with running_function(spec.logical_id):  # fault plans, IAM checks (calls.py)
                    for hook in list(self._invoke_hooks):
                        hook(spec.logical_id)
                    handler = self._handler(spec)
                    box["result"] = handler(event, context)
            except BaseException as exc:  # noqa: BLE001 - the runtime reports everything, even SystemExit
                box["error"] = exc

        worker = threading.Thread(target=target, name=f"lambda-{spec.logical_id}", daemon=True)
        worker.start()
        worker.join(spec.timeout_s)
        duration = (time.perf_counter() - t0) * 1000
        if worker.is_alive():
            message = f"Task timed out after {spec.timeout_s:.2f} seconds"
            self._record(
                spec, context, source, started, duration, attempt, "Sandbox.Timedout", message
            )
            timed_out = {"errorType": "Sandbox.Timedout", "errorMessage": message}
            return json.dumps(timed_out).encode(), "Unhandled"
        if "error" in box:
            exc = box["error"]
            error_type = type(exc).__name__
            if isinstance(exc, LocalCloudError):
                error_type = "Runtime.ImportModuleError"
            elif isinstance(exc, FunctionCrash):
                error_type = FunctionCrash.error_type
            self._record(spec, context, source, started, duration, attempt, error_type, str(exc))
            body: dict[str, Any] = {
                "errorMessage": str(exc),
                "errorType": error_type,
                "requestId": context.aws_request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(body).encode(), "Unhandled"
        self._record(spec, context, source, started, duration, attempt, None, None)
        try:
            return json.dumps(box.get("result"), default=str).encode(), None
        except (TypeError, ValueError) as exc:
            body = {
                "errorType": "Runtime.MarshalError",
                "errorMessage": f"Unable to marshal response: {exc}",
            }
            return json.dumps(body).encode(), "Unhandled"

    def _record(
        self,
        spec: FunctionSpec,
        context: LambdaContext,
        source: str,
        started: float,
        duration_ms: float,
        attempt: int,
        error_type: str | None,
        message: str | None,
    ) -> None:
        item = Invocation(
            logical_id=spec.logical_id,
            request_id=context.aws_request_id,
            source=source,
            started=started,
            duration_ms=round(duration_ms, 1),
            ok=error_type is None,
            error_type=error_type,
            error_message=message,
            attempt=attempt,
        )
        with self._lock:
            self._invocations.append(item)
        if error_type is not None:
            LOG.debug("%s failed: %s: %s", spec.logical_id, error_type, message)

    # ------------------------------------------------------------------ inspection
    def invocations(self, logical_id: str | None = None) -> list[Invocation]:
        with self._lock:
            items = list(self._invocations)
        return [i for i in items if logical_id is None or i.logical_id == logical_id]

    def clear_invocations(self) -> None:
        with self._lock:
            self._invocations.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no asynchronous invocation is running; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return True
            alive[0].join(min(0.05, max(0.0, deadline - time.monotonic())))
        return False

    def close(self) -> None:
        """Stop taking async invokes, give running ones a moment, restore stdout/stderr."""
        self._closed = True
        self.wait_idle(timeout=2.0)
        # A later local cloud in this process imports the handlers afresh (module state such
        # as clients made at import would point at this cloud's endpoint).
        for name in self._modules:
            sys.modules.pop(name, None)
        self._modules.clear()
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
            self._streams = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def _import_file(module_name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LocalCloudError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
