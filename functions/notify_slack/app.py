"""notify_slack — SNS subscription of the notification topic.

Renders the notification as Slack Block Kit and posts it to the incoming webhook held in
Secrets Manager (retries on 429/5xx; the URL is never logged). Idempotent on the SNS
message id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.aws.idempotency import run_idempotently
from bedrock_tuner.deps import default_deps
from bedrock_tuner.observability import logger, metrics, tracer
from bedrock_tuner.pipeline.events import SnsEvent, parse_event
from bedrock_tuner.pipeline.notifications import post_to_slack


@logger.inject_lambda_context(correlation_id_path="Records[0].Sns.MessageId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = parse_event(event, SnsEvent).Records
    deps = default_deps()
    results = [
        run_idempotently(
            "notify_slack",
            lambda data, message=str(record.Sns.Message): post_to_slack(message, deps),
            {"messageId": record.Sns.MessageId},
            table=deps.settings.idempotency_table,
            context=context,
        )
        for record in records
    ]
    return {"results": results}
