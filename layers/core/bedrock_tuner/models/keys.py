"""The bucket's key layout: where pipeline specs and datasets live (docs/pipeline.md).

``pipelines/<name>.yaml`` (or ``.yml``) holds a pipeline's spec; an object under
``datasets/<name>/`` ending in ``.jsonl`` starts a run of pipeline ``<name>``.
"""

from __future__ import annotations

__all__ = [
    "DATASETS_PREFIX",
    "PIPELINES_PREFIX",
    "pipeline_name_for_key",
    "pipeline_name_for_spec_key",
    "spec_keys_for",
]

DATASETS_PREFIX = "datasets/"
PIPELINES_PREFIX = "pipelines/"


def spec_keys_for(pipeline: str) -> tuple[str, str]:
    """Where the spec of ``pipeline`` may live (``.yaml`` first, then ``.yml``)."""
    return (f"{PIPELINES_PREFIX}{pipeline}.yaml", f"{PIPELINES_PREFIX}{pipeline}.yml")


def pipeline_name_for_spec_key(key: str) -> str | None:
    """The pipeline a spec key names (``pipelines/<name>.yaml`` or ``.yml``), else ``None``."""
    if not key.startswith(PIPELINES_PREFIX):
        return None
    name = key[len(PIPELINES_PREFIX) :]
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix) and "/" not in name:
            return name.removesuffix(suffix) or None
    return None


def pipeline_name_for_key(key: str) -> str | None:
    """The pipeline a dataset key belongs to, or ``None`` if the key starts no run.

    Only ``datasets/<name>/<...>.jsonl`` starts a run: not reports (``.report.json``),
    not other files, not keys directly under ``datasets/``.
    """
    if not key.startswith(DATASETS_PREFIX) or not key.endswith(".jsonl"):
        return None
    name, sep, rest = key[len(DATASETS_PREFIX) :].partition("/")
    if not sep or not name or not rest or rest.endswith("/") or rest.split("/")[-1] == ".jsonl":
        return None
    return name
