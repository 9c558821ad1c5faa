"""validate_dataset — state machine task "Validate dataset" (input: the execution state).

Streams the dataset from S3 through the validator, writes the report next to it, splits
it when the spec asks, and decides the budget. Output: ``$.validation``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ExecutionState
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.validation import validate_run


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = parse_event(event, ExecutionState)
    return validate_run(state, default_deps()).wire()
