"""Model versions: version N of a family, with the full lineage of the custom model.

A family (``model_family`` in the spec, default the pipeline name) numbers its versions
1, 2, 3 … without gaps; the number is allocated atomically when a job's model is
registered (the versions store's ``register``, ``aws/store/versions.py``, and
docs/table-design.md). Registering the same job twice returns the version it already got.
The records are :mod:`bedrock_tuner.models.versions`.
"""

from __future__ import annotations

from bedrock_tuner.models.versions import DatasetLineage, ModelVersion

__all__ = ["DatasetLineage", "ModelVersion"]
