"""reconcile_jobs — EventBridge schedule (``ReconcileSchedule``).

One sweep of :func:`bedrock_tuner.pipeline.reconcile.reconcile`: polls in-flight jobs
(events are best effort) and resumes their executions, resumes ended jobs whose resume was
lost, settles runs whose executions ended without recording an outcome, stops Bedrock jobs
of runs that have ended, and frees job slots whose holders no longer run. Raises
``TransientError`` after the sweep if any item could not be reconciled (so the failure is
retried and alarms).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import TransientError
from bedrock_tuner.observability import correlation_paths, logger, metrics, tracer
from bedrock_tuner.pipeline.events import ScheduledEvent, parse_event
from bedrock_tuner.pipeline.reconcile import reconcile


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parse_event(event, ScheduledEvent)
    report = reconcile(default_deps())
    if report.errors:
        raise TransientError(
            f"{len(report.errors)} items could not be reconciled: " + "; ".join(report.errors[:5])
        )
    return report.wire()
