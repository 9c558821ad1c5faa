"""``LocalCloud``: moto's server on 127.0.0.1, Step Functions execution on, everything wired.

    with LocalCloud() as cloud:
        stack = cloud.deploy()                  # template.yaml, fast timing parameters
        cloud.client("s3").put_object(...)      # boto3 clients pointed at the local endpoint
        cloud.bedrock.fail_next("bad", "…")     # the Bedrock simulator's knobs
        cloud.notifications.drain()             # what the stack published to SNS
        cloud.iam.take_denials()                # calls the functions' roles did not allow

The process environment is the local cloud's while it runs (restored by :meth:`stop`):
``AWS_ENDPOINT_URL`` (every boto3 client created afterwards, handlers included, talks to moto),
``MOTO_PORT`` (moto's Step Functions interpreter calls Lambda/DynamoDB/SNS through
``http://localhost:$MOTO_PORT``), fake credentials and the region. Because that environment is
process-wide, one local cloud runs per process.

IAM is enforced (``enforce_iam=True``, the default): every call a function makes is checked
against its role's policies in the template, and the Bedrock simulator checks a job's
service role (:mod:`.iam`; docs/local-cloud.md, "IAM on the local cloud").
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from bedrock_tuner_localcloud import patches
from bedrock_tuner_localcloud.api_server import LocalApiServer
from bedrock_tuner_localcloud.clients import ClientFactory
from bedrock_tuner_localcloud.errors import LocalCloudError

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

    from bedrock_tuner_localcloud.bedrock_sim import BedrockSimulator, SimTiming
    from bedrock_tuner_localcloud.bridge import LambdaBridge
    from bedrock_tuner_localcloud.capture import NotificationCapture
    from bedrock_tuner_localcloud.deploy import Deployment
    from bedrock_tuner_localcloud.iam import IamEnforcer

LOG = logging.getLogger("bedrock_tuner_localcloud")

ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_STACK = "bedrock-tuner"

# Template parameters that make a run take seconds instead of days.
FAST_PARAMETERS: dict[str, str] = {
    "SlotWaitSeconds": "1",
    "ApprovalTimeoutSeconds": "300",
    "JobTimeoutSeconds": "600",
    "JobHeartbeatSeconds": "300",
    "SlotWaitAlertSeconds": "60",
}

_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "MOTO_PORT",
)

_active_lock = threading.Lock()


def repo_root() -> Path:
    """The project checkout (where ``template.yaml`` lives): the nearest parent of the
    working directory that has one, else the checkout this package was installed from."""
    for base in (Path.cwd(), *Path.cwd().parents):
        if (base / "template.yaml").is_file():
            return base
    here = Path(__file__).resolve()
    for base in here.parents:
        if (base / "pyproject.toml").is_file() and (base / "functions").is_dir():
            return base
    raise LocalCloudError(
        "cannot find template.yaml: run from the bedrock-tuner checkout or pass --template"
    )


class LocalCloud:
    """moto in server mode plus the Lambda bridge, the Bedrock simulator and SNS capture."""

    _active: ClassVar[LocalCloud | None] = None  # one per process (the environment is shared)

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        port: int = 0,
        timing: SimTiming | None = None,
        handler_log: Path | None = None,
        enforce_iam: bool = True,
    ) -> None:
        self.region = region
        self.enforce_iam = enforce_iam
        self.host = host
        self.requested_port = port
        self.port = 0
        self.endpoint = ""
        self._timing = timing
        self._handler_log = handler_log
        self._server: ThreadedMotoServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_sfn_config: dict[str, Any] | None = None
        self._bridge: LambdaBridge | None = None
        self._bedrock: BedrockSimulator | None = None
        self._capture: NotificationCapture | None = None
        self._clients: ClientFactory | None = None
        self.deployment: Deployment | None = None
        self.started_in = 0.0
        self._schedule_stop = threading.Event()
        self._schedule_thread: threading.Thread | None = None
        self._api: LocalApiServer | None = None
        self._iam: IamEnforcer | None = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        with _active_lock:
            if LocalCloud._active is not None:
                raise LocalCloudError(
                    "a local cloud is already running in this process (its environment is "
                    "process-wide); stop it first"
                )
            LocalCloud._active = self
        t0 = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - t0
        return self

    def _start(self) -> None:
        self._set_env(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
            AWS_SESSION_TOKEN=None,
            AWS_SECURITY_TOKEN=None,
            AWS_PROFILE=None,
            AWS_DEFAULT_PROFILE=None,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
        )
        patches.install()
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        from bedrock_tuner_localcloud.bedrock_sim import BedrockSimulator
        from bedrock_tuner_localcloud.bridge import LambdaBridge

        self._saved_sfn_config = dict(default_user_config.get("stepfunctions", {}))
        self._server = ThreadedMotoServer(
            ip_address=self.host, port=self.requested_port, verbose=False
        )
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.port = port
        self.endpoint = f"http://{host}:{port}"
        self._set_env(MOTO_PORT=str(port), AWS_ENDPOINT_URL=self.endpoint)
        self._clients = ClientFactory(self.endpoint, self.region)
        # Step Functions runs the ASL only with this switch (read on every request; it must be
        # on before state machines are created: each mode has its own store).
        self._moto_api("config", {"stepfunctions": {"execute_state_machine": True}})
        self._bedrock = BedrockSimulator(self._clients, timing=self._timing)
        bedrock = self._bedrock
        self._bridge = LambdaBridge(
            self.region, handler_log=self._handler_log, speed=lambda: bedrock.timing.speed
        )
        patches.HOOKS.lambda_runner = self._bridge
        patches.HOOKS.bedrock = self._bedrock
        patches.HOOKS.deliveries.clear()
        self._bedrock.start()
        _forget_cached_clients()

    def stop(self) -> None:
        """Stop the simulator, the bridge and the server; restore the environment."""
        self._schedule_stop.set()
        if self._api is not None:
            self._api.stop()
            self._api = None
        if self._schedule_thread is not None:
            self._schedule_thread.join(timeout=2)
            self._schedule_thread = None
        if self._bedrock is not None:
            self._bedrock.stop()
        if self._bridge is not None:
            self._bridge.close()
        self._use_iam(None)
        patches.HOOKS.lambda_runner = None
        patches.HOOKS.bedrock = None
        patches.HOOKS.retry_wait_scale = 1.0
        if self._server is not None:
            # moto's backends live in the process, not in the server: forget this cloud's
            # stack, tables, executions … so a later local cloud here starts empty
            try:
                self._moto_api("reset", None)
            except Exception:  # a server that never started cannot be reset either
                LOG.debug("moto reset failed", exc_info=True)
            try:
                self._server.stop()
            except Exception:  # a server that never started has no thread
                LOG.debug("moto server stop failed", exc_info=True)
            self._server = None
        if self._saved_sfn_config is not None:
            from moto.core.config import default_user_config

            default_user_config["stepfunctions"] = self._saved_sfn_config  # type: ignore[typeddict-item]
            self._saved_sfn_config = None
        self._restore_env()
        _forget_cached_clients()
        with _active_lock:
            if LocalCloud._active is self:
                LocalCloud._active = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------- deploy
    def deploy(
        self,
        template: Path | None = None,
        *,
        parameters: dict[str, str] | None = None,
        stack_name: str = DEFAULT_STACK,
        fast: bool = True,
        require_handlers: bool = True,
    ) -> Deployment:
        """Deploy ``template.yaml`` (default: the checkout's) and wire the pieces to it.

        ``fast`` applies :data:`FAST_PARAMETERS` under ``parameters``. Registers every
        function with the bridge, applies the functions' environment to this process, imports
        the handlers (``require_handlers``: fail if one is missing; otherwise it fails when
        invoked), and subscribes the notification capture to the topic.
        """
        from bedrock_tuner_localcloud.capture import NotificationCapture
        from bedrock_tuner_localcloud.deploy import Deployer

        if self.deployment is not None:
            raise LocalCloudError("already deployed: one stack per local cloud")
        template = template or repo_root() / "template.yaml"
        params = {**(FAST_PARAMETERS if fast else {}), **(parameters or {})}
        deployment = Deployer(self.client, self.region).deploy(template, stack_name, params)
        t0 = time.perf_counter()
        environment = self.bridge.register_stack(deployment, self.client)
        if self.enforce_iam:
            from bedrock_tuner_localcloud.iam import IamEnforcer

            self._use_iam(IamEnforcer.from_deployment(deployment, self.region))
        # Commands the functions print (notifications) find this stack with `--local`, not
        # `--stack NAME` (which would look the stack up in AWS): docs/local-cloud.md.
        self._set_env(**environment, BT_CLI_TARGET="--local")
        _forget_cached_clients()
        if require_handlers:
            self.bridge.load_handlers()
        self._capture = NotificationCapture.attach(self, deployment)
        deployment.timings["wire"] = time.perf_counter() - t0
        self.deployment = deployment
        return deployment

    # -------------------------------------------------------------- access
    @property
    def bridge(self) -> LambdaBridge:
        if self._bridge is None:
            raise LocalCloudError("the local cloud is not running")
        return self._bridge

    @property
    def bedrock(self) -> BedrockSimulator:
        if self._bedrock is None:
            raise LocalCloudError("the local cloud is not running")
        return self._bedrock

    @property
    def iam(self) -> IamEnforcer:
        """The IAM checks of the deployed stack (``enforce_iam``): ``iam.denials``,
        ``iam.take_denials()``, ``iam.principal_for_function(logical_id)``."""
        if self._iam is None:
            raise LocalCloudError(
                "IAM is not enforced: start the local cloud with enforce_iam=True and deploy"
            )
        return self._iam

    @contextmanager
    def iam_policies_from(self, template: Path) -> Iterator[IamEnforcer]:
        """Check calls against the policies of ``template`` for the block (the deployed
        resources stay; logical ids must match): e.g. a copy of template.yaml with one
        statement removed, to show the permission is needed."""
        from bedrock_tuner_localcloud.iam import IamEnforcer

        current = self.iam
        replacement = IamEnforcer.from_deployment(self.stack, self.region, template=template)
        self._use_iam(replacement)
        try:
            yield replacement
        finally:
            self._use_iam(current)

    def _use_iam(self, enforcer: IamEnforcer | None) -> None:
        if self._iam is not None:
            self._iam.uninstall()
        self._iam = enforcer
        if enforcer is not None:
            enforcer.install()
        if self._bedrock is not None:
            self._bedrock.iam = enforcer

    @property
    def notifications(self) -> NotificationCapture:
        if self._capture is None:
            raise LocalCloudError("nothing deployed yet: call deploy() first")
        return self._capture

    @property
    def stack(self) -> Deployment:
        if self.deployment is None:
            raise LocalCloudError("nothing deployed yet: call deploy() first")
        return self.deployment

    def client(self, service: str, *, max_attempts: int | None = None) -> Any:
        """A boto3 client for ``service`` on the local endpoint (cached; a new one with
        ``max_attempts``, e.g. 1 to see throttling errors that retries would hide)."""
        if self._clients is None:
            raise LocalCloudError("the local cloud is not running")
        return self._clients(service, max_attempts=max_attempts)

    def start_api(self, *, port: int = 0, logical_id: str = "ApiFunction") -> str:
        """Serve the deployed API function over HTTP on the host (API Gateway proxy events);
        returns the URL (Swagger UI at ``<url>/docs``)."""
        if self._api is None:
            spec = self.bridge.spec(logical_id)

            def invoke(event: dict[str, Any]) -> tuple[bytes, str | None]:
                return self.bridge.invoke(spec.name, event)

            self._api = LocalApiServer(invoke, host=self.host, port=port).start()
        return self._api.url

    @property
    def api_url(self) -> str:
        """The local API's URL (the HTTP front is started on first use)."""
        return self.start_api()

    @property
    def retry_wait_scale(self) -> float:
        """Step Functions ``Retry`` back-off waits are multiplied by this (1.0: as on AWS).
        Fault suites shrink it so a step that fails for good does not wait 31 s per run."""
        return patches.HOOKS.retry_wait_scale

    @retry_wait_scale.setter
    def retry_wait_scale(self, factor: float) -> None:
        if factor < 0:
            raise LocalCloudError("retry_wait_scale must be 0 or more")
        patches.HOOKS.retry_wait_scale = factor

    def fire_schedule(self, logical_id: str) -> str:
        """Deliver a schedule rule of the stack now (e.g. the reconciler's); moto never fires
        schedules. Returns the event id."""
        return patches.fire_scheduled_rule(self._rule(logical_id))

    def scheduled_rules(self) -> list[str]:
        """Logical ids of the stack's schedule rules (the reconciler's, for one)."""
        return [
            lid
            for lid in self.stack.of_type("AWS::Events::Rule")
            if self._rule(lid).scheduled_expression
        ]

    def start_schedules(self) -> None:
        """Fire the stack's enabled ``rate(...)`` schedule rules at their rate, on a daemon
        thread (``local up``; tests call :meth:`fire_schedule` instead)."""
        rules = {lid: self._rule(lid) for lid in self.scheduled_rules()}
        periods: dict[str, float] = {}
        for lid, rule in rules.items():
            period = _rate_seconds(rule.scheduled_expression)
            if period is None:
                LOG.warning(
                    "%s: %s is not a rate(); not fired locally", lid, rule.scheduled_expression
                )
            else:
                periods[lid] = period
        if not periods:
            return
        self._schedule_stop.clear()

        def loop() -> None:
            due = {lid: time.monotonic() + p for lid, p in periods.items()}
            while not self._schedule_stop.wait(0.5):
                for lid, at in due.items():
                    if time.monotonic() >= at and rules[lid].state == "ENABLED":
                        try:
                            patches.fire_scheduled_rule(rules[lid])
                        except Exception:
                            LOG.exception("schedule %s failed", lid)
                        due[lid] = time.monotonic() + periods[lid]

        self._schedule_thread = threading.Thread(target=loop, name="local-schedules", daemon=True)
        self._schedule_thread.start()

    def _rule(self, logical_id: str) -> Any:
        from moto.events.models import events_backends

        name = self.stack.physical_id(logical_id).split("|")[-1]
        bus = events_backends[ACCOUNT_ID][self.region].event_buses["default"]
        if name not in bus.rules:
            raise LocalCloudError(f"{logical_id}: no EventBridge rule {name} on the default bus")
        return bus.rules[name]

    # -------------------------------------------------------------- helpers
    def _moto_api(self, path: str, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 endpoint
            f"{self.endpoint}/moto-api/{path}",
            method="POST",
            data=data,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def _set_env(self, **values: str | None) -> None:
        for key, value in values.items():
            if key not in self._saved_env:
                self._saved_env[key] = os.environ.get(key)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def set_environment(self, values: dict[str, str]) -> None:
        """Set process environment variables, restored at :meth:`stop` (the bridge uses it)."""
        self._set_env(**values)

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()


def _rate_seconds(expression: str) -> float | None:
    """``rate(5 minutes)`` → 300.0; None for cron() and anything else."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not match:
        return None
    unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
    return float(int(match.group(1)) * unit)


def _forget_cached_clients() -> None:
    """The package caches boto3 clients; drop them so new ones see the current endpoint."""
    from bedrock_tuner.aws.clients import reset_clients

    reset_clients()
    try:
        from bedrock_tuner import settings
    except ImportError:
        return
    get_settings = getattr(settings, "get_settings", None)
    cache_clear = getattr(get_settings, "cache_clear", None)
    if callable(cache_clear):
        cache_clear()
    # the handlers' adapters hold the table names of the stack they were built for
    from bedrock_tuner.deps import reset_deps

    reset_deps()
