"""``/models``: model families and their versions (lineage and metrics)."""

from __future__ import annotations

from typing import Any

from bedrock_tuner.api.context import new_router
from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import ModelNotFoundError
from bedrock_tuner.registry.aliases import list_families as registry_families

router = new_router()


@router.get("/models", summary="List model families", tags=["models"])
def list_families() -> list[dict[str, Any]]:
    families = registry_families(default_deps())
    return [family.model_dump(by_alias=True, mode="json") for family in families]


@router.get(
    "/models/<family>/versions",
    summary="List a family's versions (oldest first)",
    tags=["models"],
)
def list_versions(family: str) -> list[dict[str, Any]]:
    deps = default_deps()
    versions = deps.versions.of_family(family)
    if not versions:
        raise ModelNotFoundError(
            f"there is no model family {family}",
            fix="list the families: `bedrock-tuner models list` (GET /models)",
        )
    targets = deps.aliases.targets(family)
    return [
        {
            **version.model_dump(by_alias=True, mode="json"),
            "aliases": sorted(a for a, v in targets.items() if v == version.version),
        }
        for version in versions
    ]


@router.get(
    "/models/<family>/versions/<version>",
    summary="Get a version with its full lineage and metrics",
    tags=["models"],
)
def get_version(family: str, version: int) -> dict[str, Any]:
    found = default_deps().versions.get(family, version)
    if found is None:
        raise ModelNotFoundError(
            f"{family} has no version {version}",
            fix=f"list the versions: `bedrock-tuner versions list {family}` "
            f"(GET /models/{family}/versions)",
        )
    return found.model_dump(by_alias=True, mode="json")
