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

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import InvalidEventError
from bedrock_tuner.models.payloads import ExecutionState, NotifyRequest
from bedrock_tuner.models.runs import NOTIFICATION_PENDING
from bedrock_tuner.notify.messages import Notification, render_notification
from bedrock_tuner.notify.slack import build_slack_payload
from bedrock_tuner.notify.webhook import post_json
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.runs import TERMINAL_RUN_STATUSES, RunStatus, Step
from bedrock_tuner.pipeline.uploads import publish_notification

__all__ = ["OUTCOME_STATUS", "notify_run", "post_to_slack", "record_outcome"]

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
    "run_stopped": RunStatus.FAILED,
    "model_not_registered": None,  # a fact about a run that has ended: its status stays
    "waiting_for_slot": None,
}


def notify_run(request: NotifyRequest, deps: Deps) -> dict[str, Any]:
    """Record the run's outcome, then tell people: one message per (run, kind).

    The outcome (status, error, step) is recorded *before* publishing, so the run tells the
    truth even when SNS cannot be reached (I3). The message is claimed on the run before it
    is published and its id recorded after, so a retried task never sends it twice (I6); a
    failed publish releases the claim, counts ``NotificationFailed`` (alarmed) and raises,
    so the workflow retries it.
    """
    state = request.run
    run = deps.runs.get(state.run_id)
    kind = request.kind
    if run is not None and run.notifications.get(kind) not in (None, NOTIFICATION_PENDING):
        logger.info("already notified", extra={"runId": state.run_id, "kind": kind})
        return {"messageId": run.notifications[kind]}
    note = render_notification(
        kind,
        state,
        region=deps.settings.region,
        execution_arn=run.execution_arn if run else None,
        where=deps.settings.cli_where,
    )
    if run is None:
        logger.warning("notified a run that has no record", extra={"runId": state.run_id})
        return {"messageId": publish_notification(deps, note)}
    record_outcome(deps, state.run_id, kind, state, detail=note.subject)
    claimed = deps.runs.claim_notification(state.run_id, kind)
    if claimed is not None:
        logger.warning(
            "notification claimed by an earlier attempt; not sending it again",
            extra={"runId": state.run_id, "kind": kind, "stored": claimed},
        )
        return {"messageId": None if claimed == NOTIFICATION_PENDING else claimed}
    try:
        message_id = publish_notification(deps, note)
    except Exception:
        count("NotificationFailed")
        deps.runs.release_notification(state.run_id, kind)
        raise
    deps.runs.record_notification(state.run_id, kind, message_id)
    logger.info(
        "notification published",
        extra={"runId": state.run_id, "kind": kind, "messageId": message_id},
    )
    return {"messageId": message_id}


def record_outcome(
    deps: Deps, run_id: str, kind: str, state: ExecutionState, *, detail: str | None = None
) -> None:
    """The run's status, error and outcome for a notification kind (terminal statuses are
    final: a run that has ended keeps its ending). A timed-out or abandoned approval stops
    being pending."""
    error: dict[str, Any] | None = None
    if state.error is not None:
        error = {"Error": state.error.error_type(), "Cause": state.error.cause_message()[:4000]}
    elif kind == "job_failed" and state.job_result is not None:
        error = {
            "Error": f"Job{state.job_result.status}",
            "Cause": (state.job_result.failure_message or "")[:4000],
        }
    status = OUTCOME_STATUS[kind]
    applied = deps.runs.update(
        run_id,
        status=status,
        fields={"error": error, "outcome": kind},
        step=Step(name="notify", status=kind, at=deps.now(), detail=detail),
    )
    if status is not None and status in TERMINAL_RUN_STATUSES:
        deps.approvals.expire(run_id, only_pending=True)
    if kind in PLATFORM_FAILURES and applied:
        # The PipelineFailedAlarm watches this metric: the platform broke, not the data.
        count("PipelineFailed")


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
