"""A Bedrock model-customization simulator behind moto's Bedrock API (see patch 9).

``CreateModelCustomizationJob`` registers a job (idempotent on ``clientRequestToken``), and a
daemon thread moves it through what Bedrock reports::

    InProgress  validation: InProgress → Completed
                dataProcessing: NotStarted → InProgress → Completed
                training: NotStarted → InProgress → Completed
    Completed   metrics CSVs written under <outputDataConfig.s3Uri>/model-customization-job-<id>/,
                the custom model created (GetCustomModel/ListCustomModels see it)

Each status change (InProgress, Stopping, Stopped, Completed, Failed) is sent as the EventBridge
event ``source=aws.bedrock``, ``detail-type=Model Customization Job State Change`` through moto's
events backend, so the template's rule delivers it. The validation stage checks that the
training (and validation) objects exist, as Bedrock does.

Custom model deployments (``CreateCustomModelDeployment``, ``GetCustomModelDeployment``,
``UpdateCustomModelDeployment``, patch 9): a deployment is ``Creating`` then ``Active`` after
``timing.deployment_s``; an update reports ``updateDetails.updateStatus = Updating`` for as long,
then swaps ``modelArn`` (``UpdateCompleted``). :meth:`fail_next_deployment_update` makes the next
update end ``UpdateFailed`` (the model stays). States advance when read (no thread).

With IAM enforced (:attr:`BedrockSimulator.iam`, set by the local cloud), a job's service
role (``roleArn``, when it is a role of the deployed stack) is checked as Bedrock uses it: the
create is refused when Bedrock could not assume the role (its trust policy) or, for
reinforcement fine-tuning, invoke the grader (``lambda:InvokeFunction``); the job fails its
validation stage, with Bedrock's message, when the role cannot read the training or validation
objects (``s3:GetObject``), write the output (``s3:PutObject``), or use the KMS keys
(the buckets' for S3, ``customModelKmsKeyId`` for the model).

Knobs (thread-safe): :meth:`fail_next`, :meth:`fail_job`, :meth:`stall_next`, :meth:`unstall`,
:meth:`throttle_next_creates`,
:meth:`drop_events_for`, :meth:`duplicate_events`, :meth:`out_of_order`, :meth:`set_losses`,
:attr:`timing` (stage durations and a speed factor), :meth:`reset`. Inspection:
:meth:`jobs`, :meth:`job`, :attr:`events`, :meth:`wait_for`.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import logging
import math
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError
from moto.bedrock.exceptions import BedrockClientError, ResourceNotFoundException

from bedrock_tuner_localcloud.errors import LocalCloudError

if TYPE_CHECKING:
    from bedrock_tuner_localcloud.iam import IamEnforcer, Principal

LOG = logging.getLogger("bedrock_tuner_localcloud")

EVENT_SOURCE = "aws.bedrock"
EVENT_DETAIL_TYPE = "Model Customization Job State Change"
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
STAGES = ("validation", "dataProcessing", "training")
_STAGE_FIELDS = {
    "validation": "validationDetails",
    "dataProcessing": "dataProcessingDetails",
    "training": "trainingDetails",
}
_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9+\-.])*")
_ID_ALPHABET = string.ascii_lowercase + string.digits


class ThrottlingException(BedrockClientError):
    code = 429

    def __init__(self, message: str) -> None:
        super().__init__("ThrottlingException", message)


class ValidationException(BedrockClientError):
    """Bedrock's ValidationException with its message (moto's replaces every message with
    "Input validation failed…", which hides what Bedrock says)."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class ConflictException(BedrockClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


@dataclass
class SimTiming:
    """How long each sub-stage takes (seconds), all multiplied by ``speed``."""

    validation_s: float = 0.4
    data_processing_s: float = 0.4
    training_s: float = 1.2
    stopping_s: float = 0.3
    deployment_s: float = 0.3
    speed: float = 1.0

    def of(self, stage: str) -> float:
        seconds = {
            "validation": self.validation_s,
            "dataProcessing": self.data_processing_s,
            "training": self.training_s,
            "stopping": self.stopping_s,
            "deployment": self.deployment_s,
        }[stage]
        return max(0.0, seconds * self.speed)


@dataclass
class _FailurePlan:
    name_contains: str | None
    message: str
    stage: str


@dataclass
class SimEvent:
    """One state-change event: emitted (possibly twice) or dropped."""

    id: str
    job_name: str
    status: str
    emitted_at: float
    dropped: bool
    event: dict[str, Any]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _random_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


