"""track_job — state machine task "Wait for the job" (``waitForTaskToken``).

Input ``{token, runId, jobArn, executionArn}``: stores the token with the job; resumes the
execution at once when the job has already ended (in the store or in Bedrock).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import TrackJobRequest
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.training import track_job


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, TrackJobRequest)
    return track_job(request, default_deps())
