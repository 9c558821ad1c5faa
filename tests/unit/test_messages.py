"""Notifications: every kind renders a text a person can act on; Slack Block Kit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bedrock_tuner.errors import SpecError
from bedrock_tuner.models.payloads import ExecutionState, TopProblem
from bedrock_tuner.notify.messages import (
    SUBJECT_MAX,
    explain_failure,
    render_notification,
    render_spec_error,
)
from bedrock_tuner.notify.slack import build_slack_payload, escape_mrkdwn

RUN = "r0123456789ab"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:Customization:support-bot-" + RUN


def state(**extra: Any) -> ExecutionState:
    base: dict[str, Any] = {
        "runId": RUN,
        "pipeline": "support-bot",
        "dataset": {
            "bucket": "data-bkt",
            "key": "datasets/support-bot/train.jsonl",
            "versionId": "v1",
            "etag": "e",
            "size": 10,
        },
        "spec": {
            "base_model": "amazon.nova-lite-v1:0:300k",
            "notify": {"emails": ["ml@example.com"], "slack": True},
            "budget": {"auto_approve_usd": 25, "max_usd": 100},
            "promotion": "manual",
        },
        "settings": {"slotHolder": "x"},  # the workflow's own keys are ignored
        "validation": {
            "valid": True,
            "reportUri": "s3://data-bkt/datasets/support-bot/train.jsonl.report.json",
            "records": 1200,
            "trainingTokens": 450000,
            "estimatedCostUsd": 42.5,
            "needsApproval": True,
            "overMax": False,
            "topProblems": [],
            "trainingUri": "s3://data-bkt/datasets/support-bot/train.jsonl",
            "validationUri": None,
        },
    }
    base.update(extra)
    return ExecutionState.model_validate(base)


WHERE = "--stack bt-prod --region us-east-1"


def render(kind: str, *, where: str = WHERE, **extra: Any) -> Any:
    return render_notification(
        kind,  # type: ignore[arg-type]
        state(**extra),
        region="us-east-1",
        execution_arn=EXECUTION,
        where=where,
    )


def test_invalid_dataset_lists_top_problems_with_fixes_and_the_report() -> None:
    validation = state().validation
    assert validation is not None
    bad = validation.model_copy(
        update={
            "valid": False,
            "top_problems": [
                TopProblem(
                    code="E_ROLE_ORDER",
                    count=3,
                    fix="Alternate user and assistant.",
                    example="training:2 $.messages[1].role",
                ),
                TopProblem(code="E_BLANK_LINE", count=1, fix="Remove blank lines."),
            ],
        }
    )
    note = render("invalid_dataset", validation=bad.model_dump(by_alias=True))
    assert note.severity == "error"
    assert "E_ROLE_ORDER ×3" in note.text and "Alternate user and assistant." in note.text
    assert "train.jsonl.report.json" in note.text
    assert "bedrock-tuner validate" in note.text
    assert any(link.label == "Validation report" for link in note.links)
    assert note.details["problems"][0]["code"] == "E_ROLE_ORDER"


def test_over_budget_says_nothing_started_and_how_to_proceed() -> None:
    note = render("over_budget")
    assert "$42.50" in note.text and "$100.00" in note.text
    assert "nothing was started" in note.text and "budget.max_usd" in note.text


def test_approval_needed_shows_cost_and_how_to_approve() -> None:
    note = render("approval_needed")
    assert note.severity == "warning"
    assert "$42.50" in note.subject
    assert f"bedrock-tuner approvals approve {RUN} {WHERE}" in note.text
    assert note.details["approve"] == f"bedrock-tuner approvals approve {RUN} {WHERE}"
    assert "--cli-binary-format" not in note.text  # AWS CLI v1 has no such option
    assert "YOUR NAME" not in note.text  # the approver is whoever runs the command


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        ({"Error": "ApprovalRejected", "Cause": "too expensive"}, "rejected: too expensive"),
        ({"Error": "States.Timeout", "Cause": ""}, "nobody approved"),
    ],
)
def test_approval_rejected(error: dict[str, str], needle: str) -> None:
    assert needle in render("approval_rejected", error=error).text


def job_failed(message: str, status: str = "Failed") -> Any:
    return render(
        "job_failed",
        job={
            "jobArn": "arn:job",
            "jobName": "support-bot-" + RUN,
            "customModelName": "m",
            "outputUri": "s3://b/o/",
        },
        jobResult={"status": status, "failureMessage": message},
    )


def test_job_failed_token_limit_maps_to_the_validator() -> None:
    note = job_failed("Maximum input token count 4919 exceeds limit of 4096 for record at line 17")
    assert "Bedrock says: Maximum input token count 4919" in note.text
    assert "over the model's token limit (4919 > 4096 tokens)" in note.text
    assert (
        "bedrock-tuner validate s3://data-bkt/datasets/support-bot/train.jsonl "
        "--model amazon.nova-lite-v1:0:300k" in note.text
    )


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        ("ServiceQuotaExceededException: limit of concurrent jobs reached", "Service Quotas"),
        ("AccessDenied: not authorized to perform s3:GetObject", "BedrockCustomizationRole"),
        ("KMS key is disabled", "kms:Decrypt"),
        ("Invalid JSON in record 12", "bedrock-tuner validate"),
        ("Internal server error", "AWS Support"),
        ("something else entirely", "Bedrock console"),
    ],
)
def test_failure_hints(message: str, needle: str) -> None:
    assert needle in explain_failure(message, dataset="s3://b/k", model="m")


def test_stopped_job() -> None:
    note = job_failed("", status="Stopped")
    assert "stopped" in note.subject and "someone stopped the job" in note.text


def test_pipeline_failed_reads_the_lambda_error_cause() -> None:
    cause = json.dumps(
        {"errorMessage": "access denied to s3://b/k", "errorType": "DatasetSourceError"}
    )
    note = render("pipeline_failed", error={"Error": "DatasetSourceError", "Cause": cause})
    assert "DatasetSourceError: access denied to s3://b/k" in note.text
    assert "could not be read" in note.text
    start = json.dumps(
        {"errorMessage": "AccessDeniedException: role", "errorType": "JobStartError"}
    )
    assert (
        "BedrockCustomizationRole"
        in render("pipeline_failed", error={"Error": "JobStartError", "Cause": start}).text
    )


def test_succeeded_with_metrics_and_overfitting_warning() -> None:
    version = {
        "family": "support-bot",
        "version": 3,
        "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
        "metrics": {
            "trainingLoss": 0.31,
            "validationLoss": 0.52,
            "overfitting": True,
            "overfittingReason": "final validation loss 0.52 is more than 1.1× its minimum 0.4",
        },
    }
    note = render("succeeded", version=version)
    assert note.subject.endswith("support-bot v3 ready")
    assert "custom-model/x" in note.text
    assert "training loss 0.31" in note.text and "validation loss 0.52" in note.text
    assert "overfitting" in note.text and "1.1×" in note.text
    assert note.severity == "warning"
    healthy = {**version, "metrics": {"trainingLoss": 0.3, "overfitting": False}}
    assert render("succeeded", version=healthy).severity == "success"


def test_spec_error_names_every_problem() -> None:
    error = SpecError(
        "two problems",
        problems=(
            ("budget.max_usd", "is below 0", "use a positive number"),
            ("notfy", "unknown", "did you mean notify?"),
        ),
    )
    note = render_spec_error(error, state=state(), region="us-east-1")
    assert note.kind == "spec_error"
    assert "budget.max_usd: is below 0" in note.text and "did you mean notify?" in note.text
    assert "pipelines/support-bot.yaml" in note.text
    assert note.details["problems"][1]["path"] == "notfy"


def test_subjects_fit_sns() -> None:
    note = render_notification("over_budget", state(pipeline="p" * 200), region="us-east-1")
    assert len(note.subject) <= SUBJECT_MAX and "\n" not in note.subject
    assert note.attributes() == {
        "kind": "over_budget",
        "pipeline": "p" * 200,
        "severity": "warning",
        "emails": ["ml@example.com"],  # notify.emails: their subscriptions filter on it
    }


def test_slack_flag_follows_the_spec() -> None:
    spec = {**state().spec, "notify": {"slack": False}}
    assert render("approval_needed", spec=spec).slack is False


def test_slack_block_kit() -> None:
    note = render("approval_needed")
    payload = build_slack_payload(note)
    assert payload["text"] == note.subject
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["header", "section", "section", "actions", "context"]
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    assert all(b["url"].startswith("https://") for b in payload["blocks"][3]["elements"])
    fields = payload["blocks"][2]["fields"]
    assert any("$42.50" in f["text"] for f in fields)
    json.dumps(payload)


def test_mrkdwn_is_escaped() -> None:
    assert escape_mrkdwn("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"


# --------------------------------------------------------------------------- issue 7


def test_invalid_dataset_counts_come_from_the_report_not_the_top_five() -> None:
    """A file with 10 error codes (37 errors): the message says so, though it lists 5."""
    validation = state().validation
    assert validation is not None
    top = [TopProblem(code=f"E_{i}", count=5 if i < 2 else 3, fix="fix it") for i in range(5)]
    bad = validation.model_copy(
        update={
            "valid": False,
            "top_problems": top,
            "errors": 37,
            "warnings": 4,
            "error_codes": 10,
            "warning_codes": 2,
            "invalid_records": 21,
        }
    )
    note = render("invalid_dataset", validation=bad.model_dump(by_alias=True))
    assert "37 errors of 10 kinds" in note.subject
    assert "5 kinds" not in note.subject
    assert note.details["errors"] == 37 and note.details["errorCodes"] == 10
    assert note.details["invalidRecords"] == 21
    assert "The first 5 of 12 kinds of problem" in note.text


def test_approval_for_an_unpriced_model_states_the_real_reason() -> None:
    reason = (
        "the catalog has no training price for this model, so the cost is unknown: a person "
        "approves (add a price with a catalog override to automate this)"
    )
    validation = {
        **state().validation.model_dump(by_alias=True),  # type: ignore[union-attr]
        "estimatedCostUsd": None,
        "budgetReason": reason,
    }
    note = render("approval_needed", validation=validation)
    assert note.subject.endswith("approval needed (cost unknown)")
    assert reason in note.text
    assert "above the auto-approve limit" not in note.text
    assert note.details["reason"] == reason


@pytest.mark.parametrize("where", ["--local", "--stack bt --region eu-west-1", ""])
def test_printed_commands_say_how_to_find_the_stack(where: str) -> None:
    note = render("approval_needed", where=where)
    approve = note.details["approve"]
    assert approve.startswith(f"bedrock-tuner approvals approve {RUN}")
    assert approve.endswith(where)
    rejected = render(
        "approval_rejected", where=where, error={"Error": "ApprovalRejected", "Cause": "no"}
    )
    assert rejected.details["retry"] == (
        "bedrock-tuner runs start support-bot s3://data-bkt/datasets/support-bot/train.jsonl"
        + (f" {where}" if where else "")
    )


def _promoted(**promotion: Any) -> dict[str, Any]:
    return {
        "family": "support-bot",
        "version": 2,
        "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
        "metrics": {"trainingLoss": 0.3, "validationLoss": 0.41},
        "promotion": promotion or None,
    }


@pytest.mark.parametrize(
    ("promotion", "needles", "moved"),
    [
        (
            {
                "alias": "production",
                "status": "promoted",
                "reason": "validation loss 0.41 < 0.52",
                "metric": "validationLoss",
                "candidate": 0.41,
                "current": 0.52,
                "currentVersion": 1,
            },
            ["production now points at v2 (was v1): validation loss 0.41 < 0.52"],
            True,
        ),
        (
            {
                "alias": "production",
                "status": "skipped",
                "reason": "validation loss 0.55 is not lower than 0.52",
                "currentVersion": 1,
            },
            ["production stays at v1: validation loss 0.55 is not lower than 0.52"],
            False,
        ),
        (
            {
                "alias": "production",
                "status": "failed",
                "reason": "promotion failed",
                "error": "SSM is down",
                "currentVersion": 1,
            },
            [
                "Auto-promotion failed, so production stays at v1: SSM is down",
                f"bedrock-tuner promote support-bot production 2 --reason reviewed {WHERE}",
            ],
            False,
        ),
        (
            {},
            [
                "Promotion is manual: no alias moved",
                f"bedrock-tuner promote support-bot production 2 --reason reviewed {WHERE}",
            ],
            False,
        ),
    ],
    ids=["promoted", "skipped", "failed", "manual"],
)
def test_every_success_message_says_whether_the_alias_moved(
    promotion: dict[str, Any], needles: list[str], moved: bool
) -> None:
    note = render("succeeded", version=_promoted(**promotion))
    for needle in needles:
        assert needle in note.text
    assert note.details["promotion"]["moved"] is moved


def test_the_same_bytes_as_a_registered_version_are_noted() -> None:
    validation = {
        **state().validation.model_dump(by_alias=True),  # type: ignore[union-attr]
        "sameDataAs": 3,
        "datasetSha256": "ab" * 32,
    }
    for kind in ("approval_needed", "succeeded"):
        note = render(kind, validation=validation, version=_promoted())
        assert "same SHA-256 (abababababab…) as the data of support-bot v3" in note.text
