"""start_customization_job — state machine task "Start customization job".

``CreateModelCustomizationJob`` with clientRequestToken = run id (a retry returns the same
job). Output ``$.job`` = ``{jobArn, jobName, customModelName, outputUri}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ExecutionState
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.training import start_job


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = parse_event(event, ExecutionState)
    return start_job(state, default_deps()).wire()
