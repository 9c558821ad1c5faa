"""The RFT grader a spec names must be one the stack lets Bedrock invoke (the stack parameter
RftGraderFunctionArns, in the functions' settings as BT_RFT_GRADER_ARNS)."""

from __future__ import annotations

import pytest

from bedrock_tuner.errors import SpecError
from bedrock_tuner.pipeline.spec import parse_spec
from bedrock_tuner.settings import Settings

GRADER = "arn:aws:lambda:us-east-1:123456789012:function:grade-math"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:grade-poems"
SPEC = f"""
base_model: amazon.nova-2-lite-v1:0:256k
customization_type: RFT
rft: {{grader_lambda_arn: "{GRADER}"}}
"""


def test_a_grader_the_stack_allows_is_accepted() -> None:
    spec = parse_spec(SPEC, "math", rft_graders=(OTHER, GRADER))
    assert spec.rft is not None and spec.rft.grader_lambda_arn == GRADER


def test_a_grader_the_stack_does_not_allow_is_refused_naming_the_parameter() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(SPEC, "math", rft_graders=(OTHER,))
    error = caught.value
    assert error.path == "rft.grader_lambda_arn"
    assert f"does not let Bedrock invoke the grader {GRADER}" in error.message
    assert f"allowed: {OTHER}" in error.message
    assert error.fix is not None and "RftGraderFunctionArns" in error.fix


def test_a_stack_without_graders_refuses_every_rft_spec() -> None:
    with pytest.raises(SpecError, match=r"allowed: none"):
        parse_spec(SPEC, "math", rft_graders=())


def test_without_a_stack_the_grader_is_not_checked() -> None:
    assert parse_spec(SPEC, "math").rft is not None  # e.g. `bedrock-tuner validate` offline


def test_settings_read_the_graders_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "BT_DATA_BUCKET": "b",
        "BT_TABLE_NAME": "t",
        "BT_IDEMPOTENCY_TABLE": "i",
        "BT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
        "BT_BEDROCK_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
        "BT_RFT_GRADER_ARNS": f"{GRADER}, {OTHER}",
    }.items():
        monkeypatch.setenv(name, value)
    assert Settings().rft_grader_arns == (GRADER, OTHER)  # type: ignore[call-arg]
    monkeypatch.setenv("BT_RFT_GRADER_ARNS", "")
    assert Settings().rft_grader_arns == ()  # type: ignore[call-arg]
