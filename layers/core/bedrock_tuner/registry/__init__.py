"""The model registry: versions of a model family, their metrics and lineage."""
