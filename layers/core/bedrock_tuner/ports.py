"""What the domain needs from AWS, as Protocols: the types of :class:`~bedrock_tuner.deps.Deps`.

The boto3 adapters in ``aws/`` satisfy them (mypy checks it where ``Deps`` builds them);
a domain test may hand ``Deps`` an in-memory fake instead. Each Protocol lists the
operations the domain calls, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from bedrock_tuner.models.aliases import AliasChange, AliasState
from bedrock_tuner.models.approvals import ApprovalRecord
from bedrock_tuner.models.jobs import JobRecord, JobState, JobUpdate
from bedrock_tuner.models.runs import Run, RunStatus, Step
from bedrock_tuner.models.sources import DataSource, ObjectHead
from bedrock_tuner.models.versions import FamilyInfo, ModelVersion

__all__ = [
    "AliasStore",
    "ApprovalStore",
    "CustomizationJobs",
    "JobStore",
    "ObjectStore",
    "ParameterStore",
    "Publisher",
    "RunStore",
    "SecretStore",
    "VersionStore",
    "Workflow",
]


class ObjectStore(Protocol):
    """The data bucket: datasets, specs, reports (``aws/s3.py`` :class:`S3Objects`)."""

    def source(self, uri: str, *, version_id: str | None = None) -> DataSource: ...

    def head(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> ObjectHead | None: ...

    def get_text(self, bucket: str, key: str, *, max_bytes: int | None = None) -> str | None: ...

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/json"
    ) -> str | None: ...

    def copy_version(
        self, bucket: str, key: str, version_id: str | None, dest_bucket: str, dest_key: str
    ) -> str | None: ...

    def upload_file(self, path: str, bucket: str, key: str) -> None: ...

    def delete(self, bucket: str, key: str) -> None: ...

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]: ...


class CustomizationJobs(Protocol):
    """Bedrock's customization jobs and custom model deployments (``aws/bedrock.py``)."""

    def create_job(self, request: dict[str, Any]) -> str: ...

    def get_job(self, identifier: str, *, job_name: str | None = None) -> dict[str, Any] | None: ...

    def list_jobs_in_progress(self) -> list[dict[str, Any]]: ...

    def stop_job(self, identifier: str) -> None: ...

    def update_custom_model_deployment(self, deployment_arn: str, model_arn: str) -> str: ...

    def get_custom_model_deployment(self, deployment_arn: str) -> dict[str, Any] | None: ...


class Workflow(Protocol):
    """The state machine's executions and task tokens (``aws/sfn.py``)."""

    def start_execution(
        self, state_machine_arn: str, name: str, payload: dict[str, Any]
    ) -> tuple[str, bool]: ...

    def execution_status(self, execution_arn: str) -> str | None: ...

    def describe(self, execution_arn: str) -> dict[str, Any] | None: ...

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]: ...

    def stop_execution(self, execution_arn: str, *, error: str, cause: str) -> bool: ...

    def send_task_success(self, token: str, output: dict[str, Any]) -> bool: ...

    def send_task_failure(self, token: str, *, error: str, cause: str) -> bool: ...

    def send_task_heartbeat(self, token: str) -> bool: ...


class Publisher(Protocol):
    """The notification topic (``aws/sns.py``)."""

    def publish(
        self,
        topic_arn: str,
        *,
        message: Mapping[str, Any],
        subject: str,
        attributes: Mapping[str, str | Sequence[str]],
        email_text: str | None = None,
    ) -> str: ...

    def subscribe_email(self, topic_arn: str, email: str) -> str: ...


class SecretStore(Protocol):
    """Secrets Manager: the Slack webhook (``aws/secrets.py``)."""

    def webhook_url(self, secret_arn: str) -> str: ...


class ParameterStore(Protocol):
    """SSM parameters applications read an alias from (``aws/ssm.py``)."""

    def put(self, name: str, value: str, *, description: str | None = None) -> None: ...

    def get(self, name: str) -> str | None: ...

    def delete(self, name: str) -> None: ...


# --------------------------------------------------------------------------- the state table
# One store per aggregate (``aws/store/``), each over the same table (docs/table-design.md).


