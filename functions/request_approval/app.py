"""request_approval — state machine task "Wait for approval" (``waitForTaskToken``).

Input ``{token, run: $}``: stores the token with the run and sends the "approval needed"
notification. The execution resumes when a person decides through the API
(``POST /approvals/{run_id}``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import ApprovalRequest
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.approvals import request_approval
from bedrock_tuner.pipeline.events import parse_event


@logger.inject_lambda_context(correlation_id_path="run.runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, ApprovalRequest)
    return request_approval(request, default_deps())
