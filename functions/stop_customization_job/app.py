"""stop_customization_job — state machine task "Stop the job".

The workflow gave up on a run after its job was started (the job timed out, nobody
reported on it, a step failed): stop the Bedrock job so it neither trains nor bills for a
run that has ended. Input: the execution state ``$`` (with ``$.error``). Output ``$.stop`` =
``{jobArn, status, stopping}`` — ``stopping`` keeps the job slot held until the job has
ended (the reconciler frees it then).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ExecutionState
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.training import abandon_job


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = parse_event(event, ExecutionState)
    return abandon_job(state, default_deps()).wire()