class RunStore(Protocol):
    """Runs: their status, timeline, retries, one notification per outcome."""

    def create(self, run: Run) -> tuple[Run, bool]: ...

    def get(self, run_id: str) -> Run | None: ...

    def require(self, run_id: str) -> Run: ...

    def by_pipeline(self, pipeline: str, *, limit: int = 50) -> list[Run]: ...

    def active(self) -> list[Run]: ...

    def claim_retry(self, origin_id: str, *, latest_id: str, new_id: str, attempt: int) -> bool: ...

    def update(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        step: Step | None = None,
        fields: Mapping[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        reopen: bool = False,
    ) -> bool: ...

    def claim_notification(self, run_id: str, kind: str) -> str | None: ...

    def record_notification(self, run_id: str, kind: str, message_id: str) -> None: ...

    def release_notification(self, run_id: str, kind: str) -> None: ...


class ApprovalStore(Protocol):
    """Approvals of runs over budget, decided once."""

    def get(self, run_id: str) -> ApprovalRecord | None: ...

    def pending(self) -> list[ApprovalRecord]: ...

    def request(
        self,
        run_id: str,
        *,
        token: str,
        cost_usd: float | None,
        requested_at: str,
        pipeline: str,
        why: str | None = None,
    ) -> ApprovalRecord: ...

    def decide(
        self, run_id: str, *, approved: bool, by: str, reason: str | None, decided_at: str
    ) -> ApprovalRecord: ...

    def mark_delivered(self, run_id: str) -> None: ...

    def expire(self, run_id: str, *, only_pending: bool = False) -> bool: ...


class JobStore(Protocol):
    """Bedrock jobs as the pipeline follows them, and the job slots."""

    def get(self, job_arn: str) -> JobRecord | None: ...

    def inflight(self) -> list[JobRecord]: ...

    def ended(self) -> list[JobRecord]: ...

    def put(
        self,
        *,
        job_arn: str,
        job_name: str | None,
        run_id: str,
        started_at: str,
        status: str = ...,
    ) -> JobRecord: ...

    def attach_token(
        self, job_arn: str, *, token: str, execution_arn: str | None
    ) -> JobRecord | None: ...

    def apply_state(self, state: JobState, *, event_id: str | None) -> JobUpdate: ...

    def mark_resumed(self, job_arn: str, *, at: str, delivered: bool) -> None: ...

    def settle(self, job_arn: str, *, at: str, note: str) -> None: ...

    def mark_stop_requested(self, job_arn: str, *, at: str) -> None: ...

    def slot_holders(self) -> list[str]: ...

    def release_slot(self, holder: str) -> None: ...


class VersionStore(Protocol):
    """Model versions (gap-free per family, one per job) and the families."""

    def last_number(self, family: str) -> int: ...

    def get(self, family: str, version: int) -> ModelVersion | None: ...

    def of_family(self, family: str) -> list[ModelVersion]: ...

    def for_job(self, job_arn: str) -> ModelVersion | None: ...

    def register(
        self,
        family: str,
        job_arn: str,
        build: Callable[[int], ModelVersion],
        *,
        writer: str | None = None,
    ) -> tuple[ModelVersion, bool]: ...

    def get_family(self, family: str) -> FamilyInfo | None: ...

    def families(self) -> list[FamilyInfo]: ...

    def put_family(self, family: str, *, at: str, deployment_arn: str | None = None) -> None: ...

    def claim_family(
        self, family: str, pipeline: str, *, at: str, writers: tuple[str, ...] = ()
    ) -> FamilyInfo: ...

    def check_family_writer(self, family: str, pipeline: str) -> None: ...


class AliasStore(Protocol):
    """Aliases (target, revision, promotion lease) and their history."""

    def get(self, family: str, alias: str) -> AliasState: ...

    def targets(self, family: str) -> dict[str, int]: ...

    def history(self, family: str, alias: str) -> list[AliasChange]: ...

    def acquire_lease(
        self, family: str, alias: str, *, lease_id: str, now: int, expires: int
    ) -> AliasState: ...

    def release_lease(self, family: str, alias: str, lease_id: str) -> bool: ...

    def commit(
        self,
        family: str,
        alias: str,
        *,
        lease_id: str,
        expected_revision: int,
        fields: Mapping[str, Any],
        history: AliasChange,
        writer: str | None = None,
    ) -> None: ...

    def put_failed_attempt(self, change: AliasChange, *, lease_id: str) -> None: ...
