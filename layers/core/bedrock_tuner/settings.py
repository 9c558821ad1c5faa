"""The functions' settings: one model, read from the environment once.

Every function gets the ``BT_*`` variables of docs/pipeline.md ("Environment") from the
template's Globals; only ``OnDatasetUploadedFunction`` gets ``BT_STATE_MACHINE_ARN`` and
only ``NotifySlackFunction`` gets ``BT_SLACK_SECRET_ARN``. Logic never reads
``os.environ``: it takes a :class:`Settings` (handlers call :func:`get_settings`).
"""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bedrock_tuner.errors import ConfigurationError

__all__ = ["Settings", "get_settings", "reset_settings"]

CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """The ``BT_*`` environment of a function (plus the region, for console links)."""

    model_config = SettingsConfigDict(env_prefix="BT_", extra="ignore", frozen=True)

    data_bucket: str
    table_name: str
    idempotency_table: str
    topic_arn: str
    bedrock_role_arn: str
    kms_key_arn: str | None = None
    job_subnet_ids: CommaList = ()
    job_security_group_ids: CommaList = ()
    # The RFT grader functions the stack lets Bedrock invoke (RftGraderFunctionArns).
    rft_grader_arns: CommaList = ()
    # key prefixes of the data bucket every pipeline may read validation data from
    # (``SharedDataPrefixes``); each pipeline may always read its own ``datasets/<name>/``
    shared_data_prefixes: CommaList = ()
    auto_approve_usd: float = Field(default=25.0, ge=0)
    max_concurrent_jobs: int = Field(default=2, ge=1)
    state_machine_arn: str | None = None
    slack_secret_arn: str | None = None
    stack_name: str | None = None
    cli_target: str | None = None  # how printed commands find the stack (overrides stack_name)
    region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("BT_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )

    @field_validator(
        "job_subnet_ids",
        "job_security_group_ids",
        "rft_grader_arns",
        "shared_data_prefixes",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("shared_data_prefixes")
    @classmethod
    def _shared_prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        prefixes = tuple(
            text if text.endswith("/") else text + "/"
            for text in (item.strip().lstrip("/") for item in value)
            if text
        )
        for prefix in prefixes:
            parts = prefix.split("/")[:-1]
            if len(parts) < 2 or parts[0] != "datasets" or any(p in ("", ".", "..") for p in parts):
                raise ValueError(
                    f"{prefix!r} is not a folder under datasets/ (e.g. datasets/shared-eval/): "
                    "the stack's functions and Bedrock read validation data only under datasets/"
                )
        return prefixes

    @field_validator(
        "kms_key_arn",
        "state_machine_arn",
        "slack_secret_arn",
        "stack_name",
        "cli_target",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def vpc_configured(self) -> bool:
        """Jobs run in the VPC only when both subnets and security groups are given."""
        return bool(self.job_subnet_ids and self.job_security_group_ids)

    @property
    def cli_where(self) -> str:
        """How a ``bedrock-tuner`` command printed in a message finds this stack:
        ``--stack NAME --region R`` (``BT_STACK_NAME``), or ``BT_CLI_TARGET`` when set (the
        local cloud sets ``--local``), else nothing (the CLI's own default)."""
        if self.cli_target:
            return self.cli_target
        if self.stack_name:
            return f"--stack {self.stack_name} --region {self.region}"
        return ""

    def require_state_machine_arn(self) -> str:
        if not self.state_machine_arn:
            raise ConfigurationError(
                "BT_STATE_MACHINE_ARN is not set",
                fix="only OnDatasetUploadedFunction starts executions; give it the variable",
            )
        return self.state_machine_arn

    def require_slack_secret_arn(self) -> str:
        if not self.slack_secret_arn:
            raise ConfigurationError(
                "BT_SLACK_SECRET_ARN is not set",
                fix="set the SlackWebhookSecretArn parameter of the stack",
            )
        return self.slack_secret_arn


@functools.cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use and then kept.

    Raises
    ------
    ConfigurationError
        A variable is missing or malformed; the message names every one.
    """
    try:
        return Settings()  # the values come from the environment
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "BT_" + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError(
            "the function's environment is incomplete: " + "; ".join(problems),
            fix="deploy with template.yaml (its Globals set every BT_* variable)",
        ) from exc


def reset_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_settings.cache_clear()
