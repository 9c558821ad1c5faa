"""Model versions and families: version N of a family with its lineage, and the family item.

Items: ``MODEL#<family>/VERSION#<nnnnnnnn>`` (:class:`ModelVersion`) and
``FAMILIES/FAMILY#<family>`` (:class:`FamilyInfo`), docs/table-design.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.models.keys import PIPELINES_PREFIX

__all__ = [
    "DatasetLineage",
    "FamilyInfo",
    "MetricsSummary",
    "ModelVersion",
    "family_owner_problem",
]


class MetricsSummary(BaseModel):
    """What the registry keeps of a job's metrics (camelCase when stored)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)

    training_loss: float | None = None  # final
    validation_loss: float | None = None  # final
    min_validation_loss: float | None = None
    training_points: int = 0
    validation_points: int = 0
    overfitting: bool = False
    overfitting_reason: str | None = None


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


class FamilyInfo(BaseModel):
    """The family item (``PK=FAMILIES, SK=FAMILY#<family>``): who owns it, who else may
    write to it, and the deployment its aliases are served through."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="ignore")

    family: str
    owner: str | None = None  # the pipeline that created it (docs/pipeline.md "Tenancy")
    writers: list[str] = []  # other pipelines its owner's spec shares it with (family_writers)
    deployment_arn: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def may_write(self, pipeline: str) -> bool:
        """Whether ``pipeline`` may register versions of, or promote within, the family:
        nobody owns it yet, ``pipeline`` owns it, or its owner lists ``pipeline``."""
        return not self.owner or self.owner == pipeline or pipeline in self.writers


def family_owner_problem(family: str, owner: str, pipeline: str) -> tuple[str, str]:
    """``(message, fix)`` when ``pipeline`` names ``family``, which ``owner`` owns and does
    not share with it."""
    return (
        f"model family {family} belongs to pipeline {owner}, which does not list {pipeline} "
        "in its family_writers",
        f"use a family of your own (remove model_family, or name a new one), or ask the "
        f"owners of {owner} to add `family_writers: [{pipeline}]` to "
        f"{PIPELINES_PREFIX}{owner}.yaml",
    )
