"""The "Notify …" steps and the Slack subscription.

``notify_run`` renders a notification for the execution state, publishes it to SNS, and
records the run's outcome (status and error) on the run item. ``post_to_slack`` turns an SNS
message back into a notification and posts Block Kit to the webhook from Secrets Manager.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from bedrock_tuner.errors import InvalidEventError
from bedrock_tuner.notify.messages import Notification, render_notification
from bedrock_tuner.notify.slack import build_slack_payload
from bedrock_tuner.notify.webhook import post_json
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.deps import Deps
from bedrock_tuner.pipeline.payloads import NotifyRequest
from bedrock_tuner.pipeline.runs import RunStatus, Step
from bedrock_tuner.pipeline.uploads import publish_notification

__all__ = ["OUTCOME_STATUS", "notify_run", "post_to_slack"]

OUTCOME_STATUS: dict[str, RunStatus | None] = {
    "invalid_dataset": RunStatus.INVALID,
    "over_budget": RunStatus.OVER_BUDGET,
    "approval_needed": RunStatus.AWAITING_APPROVAL,
    "approval_rejected": RunStatus.REJECTED,
    "job_failed": RunStatus.FAILED,
    "pipeline_failed": RunStatus.FAILED,
    "succeeded": RunStatus.SUCCEEDED,
    "spec_error": RunStatus.SPEC_ERROR,
    "bad_dataset_key": RunStatus.INVALID,
}


def notify_run(request: NotifyRequest, deps: Deps) -> dict[str, Any]:
    """Render, record the outcome on the run, publish; returns ``{messageId}``.

    Idempotent per (run, kind): the run item keeps the message id of every kind it was
    sent, so a retried task returns that id instead of sending the message again.
    """
    state = request.run
    run = deps.store.get_run(state.run_id)
    if run is not None and request.kind in run.notifications:
        logger.info("already notified", extra={"runId": state.run_id, "kind": request.kind})
        return {"messageId": run.notifications[request.kind]}
    note = render_notification(
        request.kind,
        state,
        region=deps.settings.region,
        execution_arn=run.execution_arn if run else None,
        where=deps.settings.cli_where,
    )
    message_id = publish_notification(deps, note)
    if run is not None:
        error: dict[str, Any] | None = None
        if state.error is not None:
            error = {
                "Error": state.error.error_type(),
                "Cause": state.error.cause_message()[:4000],
            }
        elif request.kind == "job_failed" and state.job_result is not None:
            error = {
                "Error": f"Job{state.job_result.status}",
                "Cause": (state.job_result.failure_message or "")[:4000],
            }
        deps.store.update_run(
            state.run_id,
            status=OUTCOME_STATUS[request.kind],
            fields={
                "error": error,
                "outcome": request.kind,
                "notifications": {**run.notifications, request.kind: message_id},
            },
            step=Step(name="notify", status=request.kind, at=deps.now(), detail=note.subject),
        )
    else:
        logger.warning("notified a run that has no record", extra={"runId": state.run_id})
    logger.info(
        "notification published",
        extra={"runId": state.run_id, "kind": request.kind, "messageId": message_id},
    )
    if request.kind in PLATFORM_FAILURES:
        # The PipelineFailedAlarm watches this metric: the platform broke, not the data.
        count("PipelineFailed")
    return {"messageId": message_id}


PLATFORM_FAILURES = frozenset({"pipeline_failed"})
"""Kinds that mean the service failed (a step failed after its retries). Invalid datasets,
budgets, rejections and failed Bedrock jobs are outcomes people are told about, not alarms."""


def alarm_notification(message: str) -> Notification | None:
    """A CloudWatch alarm state change (the stack's alarms publish to the same topic) as a
    notification, or None when ``message`` is not one."""
    try:
        alarm = json.loads(message)
    except ValueError:
        return None
    if not isinstance(alarm, dict) or "AlarmName" not in alarm or "NewStateValue" not in alarm:
        return None
    state = str(alarm.get("NewStateValue"))
    name = str(alarm.get("AlarmName"))
    description = str(alarm.get("AlarmDescription") or "")
    reason = str(alarm.get("NewStateReason") or "")
    return Notification(
        kind="alarm",
        subject=f"[bedrock-tuner] alarm {name} is {state}",
        text="\n".join(part for part in (description, reason) if part),
        run_id="-",
        pipeline="-",
        severity="error" if state == "ALARM" else "info",
        details={"alarm": name, "state": state, "region": alarm.get("Region")},
    )


def post_to_slack(
    message: str,
    deps: Deps,
    *,
    post: Callable[[str, dict[str, Any]], int] = post_json,
) -> dict[str, Any]:
    """Post one SNS message (a notification as JSON) to Slack as Block Kit.

    Raises
    ------
    InvalidEventError
        The message is not a bedrock-tuner notification.
    ConfigurationError
        No secret configured, or the secret holds no usable URL.
    NotificationDeliveryError, TransientError
        Slack refused the message, or kept failing.
    """
    alarm = alarm_notification(message)
    try:
        note = alarm if alarm is not None else Notification.model_validate_json(message)
    except ValidationError as exc:
        raise InvalidEventError(
            f"the SNS message is not a bedrock-tuner notification: {exc.errors()[0]['msg']}",
            fix="publish notifications through the notify function",
        ) from None
    if not note.slack:
        logger.info("Slack is off for this pipeline", extra={"runId": note.run_id})
        return {"posted": False, "reason": "notify.slack is false", "runId": note.run_id}
    url = deps.secrets.webhook_url(deps.settings.require_slack_secret_arn())
    status = post(url, build_slack_payload(note))
    count("SlackPosted")
    logger.info(
        "posted to Slack", extra={"runId": note.run_id, "kind": note.kind, "status": status}
    )
    return {"posted": True, "status": status, "runId": note.run_id, "kind": note.kind}