@dataclass
class SimDeployment:
    """A simulated custom model deployment (on-demand inference of a custom model)."""

    arn: str
    name: str
    model_arn: str
    account_id: str
    region: str
    created_at: str
    description: str | None = None
    status: str = "Creating"
    ready_at: float = 0.0
    last_updated_at: str | None = None
    update_model: str | None = None
    update_status: str | None = None
    update_done_at: float = 0.0
    update_fails: bool = False

    def settle(self, now: float) -> None:
        """Move on to what Bedrock would report at ``now`` (monotonic)."""
        if self.status == "Creating" and now >= self.ready_at:
            self.status = "Active"
            self.last_updated_at = _now_iso()
        if self.update_status == "Updating" and now >= self.update_done_at:
            if self.update_fails:
                self.update_status = "UpdateFailed"
            else:
                self.model_arn = self.update_model or self.model_arn
                self.update_status = "UpdateCompleted"
            self.last_updated_at = _now_iso()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customModelDeploymentArn": self.arn,
            "modelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": self.created_at,
            "status": self.status,
            "lastUpdatedAt": self.last_updated_at or self.created_at,
        }
        if self.description:
            out["description"] = self.description
        if self.update_status:
            out["updateDetails"] = {
                "modelArn": self.update_model,
                "updateStatus": self.update_status,
            }
        return out


@dataclass
class SimJob:
    """A simulated model-customization job (also what moto's responses serialize)."""

    account_id: str
    region: str
    job_id: str
    job_name: str
    custom_model_name: str
    role_arn: str
    base_model_identifier: str
    training_data_config: dict[str, Any]
    output_data_config: dict[str, Any]
    hyper_parameters: dict[str, str]
    customization_type: str
    client_request_token: str | None
    validation_data_config: dict[str, Any] | None
    vpc_config: dict[str, Any] | None
    custom_model_kms_key_id: str | None
    job_tags: list[dict[str, str]]
    custom_model_tags: list[dict[str, str]]
    request_fingerprint: str
    customization_config: dict[str, Any] | None = None
    status: str = "InProgress"
    failure_message: str | None = None
    creation_time: str = field(default_factory=_now_iso)
    last_modified_time: str = field(default_factory=_now_iso)
    end_time: str | None = None
    stages: dict[str, dict[str, str]] = field(default_factory=dict)
    current_stage: str | None = None
    next_at: float = 0.0
    fail_at: str | None = None
    fail_message: str | None = None
    stall_at: str | None = None  # the stage it never leaves (until stopped, failed or unstalled)
    training_loss: float | None = None
    validation_loss: float | None = None
    output_model_arn: str | None = None
    records: int = 0
    history: list[tuple[float, str, str]] = field(default_factory=list)  # (time, what, status)

    # moto's response code reads these names
    @property
    def job_arn(self) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account_id}:model-customization-job/{self.base_model_id}/{self.job_id}"

    @property
    def base_model_id(self) -> str:
        ident = self.base_model_identifier
        return ident.rsplit("/", 1)[-1] if ident.startswith("arn:") else ident

    @property
    def base_model_arn(self) -> str:
        if self.base_model_identifier.startswith("arn:"):
            return self.base_model_identifier
        return f"arn:aws:bedrock:{self.region}::foundation-model/{self.base_model_identifier}"

    @property
    def output_model_name(self) -> str:
        return self.custom_model_name

    @property
    def output_prefix(self) -> str:
        """``s3://…/model-customization-job-<id>/`` (Bedrock's output folder)."""
        return (
            f"{self.output_data_config['s3Uri'].rstrip('/')}/model-customization-job-{self.job_id}/"
        )

    def status_details(self) -> dict[str, Any]:
        return {_STAGE_FIELDS[s]: dict(self.stages[s]) for s in STAGES}

    def to_dict(self) -> dict[str, Any]:
        """The GetModelCustomizationJob response."""
        out: dict[str, Any] = {
            "jobArn": self.job_arn,
            "jobName": self.job_name,
            "outputModelName": self.output_model_name,
            "outputModelArn": self.output_model_arn,
            "clientRequestToken": self.client_request_token,
            "roleArn": self.role_arn,
            "status": self.status,
            "statusDetails": self.status_details(),
            "failureMessage": self.failure_message,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified_time,
            "endTime": self.end_time,
            "baseModelArn": self.base_model_arn,
            "hyperParameters": self.hyper_parameters,
            "trainingDataConfig": self.training_data_config,
            "validationDataConfig": self.validation_data_config,
            "outputDataConfig": self.output_data_config,
            "customizationType": self.customization_type,
            "outputModelKmsKeyArn": self.custom_model_kms_key_id,
            "trainingMetrics": (
                {"trainingLoss": self.training_loss} if self.training_loss is not None else None
            ),
            "validationMetrics": (
                [{"validationLoss": self.validation_loss}]
                if self.validation_loss is not None
                else None
            ),
            "vpcConfig": self.vpc_config,
            "customizationConfig": self.customization_config,
        }
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        """One ListModelCustomizationJobs entry."""
        out: dict[str, Any] = {
            "jobArn": self.job_arn,
            "baseModelArn": self.base_model_arn,
            "jobName": self.job_name,
            "status": self.status,
            "statusDetails": self.status_details(),
            "lastModifiedTime": self.last_modified_time,
            "creationTime": self.creation_time,
            "endTime": self.end_time,
            "customModelArn": self.output_model_arn,
            "customModelName": self.custom_model_name,
            "customizationType": self.customization_type,
        }
        return {k: v for k, v in out.items() if v is not None}

    def event_detail(self) -> dict[str, Any]:
        """The ``detail`` of Bedrock's state-change event."""
        detail: dict[str, Any] = {
            "version": "0.0",
            "jobName": self.job_name,
            "jobArn": self.job_arn,
            "outputModelName": self.output_model_name,
            "outputModelArn": self.output_model_arn,
            "roleArn": self.role_arn,
            "jobStatus": self.status,
            "failureMessage": self.failure_message,
            "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified_time,
            "endTime": self.end_time,
            "baseModelArn": self.base_model_arn,
            "hyperParameters": self.hyper_parameters,
            "trainingDataConfig": self.training_data_config,
            "validationDataConfig": self.validation_data_config,
            "outputDataConfig": self.output_data_config,
        }
        return {k: v for k, v in detail.items() if v is not None}


