"""Request and response bodies of the API (camelCase on the wire)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.pipeline.spec import SPEC_MAX_BYTES

__all__ = [
    "AliasBody",
    "ApprovalBody",
    "ApprovalView",
    "EstimateBody",
    "PipelineBody",
    "PipelineView",
    "RollbackBody",
    "RunStartBody",
    "StageEntry",
    "StopBody",
    "TimelineEntry",
    "ValidateBody",
]


class Wire(BaseModel):
    """camelCase JSON; unknown request fields are refused."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="forbid")


# ----------------------------------------------------------------------------- pipelines
class PipelineBody(Wire):
    spec: str = Field(
        min_length=1,
        max_length=SPEC_MAX_BYTES,
        description="the pipeline spec as YAML text (docs/pipeline.md)",
        examples=["base_model: amazon.titan-text-express-v1:0:8k\n"],
    )


class PipelineView(Wire):
    name: str
    key: str = Field(description="the spec's key in the data bucket")
    text: str | None = Field(default=None, description="the spec as stored")
    spec: dict[str, Any] | None = Field(default=None, description="the parsed spec")
    error: dict[str, Any] | None = Field(
        default=None, description="the spec's problems, when the stored text is invalid"
    )


# ----------------------------------------------------------------------------- runs
class RunStartBody(Wire):
    dataset_uri: str = Field(
        pattern=r"^s3://[^/]+/datasets/.+\.jsonl$",
        description="`s3://<data bucket>/datasets/<pipeline>/<file>.jsonl`",
    )
    pipeline: str | None = Field(
        default=None, description="when given, must be the folder the dataset is in"
    )
    version_id: str | None = Field(default=None, description="an object version (default: current)")


class StopBody(Wire):
    reason: str | None = Field(default=None, max_length=2000)


class StageEntry(Wire):
    name: str
    status: str | None = None
    started_at: str | None = None
    updated_at: str | None = None


class TimelineEntry(Wire):
    name: str
    kind: Literal["state", "step", "job"]
    status: str
    entered_at: str | None = None
    exited_at: str | None = None
    detail: str | None = None
    stages: list[StageEntry] = Field(default_factory=list)


# ----------------------------------------------------------------------------- datasets
class ValidateBody(Wire):
    uri: str = Field(pattern=r"^s3://[^/]+/.+", description="the dataset: s3://bucket/key")
    model: str = Field(min_length=1, description="base model id (catalog)")
    customization_type: str | None = None
    validation_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+/.+")
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    write_report: bool = Field(
        default=False, description="also store the report next to the data (`<key>.report.json`)"
    )


# ----------------------------------------------------------------------------- approvals
class ApprovalBody(Wire):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000)


class ApprovalView(Wire):
    run_id: str
    pipeline: str | None = None
    status: str
    cost_usd: float | None = None
    requested_at: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    reason: str | None = Field(default=None, description="the decision's reason")
    why: str | None = Field(default=None, description="why the run waits (the budget decision)")


# ----------------------------------------------------------------------------- estimate
class BreakEvenBody(Wire):
    saved_prompt_tokens: int = Field(ge=0)
    requests_per_month: int = Field(ge=0)
    input_price_per_1k_tokens: float = Field(ge=0, alias="inputPricePer1kTokens")


class EstimateBody(Wire):
    model: str = Field(min_length=1)
    training_tokens: int = Field(ge=0)
    epochs: int | None = Field(
        default=None, ge=1, le=100, description="default: the model's default epochCount"
    )
    break_even: BreakEvenBody | None = None


# ----------------------------------------------------------------------------- aliases
class AliasBody(Wire):
    version: int = Field(ge=1, description="the version to point the alias at")
    reason: str | None = Field(default=None, max_length=2000, description="why (recorded)")


class RollbackBody(Wire):
    reason: str | None = Field(default=None, max_length=2000, description="why (recorded)")
