"""register_model_version — state machine task "Register model version".

Reads the metrics CSVs under the job's output prefix, allocates version N of the family
atomically, stores the lineage. Output ``$.version`` = ``{family, version, modelArn,
metrics}``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ExecutionState
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.registration import register_version


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = parse_event(event, ExecutionState)
    return register_version(state, default_deps()).wire()
