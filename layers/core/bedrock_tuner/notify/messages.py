"""Render the pipeline's notifications: texts a person can act on.

Every notification says what happened, why, and what to do next, with links (the report,
the execution, the spec). The same :class:`Notification` goes to SNS as JSON (the email
subscription shows ``text``) and to Slack as Block Kit (:mod:`bedrock_tuner.notify.slack`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from bedrock_tuner.errors import SpecError
from bedrock_tuner.pipeline.payloads import ExecutionState, NotifyKind
from bedrock_tuner.pipeline.spec import spec_keys_for

__all__ = [
    "SUBJECT_MAX",
    "Link",
    "Notification",
    "Severity",
    "explain_failure",
    "render_notification",
    "render_spec_error",
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

    def attributes(self) -> dict[str, str]:
        """SNS message attributes (filter policies can route on them)."""
        return {"kind": self.kind, "pipeline": self.pipeline, "severity": self.severity}


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


def _common_links(
    state: ExecutionState, region: str, execution_arn: str | None, *, report: bool = True
) -> list[Link]:
    links: list[Link] = []
    if report and state.validation is not None:
        parts = _split_uri(state.validation.report_uri)
        if parts:
            links.append(Link(label="Validation report", url=s3_console_url(*parts, region)))
    if execution_arn:
        links.append(Link(label="Execution", url=execution_console_url(execution_arn, region)))
    links.append(
        Link(
            label="Pipeline spec",
            url=s3_console_url(state.dataset.bucket, spec_keys_for(state.pipeline)[0], region),
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


def _invalid_dataset(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
    validation = state.validation
    problems = validation.top_problems if validation else []
    lines = [f"The dataset {state.dataset.uri} failed validation, so no training job was started."]
    if validation and validation.verdict:
        lines.append(validation.verdict)
    if problems:
        lines.append("Top problems:")
        for problem in problems[:_TOP]:
            example = f" — e.g. {problem.example}" if problem.example else ""
            lines.append(f"• {problem.code} ×{problem.count:,}{example}")
            lines.append(f"  fix: {problem.fix}")
    if validation:
        lines.append(f"Full report (every problem, with line numbers): {validation.report_uri}")
    lines.append(
        "Check it locally with `bedrock-tuner validate FILE --model "
        f"{_spec_value(state, 'base_model', 'MODEL')}`, fix the data and upload it again "
        "(the new object version starts a new run)."
    )
    errors = sum(p.count for p in problems)
    return _base(
        "invalid_dataset",
        state,
        subject=f"dataset invalid ({len(problems)} kinds of problem)"
        if problems
        else "dataset invalid",
        text="\n".join(lines),
        severity="error",
        details={
            "records": validation.records if validation else None,
            "problems": [p.model_dump(mode="json") for p in problems[:_TOP]],
            "errors": errors,
            "reportUri": validation.report_uri if validation else None,
        },
        links=_common_links(state, region, execution_arn),
    )


def _over_budget(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
    validation = state.validation
    cost = validation.estimated_cost_usd if validation else None
    budget = _spec_value(state, "budget", {}) or {}
    max_usd = budget.get("max_usd") if isinstance(budget, dict) else None
    text = (
        f"Training on {state.dataset.uri} would cost about {_usd(cost)}, above this "
        f"pipeline's maximum of {_usd(max_usd)} (budget.max_usd), so nothing was started.\n"
        f"{validation.budget_reason + chr(10) if validation and validation.budget_reason else ''}"
        "To train anyway, raise budget.max_usd in "
        f"{spec_keys_for(state.pipeline)[0]} and upload the dataset again; to spend less, "
        "train fewer epochs (hyperparameters.epochCount) or fewer records."
    )
    return _base(
        "over_budget",
        state,
        subject=f"over budget ({_usd(cost)} > {_usd(max_usd)})",
        text=text,
        severity="warning",
        details={
            "estimatedCostUsd": cost,
            "maxUsd": max_usd,
            "trainingTokens": validation.training_tokens if validation else None,
        },
        links=_common_links(state, region, execution_arn),
    )


def approval_commands(run_id: str, function_name: str | None = None) -> list[str]:
    """How a person approves or rejects a waiting run."""
    target = function_name or "<HandleApprovalFunction>"
    return [
        f"bedrock-tuner approvals approve {run_id}",
        f'bedrock-tuner approvals reject {run_id} --reason "..."',
        f"aws lambda invoke --function-name {target} --cli-binary-format raw-in-base64-out "
        f'--payload \'{{"runId": "{run_id}", "decision": "approve", "by": "YOUR NAME"}}\' out.json',
    ]


def _approval_needed(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
    validation = state.validation
    cost = validation.estimated_cost_usd if validation else None
    commands = approval_commands(state.run_id)
    why = (
        validation.budget_reason
        if validation and validation.budget_reason
        else "the estimated cost is above the auto-approve limit"
    )
    lines = [
        f"Run {state.run_id} of {state.pipeline} is waiting for approval before it starts a "
        f"Bedrock customization job on {state.dataset.uri}.",
        f"Estimated training cost: {_usd(cost)} ({why}).",
    ]
    if validation:
        lines.append(
            f"Records: {validation.records:,}; training tokens: {validation.training_tokens:,}."
        )
    lines += [
        f"To approve:  {commands[0]}",
        f"To reject:   {commands[1]}",
        f"Without the CLI: {commands[2]} (decision approve or reject).",
        "If nobody decides before the approval timeout, the run stops and nothing is spent.",
    ]
    text = "\n".join(lines)
    return _base(
        "approval_needed",
        state,
        subject=f"approval needed ({_usd(cost)})",
        text=text,
        severity="warning",
        details={
            "estimatedCostUsd": cost,
            "reason": why,
            "approve": commands[0],
            "reject": commands[1],
        },
        links=_common_links(state, region, execution_arn),
    )


def _approval_rejected(
    state: ExecutionState, region: str, execution_arn: str | None
) -> Notification:
    error = state.error
    timed_out = error is not None and error.error == "States.Timeout"
    if timed_out:
        what = "nobody approved it before the approval timeout"
    else:
        cause = error.cause_message() if error else ""
        what = f"it was rejected{': ' + cause if cause else ''}"
    text = (
        f"Run {state.run_id} of {state.pipeline} ({state.dataset.uri}) did not start: {what}. "
        "Nothing was spent. To try again, upload the dataset again (a new object version "
        "starts a new run), or raise budget.auto_approve_usd in "
        f"{spec_keys_for(state.pipeline)[0]} if runs like this should start on their own."
    )
    return _base(
        "approval_rejected",
        state,
        subject="approval timed out" if timed_out else "run rejected",
        text=text,
        severity="warning",
        details={"timedOut": timed_out, "reason": None if timed_out else what},
        links=_common_links(state, region, execution_arn),
    )


def _job_failed(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
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
    links = _common_links(state, region, execution_arn, report=False)
    links.append(Link(label="Bedrock jobs", url=bedrock_jobs_console_url(region)))
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
    "SpecError": "fix the pipeline spec as the message says, then upload the dataset again",
    "DatasetSourceError": "the dataset could not be read (deleted, or no access): check the "
    "object and the functions' permissions, then upload it again",
    "ThrottlingError": "AWS kept throttling after every retry: upload the dataset again later, "
    "or ask for a higher quota",
    "TransientError": "AWS kept failing after every retry: upload the dataset again later",
    "UnknownModelError": "the spec's base model is not in the catalog: fix base_model",
    "UnsupportedCustomizationError": "the base model does not support that customization type",
    "States.Timeout": "the job took longer than the workflow waits (JobTimeoutSeconds); check "
    "the job in the Bedrock console",
    "States.HeartbeatTimeout": "nobody reported on the job in time (reconcile_jobs sends "
    "heartbeats): check that the ReconcileJobs schedule runs",
}


def _pipeline_failed(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
    error = state.error
    name = error.error_type() if error else "unknown error"
    cause = error.cause_message() if error else ""
    if name == "JobStartError":
        hint = explain_failure(
            cause, dataset=state.dataset.uri, model=str(_spec_value(state, "base_model", ""))
        )
    else:
        hint = _ERROR_HINTS.get(
            name, "look at the execution's failed step for details, then upload the dataset again"
        )
    text = (
        f"Run {state.run_id} of {state.pipeline} ({state.dataset.uri}) failed: {name}"
        + (f": {cause}" if cause else "")
        + f".\nWhat to do: {hint}."
    )
    return _base(
        "pipeline_failed",
        state,
        subject=f"run failed ({name})",
        text=text,
        severity="error",
        details={"error": name, "cause": cause, "hint": hint},
        links=_common_links(state, region, execution_arn),
    )


def _succeeded(state: ExecutionState, region: str, execution_arn: str | None) -> Notification:
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
    promotion = _spec_value(state, "promotion", "manual")
    if promotion == "manual":
        lines.append(
            "Promotion is manual: point an alias (e.g. production) at this version when "
            "you are satisfied. To use it, create a custom model deployment "
            "(on-demand) or provisioned throughput — and delete provisioned throughput "
            "you no longer need: it is billed by the hour."
        )
    else:
        lines.append("Promotion: auto_if_better (the alias moves if validation loss improved).")
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
        },
        links=_common_links(state, region, execution_arn, report=True),
    )


_RENDERERS: dict[str, Callable[[ExecutionState, str, str | None], Notification]] = {
    "invalid_dataset": _invalid_dataset,
    "over_budget": _over_budget,
    "approval_needed": _approval_needed,
    "approval_rejected": _approval_rejected,
    "job_failed": _job_failed,
    "pipeline_failed": _pipeline_failed,
    "succeeded": _succeeded,
}


def render_notification(
    kind: NotifyKind, state: ExecutionState, *, region: str, execution_arn: str | None = None
) -> Notification:
    """Render ``kind`` for the execution state ``state`` (``spec_error``: use
    :func:`render_spec_error`, the run never had an execution)."""
    if kind == "spec_error":
        error = state.error
        return render_spec_error(
            SpecError(error.cause_message() if error else "the pipeline spec is invalid"),
            state=state,
            region=region,
        )
    return _RENDERERS[kind](state, region, execution_arn)


def render_spec_error(error: SpecError, *, state: ExecutionState, region: str) -> Notification:
    """A spec (or dataset key) problem stopped a run before anything started."""
    lines = [
        f"{state.dataset.uri} was uploaded, but no run started: the pipeline spec of "
        f"{state.pipeline} has a problem."
    ]
    for path, message, fix in error.problems:
        where = f"{path}: " if path else ""
        lines.append(f"• {where}{message}" + (f"\n  fix: {fix}" if fix else ""))
    lines.append(
        f"Fix {spec_keys_for(state.pipeline)[0]} in the bucket, then upload the dataset "
        "again (a new object version starts a new run)."
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
        },
        links=[
            Link(
                label="Pipeline spec",
                url=s3_console_url(state.dataset.bucket, spec_keys_for(state.pipeline)[0], region),
            )
        ],
        slack=True,
    )
