"""handle_approval — direct invoke by the CLI or the API.

Input ``{runId, decision: "approve" | "reject", by, reason}``; output ``{runId, decision}``.
Approve resumes the execution with ``{approved: true, by, reason}``; reject fails its task
with the error ``ApprovalRejected``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.approvals import decide_approval
from bedrock_tuner.pipeline.deps import default_deps
from bedrock_tuner.pipeline.events import parse_event
from bedrock_tuner.pipeline.payloads import ApprovalDecision


@logger.inject_lambda_context(correlation_id_path="runId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    decision = parse_event(event, ApprovalDecision)
    return decide_approval(decision, default_deps())
