"""Render the pipeline's notifications: texts a person can act on.

Every notification says what happened, why, and what to do next, with links (the report,
the execution, the spec). The same :class:`Notification` goes to SNS as JSON (the email
subscription shows ``text``) and to Slack as Block Kit (:mod:`bedrock_tuner.notify.slack`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from bedrock_tuner.errors import SpecError
from bedrock_tuner.models.keys import spec_keys_for
from bedrock_tuner.models.payloads import ExecutionState, NotifyKind

__all__ = [
    "SUBJECT_MAX",
    "Link",
    "Notification",
    "Severity",
    "explain_failure",
    "render_bad_dataset_key",
    "render_notification",
    "render_spec_error",
    "render_spec_upload_error",
    "retry_command",
    "validate_command",
]

Severity = Literal["info", "success", "warning", "error"]
SUBJECT_MAX = 100  # SNS subjects: at most 100 characters, one line
_TOP = 5


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    url: str


class Notification(BaseModel):
    """One message: ``{kind, subject, text, run_id, pipeline, severity, details, links}``."""

    model_config = ConfigDict(frozen=True)

    kind: str
    subject: str
    text: str
    run_id: str
    pipeline: str
    severity: Severity
    details: dict[str, Any] = Field(default_factory=dict)
    links: list[Link] = Field(default_factory=list)
    slack: bool = True  # the spec's notify.slack: notify_slack skips the message when false

    def attributes(self) -> dict[str, str | list[str]]:
        """SNS message attributes (filter policies route on them): ``kind``, ``pipeline``,
        ``severity`` and ``emails`` (the spec's ``notify.emails``, a list: each address's
        subscription is filtered to messages that name it)."""
        attributes: dict[str, str | list[str]] = {
            "kind": self.kind,
            "pipeline": self.pipeline,
            "severity": self.severity,
        }
        emails = self.details.get("emails")
        if isinstance(emails, list) and emails:
            attributes["emails"] = [str(email) for email in emails]
        return attributes


# --------------------------------------------------------------------------- links


def s3_console_url(bucket: str, key: str, region: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/s3/object/{bucket}"
        f"?region={region}&prefix={quote(key, safe='')}"
    )


def execution_console_url(execution_arn: str, region: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )


def bedrock_jobs_console_url(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/bedrock/home?region={region}#/custom-models"


def _split_uri(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return (bucket, key) if bucket and key else None


# --------------------------------------------------------------------------- hints

HintFn = Callable[[re.Match[str], dict[str, str]], str]


def _token_hint(match: re.Match[str], ctx: dict[str, str]) -> str:
    return (
        f"a record is over the model's token limit ({match[1]} > {match[2]} tokens). Run "
        f"`bedrock-tuner validate {ctx.get('dataset', 'DATASET')} --model "
        f"{ctx.get('model', 'MODEL')}` to find it (E_TOKENS_OVER_LIMIT lists the lines), "
        "shorten or split those records, and upload the file again"
    )


def _quota_hint(match: re.Match[str], ctx: dict[str, str]) -> str:
    return (
        "an account quota was hit (Bedrock allows only a few customization jobs at once). "
        "Ask for more in Service Quotas (Amazon Bedrock), or lower the stack's "
        "MaxConcurrentJobs so runs queue instead; then upload the dataset again"
    )


def _access_hint(match: re.Match[str], ctx: dict[str, str]) -> str:
    return (
        "Bedrock's role was refused access. Check that BedrockCustomizationRole may "
        "s3:GetObject on datasets/* and work/*, s3:PutObject on outputs/*, and use the "
        "bucket's KMS key (kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey, "
        "kms:CreateGrant) and the custom-model key; then upload the dataset again"
    )


def _data_hint(match: re.Match[str], ctx: dict[str, str]) -> str:
    return (
        f"Bedrock rejected the data. Run `bedrock-tuner validate "
        f"{ctx.get('dataset', 'DATASET')} --model {ctx.get('model', 'MODEL')}`, fix what it "
        "reports, and upload the file again"
    )


def _internal_hint(match: re.Match[str], ctx: dict[str, str]) -> str:
    return (
        "Bedrock failed on its side. Upload the dataset again (a new object version starts "
        "a new run); if it keeps failing, open an AWS Support case with the job ARN"
    )


_HINTS: list[tuple[re.Pattern[str], HintFn]] = [
    (re.compile(r"maximum input token count (\d+) exceeds limit of (\d+)", re.I), _token_hint),
    (
        re.compile(r"quota|limit exceeded|too many|concurrent|throttl|rate exceeded", re.I),
        _quota_hint,
    ),
    (
        re.compile(r"access ?denied|not authori[sz]ed|forbidden|permission|\bkms\b", re.I),
        _access_hint,
    ),
    (
        re.compile(
            r"(invalid|malformed|unexpected).{0,40}(json|record|data|format|line)"
            r"|data validation|schema|validation (error|failed)",
            re.I,
        ),
        _data_hint,
    ),
    (
        re.compile(r"internal (server )?error|service unavailable|unknown error", re.I),
        _internal_hint,
    ),
]


def explain_failure(message: str | None, *, dataset: str = "", model: str = "") -> str:
    """What to do about a Bedrock failure message (a known one gets a specific fix)."""
    text = message or ""
    ctx = {"dataset": dataset, "model": model}
    for pattern, hint in _HINTS:
        match = pattern.search(text)
        if match:
            return hint(match, ctx)
    return (
        "look at the job in the Bedrock console (Custom models → Jobs) for details, fix the "
        "cause, and upload the dataset again"
    )


# --------------------------------------------------------------------------- rendering


def _subject(pipeline: str, what: str) -> str:
    subject = f"[bedrock-tuner] {pipeline}: {what}".replace("\n", " ")
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


@dataclass(frozen=True)
class _Context:
    region: str
    execution_arn: str | None
    where: str  # how the CLI finds the stack: "--stack NAME --region R", "--local" or ""


def _cli(command: str, where: str) -> str:
    """A ``bedrock-tuner`` stack command as a person pastes it (with how to find the stack)."""
    return f"bedrock-tuner {command}" + (f" {where}" if where else "")


def _quote(value: str) -> str:
    """``value`` as one shell word (quoted only when it needs to be)."""
    return shlex.quote(value)


def validate_command(dataset_uri: str, model: str) -> str:
    """The local check of a dataset, runnable as printed (S3 needs read access)."""
    return f"bedrock-tuner validate {_quote(dataset_uri)} --model {_quote(model)}"


def _common_links(state: ExecutionState, ctx: _Context, *, report: bool = True) -> list[Link]:
    links: list[Link] = []
    if report and state.validation is not None:
        parts = _split_uri(state.validation.report_uri)
        if parts:
            links.append(Link(label="Validation report", url=s3_console_url(*parts, ctx.region)))
    if ctx.execution_arn:
        links.append(
            Link(label="Execution", url=execution_console_url(ctx.execution_arn, ctx.region))
        )
    links.append(
        Link(
            label="Pipeline spec",
            url=s3_console_url(state.dataset.bucket, spec_keys_for(state.pipeline)[0], ctx.region),
        )
    )
    return links


def _spec_value(state: ExecutionState, key: str, default: Any = None) -> Any:
    return state.spec.get(key, default) if isinstance(state.spec, dict) else default


def _wants_slack(state: ExecutionState) -> bool:
    notify = _spec_value(state, "notify", {}) or {}
    return bool(notify.get("slack", True)) if isinstance(notify, dict) else True


def _emails(state: ExecutionState) -> list[str]:
    notify = _spec_value(state, "notify", {}) or {}
    emails = notify.get("emails", []) if isinstance(notify, dict) else []
    return [str(item) for item in emails or []]


def _base(
    kind: str,
    state: ExecutionState,
    *,
    subject: str,
    text: str,
    severity: Severity,
    details: dict[str, Any],
    links: list[Link],
) -> Notification:
    merged = {
        "dataset": state.dataset.uri,
        "datasetVersionId": state.dataset.version_id,
        "baseModel": _spec_value(state, "base_model"),
        **details,
    }
    emails = _emails(state)
    if emails:
        merged["emails"] = emails
    return Notification(
        kind=kind,
        subject=_subject(state.pipeline, subject),
        text=text,
        run_id=state.run_id,
        pipeline=state.pipeline,
        severity=severity,
        details=merged,
        links=links,
        slack=_wants_slack(state),
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _invalid_dataset(state: ExecutionState, ctx: _Context) -> Notification:
    validation = state.validation
    problems = validation.top_problems if validation else []
    lines = [f"The dataset {state.dataset.uri} failed validation, so no training job was started."]
    if validation and validation.verdict:
        lines.append(validation.verdict)
    kinds = validation.error_codes if validation else 0
    if problems:
        shown = min(len(problems), _TOP)
        total = (validation.error_codes + validation.warning_codes) if validation else shown
        head = "Problems" if shown >= total else f"The first {shown} of {total} kinds of problem"
        lines.append(f"{head}:")
        for problem in problems[:_TOP]:
            example = f" — e.g. {problem.example}" if problem.example else ""
            lines.append(f"• {problem.code} ×{problem.count:,}{example}")
            lines.append(f"  fix: {problem.fix}")
    if validation:
        lines.append(f"Full report (every problem, with line numbers): {validation.report_uri}")
    lines.append(
        "Check it with "
        f"`{validate_command(state.dataset.uri, _spec_value(state, 'base_model', 'MODEL'))}`, "
        "fix the data and upload it again (the new object version starts a new run)."
    )
    errors = validation.errors if validation else 0
    if validation and errors:
        what = f"{_plural(errors, 'error')} of {_plural(kinds, 'kind')}"
    else:
        what = ""
    return _base(
        "invalid_dataset",
        state,
        subject=f"dataset invalid ({what})" if what else "dataset invalid",
        text="\n".join(lines),
        severity="error",
        details={
            "records": validation.records if validation else None,
            "invalidRecords": validation.invalid_records if validation else None,
            "problems": [p.model_dump(mode="json") for p in problems[:_TOP]],
            "errors": errors,
            "warnings": validation.warnings if validation else 0,
            "errorCodes": kinds,
            "warningCodes": validation.warning_codes if validation else 0,
            "reportUri": validation.report_uri if validation else None,
        },
        links=_common_links(state, ctx),
    )


def retry_command(state: ExecutionState, ctx: _Context) -> str:
    """Start a new run on the same object version (a run that ended before its job can be
    retried once its cause is fixed)."""
    return _cli(f"runs start {_quote(state.pipeline)} {_quote(state.dataset.uri)}", ctx.where)


def _over_budget(state: ExecutionState, ctx: _Context) -> Notification:
    validation = state.validation
    cost = validation.estimated_cost_usd if validation else None
    budget = _spec_value(state, "budget", {}) or {}
    max_usd = budget.get("max_usd") if isinstance(budget, dict) else None
    lines = [
        f"Training on {state.dataset.uri} would cost about {_usd(cost)}, above this "
        f"pipeline's maximum of {_usd(max_usd)} (budget.max_usd), so nothing was started."
    ]
    if validation and validation.training_tokens:
        lines.append(f"Training tokens: {validation.training_tokens:,}.")
    lines.append(
        f"To train anyway, raise budget.max_usd in {spec_keys_for(state.pipeline)[0]}, then "
        f"start a new run on the same data: {retry_command(state, ctx)}"
    )
    lines.append(
        "To spend less, train fewer epochs (hyperparameters.epochCount) or on fewer records."
    )
    return _base(
        "over_budget",
        state,
        subject=f"over budget ({_usd(cost)} > {_usd(max_usd)})",
        text="\n".join(lines),
        severity="warning",
        details={
            "estimatedCostUsd": cost,
            "maxUsd": max_usd,
            "reason": validation.budget_reason if validation else None,
            "trainingTokens": validation.training_tokens if validation else None,
            "retry": retry_command(state, ctx),
        },
        links=_common_links(state, ctx),
    )


def approval_commands(run_id: str, where: str = "") -> list[str]:
    """How a person approves or rejects a waiting run (each runs as printed)."""
    return [
        _cli(f"approvals approve {run_id}", where),
        _cli(f"approvals reject {run_id} --reason {_quote('not worth it')}", where),
    ]


def _same_data_line(state: ExecutionState) -> list[str]:
    validation = state.validation
    if validation is None or validation.same_data_as is None:
        return []
    family = _spec_value(state, "model_family") or state.pipeline
    digest = (validation.dataset_sha256 or "")[:12]
    return [
        f"Note: this file has the same SHA-256 ({digest}…) as the data of {family} "
        f"v{validation.same_data_as}: training again on it gives a model like that one."
    ]


def _cost_phrase(cost: float | None) -> str:
    return "cost unknown" if cost is None else f"est. {_usd(cost)}"


def _approval_needed(state: ExecutionState, ctx: _Context) -> Notification:
    validation = state.validation
    cost = validation.estimated_cost_usd if validation else None
    commands = approval_commands(state.run_id, ctx.where)
    why = validation.budget_reason if validation and validation.budget_reason else None
    lines = [
        f"Run {state.run_id} of {state.pipeline} is waiting for approval before it starts a "
        f"Bedrock customization job on {state.dataset.uri}.",
        f"Estimated training cost: {_usd(cost)}.",
    ]
    if why:
        lines.append(f"Why it waits: {why}.")
    lines += _same_data_line(state)
    if validation:
        lines.append(
            f"Records: {validation.records:,}; training tokens: {validation.training_tokens:,}."
        )
    lines += [
        f"To approve:  {commands[0]}",
        f"To reject:   {commands[1]}",
        "(or POST /approvals/{run} on the stack's API, docs/api.md)",
        "If nobody decides before the approval timeout, the run stops and nothing is spent.",
    ]
    return _base(
        "approval_needed",
        state,
        subject=f"approval needed ({_cost_phrase(cost)})",
        text="\n".join(lines),
        severity="warning",
        details={
            "estimatedCostUsd": cost,
            "reason": why,
            "approve": commands[0],
            "reject": commands[1],
        },
        links=_common_links(state, ctx),
    )


def _approval_rejected(state: ExecutionState, ctx: _Context) -> Notification:
    error = state.error
    timed_out = error is not None and error.error == "States.Timeout"
    if timed_out:
        what = "nobody approved it before the approval timeout"
    else:
        cause = error.cause_message() if error else ""
        what = f"it was rejected{': ' + cause if cause else ''}"
    text = (
        f"Run {state.run_id} of {state.pipeline} ({state.dataset.uri}) did not start: {what}. "
        "Nothing was spent.\n"
        f"To ask again on the same data: {retry_command(state, ctx)}\n"
        f"If runs like this should start on their own, raise budget.auto_approve_usd in "
        f"{spec_keys_for(state.pipeline)[0]}."
    )
    return _base(
        "approval_rejected",
        state,
        subject="approval timed out" if timed_out else "run rejected",
        text=text,
        severity="warning",
        details={
            "timedOut": timed_out,
            "reason": None if timed_out else what,
            "retry": retry_command(state, ctx),
        },
        links=_common_links(state, ctx),
    )


def _job_failed(state: ExecutionState, ctx: _Context) -> Notification:
    result = state.job_result
    status = result.status if result else "unknown"
    message = result.failure_message if result else None
    base_model = str(_spec_value(state, "base_model", ""))
    if status == "Stopped":
        hint = "someone stopped the job; upload the dataset again to start a new run"
    else:
        hint = explain_failure(message, dataset=state.dataset.uri, model=base_model)
    job = state.job
    text = (
        f"The Bedrock customization job {job.job_name if job else ''} for {state.pipeline} "
        f"ended {status}.\n"
        + (f"Bedrock says: {message}\n" if message else "")
        + f"What to do: {hint}."
    )
    links = _common_links(state, ctx, report=False)
    links.append(Link(label="Bedrock jobs", url=bedrock_jobs_console_url(ctx.region)))
    return _base(
        "job_failed",
        state,
        subject=f"training job {status.lower()}",
        text=text,
        severity="error",
        details={
            "status": status,
            "failureMessage": message,
            "jobArn": job.job_arn if job else None,
            "hint": hint,
        },
        links=links,
    )


_ERROR_HINTS = {
    "SpecError": "fix the pipeline spec as the message says",
    "DatasetSourceError": "the dataset could not be read (deleted, or no access): check the "
    "object and the functions' permissions",
    "ThrottlingError": "AWS kept throttling after every retry: try again later, or ask for a "
    "higher quota",
    "TransientError": "AWS kept failing after every retry: try again later",
    "UnknownModelError": "the spec's base model is not in the catalog: fix base_model",
    "UnsupportedCustomizationError": "the base model does not support that customization type",
    "States.Timeout": "the job took longer than the workflow waits (JobTimeoutSeconds); check "
    "the job in the Bedrock console",
    "States.HeartbeatTimeout": "nobody reported on the job in time (reconcile_jobs sends "
    "heartbeats): check that the ReconcileJobs schedule runs",
}


def _pipeline_failed(state: ExecutionState, ctx: _Context) -> Notification:
    error = state.error
    name = error.error_type() if error else "unknown error"
    cause = error.cause_message() if error else ""
    if name == "JobStartError":
        hint = explain_failure(
            cause, dataset=state.dataset.uri, model=str(_spec_value(state, "base_model", ""))
        )
    else:
        hint = _ERROR_HINTS.get(name, "look at the execution's failed step for details")
    lines = [
        f"Run {state.run_id} of {state.pipeline} ({state.dataset.uri}) failed: {name}"
        + (f": {cause}" if cause else "")
        + ".",
        f"What to do: {hint}.",
    ]
    retry = None
    recover = None
    result = state.job_result
    if state.job is None:  # nothing was trained: the same object can run again
        retry = retry_command(state, ctx)
        lines.append(f"Then start a new run on the same data: {retry}")
    elif result is not None and result.status == "Completed":
        recover = recover_command(state, ctx)
        lines.append(
            f"The model was trained ({result.output_model_arn}) but not registered. Once the "
            f"cause is fixed, register it: {recover}"
        )
    else:
        lines.append(
            "The Bedrock job was asked to stop (nothing more is trained or billed). Upload "
            "the dataset again to train again (a new object version starts a new run)."
        )
    return _base(
        "pipeline_failed",
        state,
        subject=f"run failed ({name})",
        text="\n".join(lines),
        severity="error",
        details={"error": name, "cause": cause, "hint": hint, "retry": retry, "recover": recover},
        links=_common_links(state, ctx),
    )


def _promotion_lines(state: ExecutionState, ctx: _Context) -> tuple[list[str], dict[str, Any]]:
    """Whether the alias moved, and why or why not (every success message says so)."""
    version = state.version
    if version is None:
        return [], {}
    promotion = version.promotion
    promote_cmd = _cli(
        f"promote {_quote(version.family)} production {version.version} "
        f"--reason {_quote('reviewed')}",
        ctx.where,
    )
    if not promotion:
        return (
            [
                "Promotion is manual: no alias moved. When you are satisfied, point "
                f"production at this version: {promote_cmd}",
                "To call the model, create a custom model deployment (on-demand) or provisioned "
                "throughput — and delete provisioned throughput you no longer need: it is "
                "billed by the hour.",
            ],
            {"moved": False, "policy": "manual"},
        )
    alias = str(promotion.get("alias") or "production")
    status = promotion.get("status")
    reason = str(promotion.get("reason") or "")
    before = promotion.get("currentVersion")
    details: dict[str, Any] = {
        "moved": status == "promoted",
        "policy": "auto_if_better",
        "alias": alias,
        "metric": promotion.get("metric"),
        "candidate": promotion.get("candidate"),
        "current": promotion.get("current"),
        "from": before,
        "to": version.version if status == "promoted" else before,
        "reason": reason,
    }
    if status == "promoted":
        was = f" (was v{before})" if before is not None else ""
        line = f"{alias} now points at v{version.version}{was}: {reason}."
    elif status == "failed":
        stays = f"stays at v{before}" if before is not None else "did not move"
        line = (
            f"Auto-promotion failed, so {alias} {stays}: {promotion.get('error') or reason}. "
            f"Promote by hand once fixed: {promote_cmd}"
        )
    else:
        stays = f"stays at v{before}" if before is not None else "did not move"
        line = f"{alias} {stays}: {reason}."
    return [line], details


def _succeeded(state: ExecutionState, ctx: _Context) -> Notification:
    version = state.version
    metrics = version.metrics if version else {}
    lines = []
    if version:
        lines.append(
            f"{version.family} version {version.version} is registered: {version.model_arn}"
        )
    else:
        lines.append(f"Run {state.run_id} of {state.pipeline} finished.")
    train_loss = metrics.get("trainingLoss")
    val_loss = metrics.get("validationLoss")
    parts = []
    if train_loss is not None:
        parts.append(f"training loss {train_loss:.4g}")
    if val_loss is not None:
        parts.append(f"validation loss {val_loss:.4g}")
    if parts:
        lines.append("Metrics: " + ", ".join(parts) + ".")
    if metrics.get("overfitting"):
        lines.append(
            "Warning: the model may be overfitting — "
            f"{metrics.get('overfittingReason') or 'validation loss rose while training loss fell'}. "
            "Consider fewer epochs (hyperparameters.epochCount) or more varied data."
        )
    validation = state.validation
    if validation and validation.estimated_cost_usd is not None:
        lines.append(f"Estimated training cost: {_usd(validation.estimated_cost_usd)}.")
    lines += _same_data_line(state)
    promotion_lines, promotion = _promotion_lines(state, ctx)
    lines += promotion_lines
    return _base(
        "succeeded",
        state,
        subject=f"{version.family} v{version.version} ready" if version else "model ready",
        text="\n".join(lines),
        severity="warning" if metrics.get("overfitting") else "success",
        details={
            "family": version.family if version else None,
            "version": version.version if version else None,
            "modelArn": version.model_arn if version else None,
            "metrics": metrics,
            "promotion": promotion,
        },
        links=_common_links(state, ctx, report=True),
    )


def recover_command(state: ExecutionState, ctx: _Context) -> str:
    """Register the model of a job that completed after its run failed (idempotent)."""
    return _cli(f"runs recover {state.run_id}", ctx.where)


def _run_stopped(state: ExecutionState, ctx: _Context) -> Notification:
    error = state.error
    cause = error.cause_message() if error else ""
    job = state.job
    lines = [
        f"Run {state.run_id} of {state.pipeline} ({state.dataset.uri}) was stopped"
        + (f" {cause}" if cause else "")
        + "."
    ]
    if job is None:
        lines.append("No Bedrock job had started: nothing was trained or billed.")
        lines.append(f"To run it again on the same data: {retry_command(state, ctx)}")
    else:
        lines.append(
            f"The Bedrock job {job.job_name} was asked to stop; it bills for what it trained "
            "until then and produces no model."
        )
    return _base(
        "run_stopped",
        state,
        subject="run stopped",
        text="\n".join(lines),
        severity="warning",
        details={"cause": cause, "jobArn": job.job_arn if job else None},
        links=_common_links(state, ctx, report=False),
    )


def _model_not_registered(state: ExecutionState, ctx: _Context) -> Notification:
    result = state.job_result
    job = state.job
    model = result.output_model_arn if result else None
    error = state.error
    why = f"{error.error_type()}: {error.cause_message()}" if error else "it had already ended"
    recover = recover_command(state, ctx)
    lines = [
        f"The Bedrock job {job.job_name if job else ''} of run {state.run_id} "
        f"({state.pipeline}) completed and produced {model}, but the run had ended "
        f"({why}), so no model version was registered.",
        f"Register it (the same version rules apply; running it twice is harmless): {recover}",
        "A custom model bills storage every month until it is deleted.",
    ]
    links = _common_links(state, ctx, report=False)
    links.append(Link(label="Bedrock jobs", url=bedrock_jobs_console_url(ctx.region)))
    return _base(
        "model_not_registered",
        state,
        subject="model trained but not registered",
        text="\n".join(lines),
        severity="error",
        details={"modelArn": model, "jobArn": job.job_arn if job else None, "recover": recover},
        links=links,
    )


def _waiting_for_slot(state: ExecutionState, ctx: _Context) -> Notification:
    waited = int((state.slot_wait or {}).get("waitedSeconds") or 0)
    lines = [
        f"Run {state.run_id} of {state.pipeline} has waited {waited // 60:,} minutes for a "
        "Bedrock job slot: the stack's MaxConcurrentJobs jobs are all running.",
        f"It starts as soon as one ends. See what holds them: {_cli('runs list --status active', ctx.where)}",
        "To run more jobs at once, raise MaxConcurrentJobs (and Bedrock's quota for "
        "concurrent customization jobs in Service Quotas).",
    ]
    return _base(
        "waiting_for_slot",
        state,
        subject="waiting for a job slot",
        text="\n".join(lines),
        severity="warning",
        details={"waitedSeconds": waited},
        links=_common_links(state, ctx, report=False),
    )


_RENDERERS: dict[str, Callable[[ExecutionState, _Context], Notification]] = {
    "run_stopped": _run_stopped,
    "model_not_registered": _model_not_registered,
    "waiting_for_slot": _waiting_for_slot,
    "invalid_dataset": _invalid_dataset,
    "over_budget": _over_budget,
    "approval_needed": _approval_needed,
    "approval_rejected": _approval_rejected,
    "job_failed": _job_failed,
    "pipeline_failed": _pipeline_failed,
    "succeeded": _succeeded,
}


def render_notification(
    kind: NotifyKind,
    state: ExecutionState,
    *,
    region: str,
    execution_arn: str | None = None,
    where: str = "",
) -> Notification:
    """Render ``kind`` for the execution state ``state``.

    ``where`` is how a printed ``bedrock-tuner`` command finds the stack (``--stack NAME
    --region R`` on AWS, ``--local`` on the local cloud): every command a message prints
    runs as printed. ``spec_error`` and ``bad_dataset_key`` have their own renderers (the run
    never had an execution).
    """
    ctx = _Context(region=region, execution_arn=execution_arn, where=where)
    if kind == "spec_error":
        error = state.error
        return render_spec_error(
            SpecError(error.cause_message() if error else "the pipeline spec is invalid"),
            state=state,
            region=region,
            where=where,
        )
    return _RENDERERS[kind](state, ctx)


def render_spec_error(
    error: SpecError, *, state: ExecutionState, region: str, where: str = ""
) -> Notification:
    """A spec problem stopped a run before anything started."""
    ctx = _Context(region=region, execution_arn=None, where=where)
    spec_key = spec_keys_for(state.pipeline)[0]
    lines = [
        f"{state.dataset.uri} was uploaded, but no run started: the pipeline spec of "
        f"{state.pipeline} ({spec_key}) has a problem."
    ]
    for path, message, fix in error.problems:
        where_in_spec = f"{path}: " if path else ""
        lines.append(f"• {where_in_spec}{message}" + (f"\n  fix: {fix}" if fix else ""))
    retry = retry_command(state, ctx)
    lines.append(
        f"Fix {spec_key} in the bucket, then start the run again on the same data: {retry}"
    )
    return Notification(
        kind="spec_error",
        subject=_subject(state.pipeline, "pipeline spec problem"),
        text="\n".join(lines),
        run_id=state.run_id,
        pipeline=state.pipeline,
        severity="error",
        details={
            "dataset": state.dataset.uri,
            "datasetVersionId": state.dataset.version_id,
            "problems": [
                {"path": path, "message": message, "fix": fix}
                for path, message, fix in error.problems
            ],
            "retry": retry,
        },
        links=[
            Link(
                label="Pipeline spec",
                url=s3_console_url(state.dataset.bucket, spec_key, region),
            )
        ],
        slack=True,
    )


def render_spec_upload_error(
    error: SpecError, *, pipeline: str, bucket: str, key: str, region: str
) -> Notification:
    """A spec was uploaded with problems: tell people now, not at the first dataset."""
    lines = [
        f"s3://{bucket}/{key} was uploaded, but it has problems: no run of {pipeline} can "
        "start until they are fixed."
    ]
    for path, message, fix in error.problems:
        where_in_spec = f"{path}: " if path else ""
        lines.append(f"• {where_in_spec}{message}" + (f"\n  fix: {fix}" if fix else ""))
    lines.append(f"Fix {key} and upload it again (docs/pipeline.md describes every field).")
    return Notification(
        kind="spec_error",
        subject=_subject(pipeline, "pipeline spec problem"),
        text="\n".join(lines),
        run_id="-",
        pipeline=pipeline,
        severity="error",
        details={
            "spec": f"s3://{bucket}/{key}",
            "problems": [
                {"path": path, "message": message, "fix": fix}
                for path, message, fix in error.problems
            ],
        },
        links=[Link(label="Pipeline spec", url=s3_console_url(bucket, key, region))],
    )


def render_bad_dataset_key(
    problem: str, fix: str, *, state: ExecutionState, region: str
) -> Notification:
    """The dataset's S3 key cannot be used (Bedrock refuses it, or it is too long): the
    spec is fine, the object must be renamed."""
    lines = [
        f"{state.dataset.uri} was uploaded, but no run started: the object's key cannot be "
        "used for training.",
        f"• {problem}",
        f"  fix: {fix}",
        "The pipeline spec is fine; nothing was started and nothing was spent.",
    ]
    return Notification(
        kind="bad_dataset_key",
        subject=_subject(state.pipeline, "dataset key not usable"),
        text="\n".join(lines),
        run_id=state.run_id,
        pipeline=state.pipeline,
        severity="error",
        details={
            "dataset": state.dataset.uri,
            "datasetVersionId": state.dataset.version_id,
            "problem": problem,
            "fix": fix,
        },
        links=[
            Link(
                label="Dataset",
                url=s3_console_url(state.dataset.bucket, state.dataset.key, region),
            )
        ],
        slack=_wants_slack(state),
    )
