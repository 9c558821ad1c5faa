"""``/models/{family}/compare`` and ``/models/{family}/aliases/{alias}``: compare two
versions; read, set (promote), roll back an alias and read its history. Who and why are
recorded: the caller's IAM ARN and the request's ``reason``."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from bedrock_tuner.api.context import caller_of, new_router
from bedrock_tuner.api.models import AliasBody, RollbackBody
from bedrock_tuner.deps import default_deps
from bedrock_tuner.registry import aliases

router = new_router()


@router.get(
    "/models/<family>/compare",
    summary="Compare two versions: metrics (with deltas), dataset, hyperparameters, model",
    tags=["models"],
)
def compare(
    family: str,
    a: Annotated[int, Query(ge=1, description="a version")],
    b: Annotated[int, Query(ge=1, description="another version")],
) -> dict[str, Any]:
    comparison = aliases.compare_versions(default_deps(), family, a, b)
    return comparison.model_dump(by_alias=True, mode="json")


@router.get(
    "/models/<family>/aliases/<alias>",
    summary="Get an alias: the version it points at, the ARN to call, who set it and why",
    tags=["models"],
)
def get_alias(family: str, alias: str) -> dict[str, Any]:
    return aliases.get_alias(default_deps(), family, alias).public()


@router.put(
    "/models/<family>/aliases/<alias>",
    summary="Set an alias (promote a version); the caller and the reason are recorded",
    tags=["models"],
)
def set_alias(family: str, alias: str, body: AliasBody) -> dict[str, Any]:
    change = aliases.promote(
        default_deps(),
        family,
        alias,
        body.version,
        by=caller_of(router.current_event),
        reason=body.reason,
    )
    return change.model_dump(by_alias=True, mode="json")


@router.post(
    "/models/<family>/aliases/<alias>/rollback",
    summary="Point an alias back at its previous version",
    tags=["models"],
)
def rollback(family: str, alias: str, body: RollbackBody | None = None) -> dict[str, Any]:
    change = aliases.rollback(
        default_deps(),
        family,
        alias,
        by=caller_of(router.current_event),
        reason=body.reason if body else None,
    )
    return change.model_dump(by_alias=True, mode="json")


@router.get(
    "/models/<family>/aliases/<alias>/history",
    summary="Every change of an alias (failed attempts included), oldest first",
    tags=["models"],
)
def history(family: str, alias: str) -> list[dict[str, Any]]:
    changes = aliases.alias_history(default_deps(), family, alias)
    return [change.model_dump(by_alias=True, mode="json") for change in changes]
