"""What the domain needs from AWS, as Protocols: the types of :class:`~bedrock_tuner.deps.Deps`.

The boto3 adapters in ``aws/`` satisfy them (mypy checks it where ``Deps`` builds them);
a domain test may hand ``Deps`` an in-memory fake instead. Each Protocol lists the
operations the domain calls, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from bedrock_tuner.models.sources import DataSource, ObjectHead

__all__ = [
    "CustomizationJobs",
    "ObjectStore",
    "ParameterStore",
    "Publisher",
    "SecretStore",
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
