"""Model versions: version N of a family, with the full lineage of the custom model.

A family (``model_family`` in the spec, default the pipeline name) numbers its versions
1, 2, 3 … without gaps; the number is allocated atomically when a job's model is
registered (see :class:`bedrock_tuner.aws.dynamo.DynamoStateStore.register_version` and
docs/table-design.md). Registering the same job twice returns the version it already got.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.registry.metrics import MetricsSummary

__all__ = ["VERSION_SK_PREFIX", "DatasetLineage", "ModelVersion", "version_sort_key"]

VERSION_SK_PREFIX = "VERSION#"


def version_sort_key(version: int) -> str:
    """``VERSION#00000042``: zero-padded so versions sort as text."""
    return f"{VERSION_SK_PREFIX}{version:08d}"


_CAMEL = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)


class DatasetLineage(BaseModel):
    """The data a version was trained on, down to the object version and its hash."""

    model_config = _CAMEL

    uri: str
    version_id: str | None = None
    etag: str | None = None
    sha256: str | None = None
    records: int | None = None
    validation_records: int | None = None
    training_tokens: int | None = None
    report_uri: str | None = None
    training_uri: str | None = None  # what the job read (the split file when split)
    validation_uri: str | None = None


class ModelVersion(BaseModel):
    """Version ``version`` of ``family``: the custom model and where it came from.

    Stored with camelCase attribute names (:meth:`item`)."""

    model_config = _CAMEL

    family: str
    version: int
    model_arn: str  # the custom model (Bedrock's outputModelArn)
    custom_model_name: str | None = None
    pipeline: str
    run_id: str
    execution_arn: str | None = None
    job_arn: str
    job_name: str | None = None
    base_model: str
    parent_model_arn: str | None = None  # a custom model this one was trained from
    customization_type: str
    hyperparameters: dict[str, str] = Field(default_factory=dict)  # effective values
    dataset: DatasetLineage
    spec: dict[str, Any] = Field(default_factory=dict)  # the snapshot the run used
    metrics: MetricsSummary = MetricsSummary()
    cost_usd: float | None = None  # the estimate the run was approved with
    registered_at: str
    run_started_at: str | None = None

    def item(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)

    def summary(self) -> dict[str, Any]:
        """``register_model_version``'s output (``$.version``, docs/pipeline.md)."""
        return {
            "family": self.family,
            "version": self.version,
            "modelArn": self.model_arn,
            "metrics": {
                "trainingLoss": self.metrics.training_loss,
                "validationLoss": self.metrics.validation_loss,
                "minValidationLoss": self.metrics.min_validation_loss,
                "overfitting": self.metrics.overfitting,
                "overfittingReason": self.metrics.overfitting_reason,
            },
        }
