"""api — API Gateway REST (IAM auth) proxy events → the Powertools resolver.

Routes, validation, problem details and OpenAPI live in ``bedrock_tuner.api``
(docs/api.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.api.app import app
from bedrock_tuner.observability import correlation_paths, logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
