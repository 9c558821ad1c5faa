"""Tenancy: what a pipeline's spec may reach (docs/pipeline.md, "Tenancy").

- **Its model family.** A family belongs to the pipeline that claimed it first — its first
  checked spec or its first registration — recorded as ``owner`` on the family item
  (``FAMILIES/FAMILY#<family>``). The owner's spec may share it: ``family_writers: [p, …]``
  is stored on the item as ``writers`` whenever the owner's spec is checked (a shorter list
  takes the share back). Any other pipeline naming the family is a spec error.
- **Its data.** ``validation.file`` must be under ``datasets/<pipeline>/`` of the data bucket
  or under a prefix of the stack's ``SharedDataPrefixes``; datasets are under the pipeline's
  own prefix by construction (the prefix names the pipeline).

:func:`check_spec_access` runs at spec time — when a spec is uploaded or PUT, and when a
dataset arrives, before any run starts. Registration and auto-promotion check the family
again in their conditional writes (the versions and aliases stores, ``aws/store/``), so a
spec changed mid-run cannot slip through.
"""

from __future__ import annotations

from bedrock_tuner.deps import Deps
from bedrock_tuner.models.versions import FamilyInfo
from bedrock_tuner.pipeline.spec import (
    PIPELINES_PREFIX,
    PipelineSpec,
    data_location_problems,
    family_owner_problem,
    normalise_prefix,
    spec_problems_error,
)

__all__ = ["check_spec_access", "family_problems", "shared_prefix_of"]


def family_problems(
    spec: PipelineSpec, pipeline: str, found: FamilyInfo | None
) -> list[tuple[str, str, str]]:
    """``(path, message, fix)`` when ``pipeline``'s spec may not use its family (``found``: the
    family as stored, ``None`` when the family is new)."""
    family = spec.family(pipeline)
    owner = found.owner if found is not None else None
    if not owner or owner == pipeline:
        return []
    problems: list[tuple[str, str, str]] = []
    if not found or not found.may_write(pipeline):
        message, fix = family_owner_problem(family, owner, pipeline)
        problems.append(("model_family", message, fix))
    if spec.family_writers:
        problems.append(
            (
                "family_writers",
                f"family_writers shares the family, and {family} belongs to pipeline {owner}",
                f"remove family_writers here; the owner's spec ({PIPELINES_PREFIX}{owner}.yaml) "
                "lists who may write to the family",
            )
        )
    return problems


def check_spec_access(spec: PipelineSpec, pipeline: str, deps: Deps, *, claim: bool) -> None:
    """Refuse a spec that reaches beyond its pipeline (see the module docstring).

    With ``claim``, a family nobody owns yet becomes ``pipeline``'s, and the owner's
    ``family_writers`` are stored on the family item.

    Raises
    ------
    SpecError
        Every problem, with its path (``validation.file``, ``model_family``,
        ``family_writers``) and the fix.
    """
    label = f"{PIPELINES_PREFIX}{pipeline}.yaml"
    settings = deps.settings
    family = spec.family(pipeline)
    problems = data_location_problems(
        spec,
        pipeline,
        data_bucket=settings.data_bucket,
        shared_prefixes=settings.shared_data_prefixes,
    )
    problems += family_problems(spec, pipeline, deps.versions.get_family(family))
    if not problems and claim:
        claimed = deps.versions.claim_family(
            family, pipeline, at=deps.now(), writers=spec.family_writers
        )
        problems = family_problems(spec, pipeline, claimed)  # another pipeline came first
    if problems:
        raise spec_problems_error(label, problems)


def shared_prefix_of(key: str, shared_prefixes: tuple[str, ...]) -> str | None:
    """The stack's shared prefix ``key`` is under (shared data, not a pipeline's), if any."""
    for prefix in map(normalise_prefix, shared_prefixes):
        if prefix and key.startswith(prefix):
            return prefix
    return None
