"""Logger, Tracer and Metrics for every function: one module, imported by handlers.

Powertools reads its own environment (``POWERTOOLS_SERVICE_NAME``,
``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL``) from the template's Globals.
Nothing here calls AWS at import: the Tracer only patches boto3 inside Lambda.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

__all__ = ["MetricUnit", "correlation_paths", "count", "logger", "metrics", "tracer"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()

DEFAULT_NAMESPACE = "BedrockTuner"


def count(name: str, value: float = 1) -> None:
    """Add a count metric (flushed by ``metrics.log_metrics`` at the end of the invocation)."""
    if not metrics.namespace:
        metrics.namespace = DEFAULT_NAMESPACE
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
