"""on_job_state_change — EventBridge ``aws.bedrock`` "Model Customization Job State Change".

Updates the job (status, sub-stages), never backwards; on a terminal state resumes the
waiting execution. Idempotent on the event id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.aws.idempotency import run_idempotently
from bedrock_tuner.deps import default_deps
from bedrock_tuner.observability import correlation_paths, logger, metrics, tracer
from bedrock_tuner.pipeline.events import BedrockJobStateChangeEvent, parse_event
from bedrock_tuner.pipeline.training import handle_job_event


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, BedrockJobStateChangeEvent)
    deps = default_deps()
    return run_idempotently(
        "on_job_state_change",
        lambda data: handle_job_event(parsed, deps),
        {"id": parsed.id, "jobArn": parsed.detail.job_arn, "status": parsed.detail.job_status},
        key_jmespath="id",
        table=deps.settings.idempotency_table,
        context=context,
    )
