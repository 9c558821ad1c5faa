"""Aliases: named pointers (``production``, ``staging`` …) at a version of a model family.

Items: ``MODEL#<family>/ALIAS#<alias>`` (:class:`AliasState`: target, revision, lease) and
``MODEL#<family>/ALIAS#<alias>#<revision:08d>`` (:class:`AliasChange`: one per change or
failed attempt), docs/table-design.md; applications read the SSM parameter
:func:`parameter_name` (docs/registry.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["PARAMETER_PREFIX", "AliasChange", "AliasState", "Promotion", "parameter_name"]

PARAMETER_PREFIX = "/bedrock-tuner"

Promotion = Literal["promote", "rollback", "auto_promote"]
_CAMEL = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="ignore")


def parameter_name(family: str, alias: str) -> str:
    """``/bedrock-tuner/<family>/<alias>``: the SSM parameter applications read."""
    return f"{PARAMETER_PREFIX}/{family}/{alias}"


class AliasState(BaseModel):
    """Where an alias points now (``version`` ``None``: never set)."""

    model_config = _CAMEL

    family: str
    alias: str
    version: int | None = None
    previous_version: int | None = None
    model_arn: str | None = None
    target_arn: str | None = None  # what the SSM parameter holds
    previous_model_arn: str | None = None
    previous_target_arn: str | None = None
    revision: int = 0
    updated_at: str | None = None
    updated_by: str | None = None
    reason: str | None = None
    action: str | None = None
    lease_id: str | None = None
    lease_expires_at: int | None = None

    @property
    def parameter(self) -> str:
        return parameter_name(self.family, self.alias)

    def public(self) -> dict[str, Any]:
        """The JSON the API and CLI show (no lease internals)."""
        data = self.model_dump(by_alias=True, mode="json", exclude={"lease_id", "lease_expires_at"})
        data["parameter"] = self.parameter
        return data


class AliasChange(BaseModel):
    """One change (or attempted change) of an alias: a history item."""

    model_config = _CAMEL

    family: str
    alias: str
    version: int
    previous_version: int | None = None
    model_arn: str
    target_arn: str
    revision: int
    action: Promotion
    by: str
    reason: str | None = None
    at: str
    status: Literal["succeeded", "unchanged", "failed"] = "succeeded"
    error: str | None = None
    compensated: bool | None = None

    def item(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)
