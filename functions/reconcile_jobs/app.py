"""reconcile_jobs — EventBridge schedule (``ReconcileSchedule``).

Polls in-flight jobs (events are best effort): applies terminal states exactly like an
event and resumes their executions, sends heartbeats for running ones, and frees the job
slots of executions that are no longer running. Raises ``TransientError`` after the sweep
if any job could not be checked (so the failure is retried and alarms).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.errors import TransientError
from bedrock_tuner.observability import correlation_paths, logger, metrics, tracer
from bedrock_tuner.pipeline.deps import default_deps
from bedrock_tuner.pipeline.events import ScheduledEvent, parse_event
from bedrock_tuner.pipeline.training import reconcile_jobs


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parse_event(event, ScheduledEvent)
    report = reconcile_jobs(default_deps())
    if report.errors:
        raise TransientError(
            f"{len(report.errors)} of {report.checked} jobs could not be reconciled: "
            + "; ".join(report.errors[:5])
        )
    return report.wire()