def _fingerprint(request: dict[str, Any]) -> str:
    material = {k: v for k, v in request.items() if k != "client_request_token"}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _kms_failure(action: str, key_arn: str, role_arn: str) -> str:
    # Bedrock documents the key permissions, not this failure's wording: the local cloud's.
    return (
        f"Could not validate permissions to use the AWS KMS key: {key_arn} "
        f"(the role {role_arn} needs {action} on it)"
    )


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


class BedrockSimulator:
    """The simulated Bedrock control plane for model customization (see the module docs)."""

    tick_s = 0.02

    def __init__(self, client: Callable[[str], Any], *, timing: SimTiming | None = None) -> None:
        self._client = client
        self.timing = timing or SimTiming()
        self.events: list[SimEvent] = []
        self._jobs: dict[str, SimJob] = {}  # by job ARN
        self._tokens: dict[tuple[str, str, str], str] = {}  # (account, region, token) → ARN
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[SimJob, str, str], None]] = []
        self._initial_timing = copy.copy(self.timing)
        self._outbox: list[tuple[str, str, dict[str, Any]]] = []
        self.iam: IamEnforcer | None = None  # service-role checks (set by the local cloud)
        self.reset()

    # ------------------------------------------------------------------ knobs
    def reset(self) -> None:
        """Clear every knob, restore the timing, forget every job and its custom model."""
        with self._lock:
            if self._jobs:
                from moto.bedrock.models import bedrock_backends

                for job in self._jobs.values():
                    backend = bedrock_backends[job.account_id][job.region]
                    backend.model_customization_jobs.pop(job.job_name, None)
                    backend.custom_models.pop(job.custom_model_name, None)
            self._failures: list[_FailurePlan] = []
            self._stalls: list[_FailurePlan] = []
            self._throttles = 0
            self._drops: list[tuple[str | None, frozenset[str]]] = []
            self._duplicate = False
            self._out_of_order = False
            self._held: dict[str, dict[str, Any]] = {}
            self._losses: list[tuple[float, float | None]] = []
            self._jobs.clear()
            self._deployments: dict[str, SimDeployment] = {}
            self._fail_deployment_updates = 0
            self._tokens.clear()
            self._outbox.clear()
            self.events.clear()
            self.timing = copy.copy(self._initial_timing)

    def fail_next(
        self,
        job_name_substring: str | None = None,
        message: str = "Simulated failure: the training job failed.",
        *,
        stage: str = "training",
    ) -> None:
        """The next created job whose name contains ``job_name_substring`` (any job if None)
        fails at ``stage`` (validation, dataProcessing or training) with ``message``."""
        if stage not in STAGES:
            raise LocalCloudError(f"stage must be one of {', '.join(STAGES)}")
        with self._lock:
            self._failures.append(_FailurePlan(job_name_substring, message, stage))

    def stall_next(self, job_name_substring: str | None = None, *, stage: str = "training") -> None:
        """The next created job whose name contains ``job_name_substring`` (any job if None)
        never finishes ``stage``: it stays InProgress (a hung job) until it is stopped,
        failed (:meth:`fail_job`) or released (:meth:`unstall`)."""
        if stage not in STAGES:
            raise LocalCloudError(f"stage must be one of {', '.join(STAGES)}")
        with self._lock:
            self._stalls.append(_FailurePlan(job_name_substring, "", stage))

    def unstall(self, identifier: str) -> None:
        """Let a stalled job go on."""
        with self._lock:
            job = self._find(identifier)
            job.stall_at = None
            if job.status == "InProgress" and job.next_at == math.inf:
                job.next_at = 0.0
            self._changed.notify_all()

    def fail_job(self, identifier: str, message: str = "Simulated failure.") -> None:
        """Fail a running job now (in its current stage)."""
        with self._lock:
            job = self._find(identifier)
            if job.status != "InProgress":
                raise LocalCloudError(f"{job.job_name} is {job.status}, not InProgress")
            job.fail_at = job.current_stage
            job.fail_message = message
            job.next_at = 0.0
            self._changed.notify_all()

    def throttle_next_creates(self, n: int) -> None:
        """The next ``n`` CreateModelCustomizationJob calls raise ThrottlingException."""
        with self._lock:
            self._throttles = max(0, n)

    def drop_events_for(
        self,
        job_name_substring: str | None = None,
        statuses: Iterable[str] = TERMINAL_STATUSES,
    ) -> None:
        """Lose the events of matching jobs with these statuses (default: the terminal one),
        as best-effort delivery sometimes does. Cumulative until :meth:`reset`."""
        with self._lock:
            self._drops.append((job_name_substring, frozenset(statuses)))

    def duplicate_events(self, on: bool = True) -> None:
        """Deliver every event twice (same event id), as at-least-once delivery can."""
        with self._lock:
            self._duplicate = on

    def out_of_order(self, on: bool = True) -> None:
        """Hold each job's InProgress event and deliver it after the terminal event."""
        with self._lock:
            self._out_of_order = on

    def set_losses(self, training_loss: float, validation_loss: float | None = None) -> None:
        """Final losses of the next job to complete (default: derived from the job id)."""
        with self._lock:
            self._losses.append((training_loss, validation_loss))

    def set_speed(self, factor: float) -> None:
        """Multiply every stage duration by ``factor`` (0.1 = ten times faster)."""
        with self._lock:
            self.timing.speed = factor

    def on_transition(self, listener: Callable[[SimJob, str, str], None]) -> None:
        """Call ``listener(job, what, status)`` on every change (``what`` is the job or a
        stage name). Runs on the simulator thread: keep it short."""
        with self._lock:
            self._listeners.append(listener)

    # ------------------------------------------------------------------ inspection
    def jobs(self) -> list[SimJob]:
        with self._lock:
            return [copy.deepcopy(j) for j in self._jobs.values()]

    def job(self, identifier: str) -> SimJob:
        with self._lock:
            return copy.deepcopy(self._find(identifier))

    def wait_for(self, identifier: str, statuses: Iterable[str], timeout: float = 10.0) -> SimJob:
        """Block until the job reaches one of ``statuses``; raise on timeout."""
        wanted = set(statuses)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                job = self._find(identifier)
                if job.status in wanted:
                    return copy.deepcopy(job)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{job.job_name} is {job.status} after {timeout}s")
                self._changed.wait(remaining)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bedrock-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------------ API (patch 9)
    def create_job(self, account_id: str, region: str, request: dict[str, Any]) -> str:
        with self._lock:
            if self._throttles > 0:
                self._throttles -= 1
                raise ThrottlingException("Too many requests, please wait before trying again.")
            token = request.get("client_request_token")
            fingerprint = _fingerprint(request)
            if token and (account_id, region, token) in self._tokens:
                existing = self._jobs[self._tokens[(account_id, region, token)]]
                if existing.request_fingerprint != fingerprint:
                    raise ConflictException(
                        f"The clientRequestToken {token} was already used with different parameters."
                    )
                return existing.job_arn
            job = self._new_job(account_id, region, request, fingerprint)
            for other in self._jobs.values():
                if other.account_id == account_id and other.region == region:
                    if other.job_name == job.job_name:
                        raise ValidationException("The provided job name is currently in use.")
                    if other.custom_model_name == job.custom_model_name:
                        raise ValidationException(
                            f"The provided custom model name {job.custom_model_name} is currently in use."
                        )
            from moto.bedrock.models import bedrock_backends

            backend = bedrock_backends[account_id][region]
            if job.custom_model_name in backend.custom_models:
                raise ValidationException(
                    f"The provided custom model name {job.custom_model_name} is currently in use."
                )
            denied = self._service_role_failure(job)
            if denied is not None:
                job.fail_at, job.fail_message = "validation", denied
            for plan in self._failures if denied is None else []:
                if plan.name_contains is None or plan.name_contains in job.job_name:
                    job.fail_at, job.fail_message = plan.stage, plan.message
                    self._failures.remove(plan)
                    break
            for plan in self._stalls:
                if plan.name_contains is None or plan.name_contains in job.job_name:
                    job.stall_at = plan.stage
                    self._stalls.remove(plan)
                    break
            self._jobs[job.job_arn] = job
            if token:
                self._tokens[(account_id, region, token)] = job.job_arn
            # moto's tag API looks jobs up in its own dict
            backend.model_customization_jobs[job.job_name] = job  # type: ignore[assignment]
            if job.job_tags:
                backend.tag_resource(job.job_arn, job.job_tags)
            job.history.append((time.monotonic(), "job", "InProgress"))
            self._notify(job, "job", "InProgress")
            self._enter_stage(job, "validation", time.monotonic())
            self._pending_event(job)
            self._changed.notify_all()
            return job.job_arn

    def _new_job(
        self, account_id: str, region: str, request: dict[str, Any], fingerprint: str
    ) -> SimJob:
        name = request.get("job_name") or ""
        if not _JOB_NAME.fullmatch(name) or len(name) > 63:
            raise ValidationException(
                f"Value '{name}' at 'jobName' failed to satisfy constraint: Member must satisfy "
                "regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9\\+\\-\\.])*"
            )
        for required in (
            "custom_model_name",
            "role_arn",
            "base_model_identifier",
            "training_data_config",
            "output_data_config",
        ):
            if not request.get(required):
                raise ValidationException(f"{required} is required")
        training = request["training_data_config"]
        output = request["output_data_config"]
        uris = [training.get("s3Uri"), output.get("s3Uri")]
        validation = request.get("validation_data_config")
        if validation:
            uris += [v.get("s3Uri") for v in validation.get("validators", [])]
        for uri in uris:
            if not isinstance(uri, str) or not uri.startswith("s3://"):
                raise ValidationException(
                    f"Value '{uri}' must satisfy regular expression pattern: s3://.*"
                )
        return SimJob(
            account_id=account_id,
            region=region,
            job_id=_random_id(),
            job_name=name,
            custom_model_name=request["custom_model_name"],
            role_arn=request["role_arn"],
            base_model_identifier=request["base_model_identifier"],
            training_data_config=training,
            output_data_config=output,
            hyper_parameters=dict(request.get("hyper_parameters") or {}),
            customization_type=request.get("customization_type") or "FINE_TUNING",
            customization_config=request.get("customization_config") or None,
            client_request_token=request.get("client_request_token"),
            validation_data_config=validation or None,
            vpc_config=request.get("vpc_config"),
            custom_model_kms_key_id=request.get("custom_model_kms_key_id"),
            job_tags=list(request.get("job_tags") or []),
            custom_model_tags=list(request.get("custom_model_tags") or []),
            request_fingerprint=fingerprint,
            stages={s: {"status": "NotStarted"} for s in STAGES},
        )

    # ------------------------------------------------------------------ the service role
    def _service_role(self, job: SimJob) -> Principal | None:
        """The job's role, if IAM is enforced and the role is one of the stack's; raises
        Bedrock's refusals (a role it cannot assume, a grader it may not invoke)."""
        if self.iam is None:
            return None
        principal = self.iam.principal_for_role(job.role_arn)
        if principal is None:
            return None  # not a role of the deployed stack: nothing known to check
        source = {
            "aws:SourceAccount": (job.account_id,),
            "aws:SourceArn": (job.job_arn,),
        }
        if not principal.trusts("bedrock.amazonaws.com", source):
            raise ValidationException("Could not assume provided IAM role.")
        grader = (
            ((job.customization_config or {}).get("rftConfig") or {}).get("graderConfig") or {}
        ).get("lambdaGrader") or {}
        if grader.get("lambdaArn"):
            arn = str(grader["lambdaArn"])
            if not principal.allows("lambda:InvokeFunction", arn):
                # Bedrock documents the permission, not its refusal's wording: this one is
                # the local cloud's, in the style of Bedrock's S3 checks.
                raise ValidationException(
                    f"Could not validate InvokeFunction permissions to access the AWS Lambda "
                    f"function: {arn} (the role {job.role_arn} needs lambda:InvokeFunction on it)"
                )
        return principal

    def _service_role_failure(self, job: SimJob) -> str | None:
        """Why Bedrock could not use the data or the keys with the job's role (the job then
        fails its validation stage with that message), or None."""
        principal = self._service_role(job)
        if principal is None or self.iam is None:
            return None
        world = self.iam.world

        def via(service: str) -> dict[str, tuple[str, ...] | None]:
            return {
                "kms:ViaService": (f"{service}.{job.region}.amazonaws.com",),
                "kms:CallerAccount": (job.account_id,),
            }

        reads = [job.training_data_config["s3Uri"]]
        if job.validation_data_config:
            reads += [v["s3Uri"] for v in job.validation_data_config.get("validators", [])]
        for uri in reads:
            bucket, key = _split_s3(uri)
            key_arn = world.bucket_key(bucket)
            if not principal.allows("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}") or (
                key_arn and not principal.allows("kms:Decrypt", key_arn, via("s3"))
            ):
                return (
                    "Could not validate GetObject permissions to access Amazon S3 bucket: "
                    f"{bucket} at key {key}"
                )
        bucket, prefix = _split_s3(job.output_data_config["s3Uri"])
        probe = f"{prefix.rstrip('/')}/.write_access_check_file.tmp".lstrip("/")
        key_arn = world.bucket_key(bucket)
        if not principal.allows("s3:PutObject", f"arn:aws:s3:::{bucket}/{probe}") or (
            key_arn and not principal.allows("kms:GenerateDataKey", key_arn, via("s3"))
        ):
            return (
                "Amazon S3 perms missing (PutObject): Could not validate PutObject permissions "
                f"to access S3 bucket: {bucket} at key {probe}"
            )
        if job.custom_model_kms_key_id:
            key_arn = world.key_arn(job.custom_model_kms_key_id, job.region)
            for action in ("kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"):
                if not principal.allows(action, key_arn, via("bedrock")):
                    return _kms_failure(action, key_arn, job.role_arn)
            grant = {**via("bedrock"), "kms:GrantIsForAWSResource": ("true",)}
            if not principal.allows("kms:CreateGrant", key_arn, grant):
                return _kms_failure("kms:CreateGrant", key_arn, job.role_arn)
        return None

    def get_job(self, account_id: str, region: str, identifier: str) -> SimJob:
        with self._lock:
            return copy.deepcopy(self._find(identifier, account_id, region))

    def list_jobs(self, account_id: str, region: str, filters: dict[str, Any]) -> list[SimJob]:
        with self._lock:
            jobs = [
                copy.deepcopy(j)
                for j in self._jobs.values()
                if j.account_id == account_id and j.region == region
            ]
        if filters.get("name_contains"):
            jobs = [j for j in jobs if filters["name_contains"] in j.job_name]
        if filters.get("status_equals"):
            jobs = [j for j in jobs if j.status == filters["status_equals"]]
        after, before = filters.get("creation_time_after"), filters.get("creation_time_before")
        if after:
            jobs = [j for j in jobs if _ts(j.creation_time) > _ts(str(after))]
        if before:
            jobs = [j for j in jobs if _ts(j.creation_time) < _ts(str(before))]
        descending = (filters.get("sort_order") or "Descending") == "Descending"
        return sorted(jobs, key=lambda j: j.creation_time, reverse=descending)

    def stop_job(self, account_id: str, region: str, identifier: str) -> None:
        with self._lock:
            job = self._find(identifier, account_id, region)
            if job.status != "InProgress":
                raise ValidationException(
                    f"The job {job.job_name} cannot be stopped: its status is {job.status}."
                )
            job.status = "Stopping"
            if job.current_stage:
                job.stages[job.current_stage]["status"] = "Stopping"
            job.last_modified_time = _now_iso()
            job.next_at = time.monotonic() + self.timing.of("stopping")
            job.history.append((time.monotonic(), "job", "Stopping"))
            self._pending_event(job)
            self._changed.notify_all()

    def _find(
        self, identifier: str, account_id: str | None = None, region: str | None = None
    ) -> SimJob:
        for job in self._jobs.values():
            if account_id is not None and (job.account_id, job.region) != (account_id, region):
                continue
            if identifier in (job.job_arn, job.job_name, job.job_id):
                return job
        raise ResourceNotFoundException(f"Model customization job {identifier} not found")

    # ------------------------------------------------------------------ deployments
    def fail_next_deployment_update(self, n: int = 1) -> None:
        """The next ``n`` deployment updates end ``UpdateFailed`` (the old model stays)."""
        with self._lock:
            self._fail_deployment_updates = n

    def create_deployment(self, account_id: str, region: str, request: dict[str, Any]) -> str:
        name = str(request.get("modelDeploymentName") or "")
        model_arn = str(request.get("modelArn") or "")
        if not name or ":custom-model/" not in model_arn:
            raise ValidationException(
                "modelDeploymentName and a custom model modelArn are required"
            )
        with self._lock:
            for existing in self._deployments.values():
                if (existing.account_id, existing.region, existing.name) == (
                    account_id,
                    region,
                    name,
                ):
                    raise ConflictException(f"A deployment named {name} already exists")
            arn = f"arn:aws:bedrock:{region}:{account_id}:custom-model-deployment/{_random_id()}"
            self._deployments[arn] = SimDeployment(
                arn=arn,
                name=name,
                model_arn=model_arn,
                account_id=account_id,
                region=region,
                created_at=_now_iso(),
                description=request.get("description"),
                ready_at=time.monotonic() + self.timing.of("deployment"),
            )
            return arn

    def _deployment(self, identifier: str, account_id: str, region: str) -> SimDeployment:
        for deployment in self._deployments.values():
            if (deployment.account_id, deployment.region) == (account_id, region) and (
                identifier in (deployment.arn, deployment.name)
            ):
                deployment.settle(time.monotonic())
                return deployment
        raise ResourceNotFoundException(f"Custom model deployment {identifier} not found")

    def get_deployment(self, account_id: str, region: str, identifier: str) -> dict[str, Any]:
        with self._lock:
            return self._deployment(identifier, account_id, region).to_dict()

    def update_deployment(
        self, account_id: str, region: str, identifier: str, model_arn: str
    ) -> str:
        with self._lock:
            deployment = self._deployment(identifier, account_id, region)
            if deployment.status != "Active" or deployment.update_status == "Updating":
                raise ValidationException(
                    f"The deployment {deployment.name} cannot be updated while it is "
                    f"{deployment.update_status or deployment.status}"
                )
            if ":custom-model/" not in model_arn:
                raise ValidationException(f"{model_arn} is not a custom model ARN")
            deployment.update_model = model_arn
            deployment.update_status = "Updating"
            deployment.update_done_at = time.monotonic() + self.timing.of("deployment")
            deployment.update_fails = self._fail_deployment_updates > 0
            self._fail_deployment_updates = max(0, self._fail_deployment_updates - 1)
            deployment.last_updated_at = _now_iso()
            return deployment.arn

    # ------------------------------------------------------------------ the clock
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._advance_all()
            except Exception:
                LOG.exception("Bedrock simulator step failed")
            with self._changed:
                self._changed.wait(self.tick_s)

    def _advance_all(self) -> None:
        now = time.monotonic()
        work: list[Callable[[], None]] = []
        with self._lock:
            for job in list(self._jobs.values()):
                if job.status in TERMINAL_STATUSES or now < job.next_at:
                    continue
                work.extend(self._advance(job, now))
            work.extend(self._take_events())
            if work:
                self._changed.notify_all()
        for action in work:
            action()

    def _advance(self, job: SimJob, now: float) -> list[Callable[[], None]]:
        """One transition of ``job`` (under the lock); returns I/O to run outside it."""
        if job.status == "Stopping":
            if job.current_stage:
                job.stages[job.current_stage]["status"] = "Stopped"
            self._finish(job, "Stopped", None)
            return []
        stage = job.current_stage
        assert stage is not None
        if job.fail_at == stage:
            job.stages[stage]["status"] = "Failed"
            self._finish(job, "Failed", job.fail_message)
            return []
        if job.stall_at == stage:
            job.next_at = math.inf  # hung: only a stop, a failure or unstall moves it
            return []
        if stage == "validation":
            # Bedrock checks the data during validation: do it outside the lock, then decide.
            job.next_at = math.inf
            return [lambda: self._validate_data(job)]
        if stage == "dataProcessing":
            self._complete_stage(job, stage, now)
            self._enter_stage(job, "training", now)
            return []
        # training done: outputs first, then the stage and the job are Completed
        job.next_at = math.inf
        return [lambda: self._complete(job)]

    def _validate_data(self, job: SimJob) -> None:
        problem: str | None = None
        records = 0
        uris = [job.training_data_config["s3Uri"]]
        if job.validation_data_config:
            uris += [v["s3Uri"] for v in job.validation_data_config.get("validators", [])]
        for index, uri in enumerate(uris):
            bucket, key = _split_s3(uri)
            try:
                obj = self._s3_client().get_object(Bucket=bucket, Key=key)
                if index == 0:
                    body = obj["Body"].read(64 * 1024 * 1024)
                    records = sum(1 for line in body.splitlines() if line.strip())
            except (ClientError, BotoCoreError) as exc:
                problem = (
                    f"Unable to access the data at {uri}: {exc}. Check that the object exists "
                    "and that the role can read it."
                )
                break
        with self._lock:
            now = time.monotonic()
            job.records = records
            if job.status != "InProgress":  # stopped meanwhile
                job.next_at = now
                return
            if problem:
                job.stages["validation"]["status"] = "Failed"
                self._finish(job, "Failed", problem)
            elif job.fail_at == "validation":
                job.stages["validation"]["status"] = "Failed"
                self._finish(job, "Failed", job.fail_message)
            else:
                self._complete_stage(job, "validation", now)
                self._enter_stage(job, "dataProcessing", now)
            self._changed.notify_all()

    def _complete(self, job: SimJob) -> None:
        with self._lock:
            if job.status != "InProgress":
                job.next_at = time.monotonic()
                return
            if self._losses:
                job.training_loss, job.validation_loss = self._losses.pop(0)
            else:
                seed = int(hashlib.sha256(job.job_id.encode()).hexdigest()[:8], 16)
                job.training_loss = round(0.25 + (seed % 200) / 1000, 4)
                job.validation_loss = round(job.training_loss + 0.04 + (seed % 50) / 1000, 4)
            if not job.validation_data_config:
                job.validation_loss = None
            model_id = _random_id()
            job.output_model_arn = f"arn:aws:bedrock:{job.region}:{job.account_id}:custom-model/{job.base_model_id}/{model_id}"
        try:
            self._write_metrics(job)
            self._create_custom_model(job)
        except Exception as exc:
            LOG.exception("simulated job %s could not write its outputs", job.job_name)
            with self._lock:
                job.stages["training"]["status"] = "Failed"
                job.output_model_arn = None
                self._finish(job, "Failed", f"Internal error writing the outputs: {exc}")
            return
        with self._lock:
            self._complete_stage(job, "training", time.monotonic())
            self._finish(job, "Completed", None)
            self._changed.notify_all()

    def _enter_stage(self, job: SimJob, stage: str, now: float) -> None:
        stamp = _now_iso()
        job.stages[stage] = {
            "status": "InProgress",
            "creationTime": stamp,
            "lastModifiedTime": stamp,
        }
        job.current_stage = stage
        job.last_modified_time = stamp
        job.next_at = now + self.timing.of(stage)
        job.history.append((now, stage, "InProgress"))
        self._notify(job, stage, "InProgress")

    def _complete_stage(self, job: SimJob, stage: str, now: float) -> None:
        job.stages[stage]["status"] = "Completed"
        job.stages[stage]["lastModifiedTime"] = _now_iso()
        job.history.append((now, stage, "Completed"))
        self._notify(job, stage, "Completed")

    def _finish(self, job: SimJob, status: str, message: str | None) -> None:
        stamp = _now_iso()
        job.status = status
        job.failure_message = message
        job.last_modified_time = stamp
        job.end_time = stamp
        job.next_at = math.inf
        job.current_stage = None
        job.history.append((time.monotonic(), "job", status))
        self._notify(job, "job", status)
        self._pending_event(job)

    def _notify(self, job: SimJob, what: str, status: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(job, what, status)
            except Exception:
                LOG.exception("simulator listener failed")

    # ------------------------------------------------------------------ outputs
    def _s3_client(self) -> Any:
        return self._client("s3")

    def _write_metrics(self, job: SimJob) -> None:
        epochs = max(1, int(float(job.hyper_parameters.get("epochCount", "2") or 2)))
        steps_per_epoch = max(1, min(10, job.records or 10))
        final = job.training_loss or 0.3
        rows = ["step_number,epoch_number,training_loss,perplexity"]
        total = epochs * steps_per_epoch
        for step in range(total):
            loss = final + (2.6 - final) * math.exp(-3.0 * step / max(1, total - 1))
            if step == total - 1:
                loss = final
            rows.append(f"{step},{step // steps_per_epoch},{loss:.4f},{math.exp(loss):.4f}")
        bucket, prefix = _split_s3(job.output_prefix)
        s3 = self._s3_client()
        s3.put_object(
            Bucket=bucket,
            Key=f"{prefix}training_artifacts/step_wise_training_metrics.csv",
            Body=("\n".join(rows) + "\n").encode(),
        )
        if job.validation_loss is not None:
            vrows = ["step_number,epoch_number,validation_loss,perplexity"]
            for epoch in range(epochs):
                loss = job.validation_loss + 0.4 * (epochs - 1 - epoch) / max(1, epochs)
                step = (epoch + 1) * steps_per_epoch - 1
                vrows.append(f"{step},{epoch},{loss:.4f},{math.exp(loss):.4f}")
            s3.put_object(
                Bucket=bucket,
                Key=f"{prefix}validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
                Body=("\n".join(vrows) + "\n").encode(),
            )

    def _create_custom_model(self, job: SimJob) -> None:
        from moto.bedrock.models import CustomModel, bedrock_backends

        backend = bedrock_backends[job.account_id][job.region]
        model = CustomModel(
            job.custom_model_name,
            job.job_name,
            job.job_arn,
            job.base_model_arn,
            job.hyper_parameters,
            job.output_data_config,
            job.training_data_config,
            {"trainingLoss": job.training_loss or 0.0},
            job.base_model_id,
            job.region,
            job.account_id,
            job.customization_type,
            job.custom_model_kms_key_id,
            job.validation_data_config,
            [{"validationLoss": job.validation_loss}] if job.validation_loss is not None else None,
        )
        assert job.output_model_arn is not None
        model.model_arn = job.output_model_arn
        backend.custom_models[job.custom_model_name] = model
        if job.custom_model_tags:
            backend.tag_resource(model.model_arn, job.custom_model_tags)

    # ------------------------------------------------------------------ events
    def _pending_event(self, job: SimJob) -> None:
        """Queue the state-change event for the current status (under the lock)."""
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": EVENT_DETAIL_TYPE,
            "source": EVENT_SOURCE,
            "account": job.account_id,
            "time": _now_iso().split(".")[0] + "Z",
            "region": job.region,
            "resources": [job.job_arn],
            "detail": job.event_detail(),
        }
        self._outbox.append((job.job_name, job.status, event))

    def _take_events(self) -> list[Callable[[], None]]:
        """Apply drop / hold / duplicate to queued events (under the lock)."""
        outbox, self._outbox = self._outbox, []
        actions: list[Callable[[], None]] = []
        for job_name, status, event in outbox:
            dropped = any(
                (sub is None or sub in job_name) and status in statuses
                for sub, statuses in self._drops
            )
            self.events.append(SimEvent(event["id"], job_name, status, time.time(), dropped, event))
            if dropped:
                continue
            batch = [event]
            if self._out_of_order and status == "InProgress":
                self._held[job_name] = event
                continue
            if status in TERMINAL_STATUSES and job_name in self._held:
                batch.append(self._held.pop(job_name))
            for item in batch:
                copies = 2 if self._duplicate else 1
                actions.extend([functools.partial(self._emit, item)] * copies)
        return actions

    def _emit(self, event: Any) -> None:
        """Through moto's events backend: every rule on the default bus sees it."""
        from moto.events.models import events_backends

        backend = events_backends[event["account"]][event["region"]]
        bus = backend.event_buses.get("default")
        if bus is None:
            return
        for rule in list(bus.rules.values()):
            try:
                rule.send_to_targets(copy.deepcopy(event))
            except Exception:
                LOG.exception("rule %s: could not deliver the Bedrock event", rule.name)


def _ts(value: str) -> float:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
