"""notify — state machine tasks "Notify …" (input ``{kind, run: $}``).

Renders the notification, publishes it to SNS (JSON + message attributes kind, pipeline,
severity) and records the run's outcome on the run item. Output ``{messageId}``. A retried
task returns the recorded message id instead of sending the message twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import NotifyRequest
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.notifications import notify_run


@logger.inject_lambda_context(correlation_id_path="run.runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, NotifyRequest)
    return notify_run(request, default_deps())
