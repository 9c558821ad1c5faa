"""Parser models for the events that trigger the pipeline's functions (parse at the edge).

They extend Powertools' models: ``EventBridgeModel`` with a typed ``detail`` for S3
"Object Created" and for Bedrock "Model Customization Job State Change"; the schedule's
"Scheduled Event"; ``SnsModel`` for the Slack subscription. State-machine payloads are in
:mod:`bedrock_tuner.models.payloads`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from aws_lambda_powertools.utilities.parser.models import (
    EventBridgeModel,
    S3EventNotificationEventBridgeDetailModel,
    S3EventNotificationEventBridgeModel,
    SnsModel,
)
from pydantic import BaseModel, ConfigDict, Field

from bedrock_tuner.errors import InvalidEventError

__all__ = [
    "BEDROCK_DETAIL_TYPE",
    "BedrockJobStateChangeDetail",
    "BedrockJobStateChangeEvent",
    "S3ObjectCreatedEvent",
    "ScheduledEvent",
    "SnsEvent",
    "parse_event",
]

BEDROCK_DETAIL_TYPE = "Model Customization Job State Change"
ModelT = TypeVar("ModelT", bound=BaseModel)


class S3ObjectCreatedEvent(S3EventNotificationEventBridgeModel):
    """S3 → EventBridge "Object Created" (the bucket has EventBridge notifications on)."""

    source: Literal["aws.s3"]
    detail_type: Literal["Object Created"] = Field(alias="detail-type")
    detail: S3EventNotificationEventBridgeDetailModel


class BedrockJobStateChangeDetail(BaseModel):
    """The detail of a Bedrock job state-change event (events-ref-bedrock.html)."""

    model_config = ConfigDict(extra="allow")

    job_name: str | None = Field(default=None, alias="jobName")
    job_arn: str = Field(alias="jobArn")
    job_status: str = Field(alias="jobStatus")
    failure_message: str | None = Field(default=None, alias="failureMessage")
    output_model_name: str | None = Field(default=None, alias="outputModelName")
    output_model_arn: str | None = Field(default=None, alias="outputModelArn")
    creation_time: str | None = Field(default=None, alias="creationTime")
    last_modified_time: str | None = Field(default=None, alias="lastModifiedTime")
    end_time: str | None = Field(default=None, alias="endTime")


class BedrockJobStateChangeEvent(EventBridgeModel):
    source: Literal["aws.bedrock"]
    detail_type: Literal["Model Customization Job State Change"] = Field(alias="detail-type")
    detail: BedrockJobStateChangeDetail


class ScheduledEvent(EventBridgeModel):
    """An EventBridge schedule (``rate(15 minutes)``): the detail is empty."""

    detail: dict[str, Any]


SnsEvent = SnsModel


def parse_event(event: Any, model: type[ModelT]) -> ModelT:
    """Parse ``event`` with Powertools' parser; a bad event is an :class:`InvalidEventError`
    naming every field that does not fit."""
    from aws_lambda_powertools.utilities.parser import parse
    from pydantic import ValidationError

    if not isinstance(event, dict):
        raise InvalidEventError(
            f"expected a JSON object for {model.__name__}, got {type(event).__name__}"
        )
    try:
        return parse(event=event, model=model)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(event)'}: {error['msg']}"
            for error in exc.errors()[:10]
        )
        raise InvalidEventError(
            f"not a valid {model.__name__}: {problems}",
            fix="send the event shape documented in docs/pipeline.md (samples in events/)",
        ) from None
