"""The CreateModelCustomizationJob request built from spec + run + validation."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bedrock_tuner.errors import JobStartError
from bedrock_tuner.pipeline.jobs import (
    build_job_request,
    job_name_for,
    output_uri_for,
    render_custom_model_name,
)
from bedrock_tuner.pipeline.spec import parse_spec
from bedrock_tuner.settings import Settings

JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9+\-.])*$")
MODEL_NAME = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
NOW = dt.datetime(2026, 11, 28, 4, 51, 29, tzinfo=dt.UTC)
RUN = "r0123456789ab"


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_bucket": "data-bkt",
        "table_name": "t",
        "idempotency_table": "i",
        "topic_arn": "arn:aws:sns:us-east-1:123456789012:topic",
        "bedrock_role_arn": "arn:aws:iam::123456789012:role/BedrockCustomizationRole",
        # every field explicit: nothing may come from the environment of the test process
        "kms_key_arn": None,
        "job_subnet_ids": "",
        "job_security_group_ids": "",
        "auto_approve_usd": 25,
        "max_concurrent_jobs": 2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def build(spec_text: str, **kw: object) -> dict[str, object]:
    spec = parse_spec(spec_text, "support-bot")
    job = build_job_request(
        spec,
        pipeline="support-bot",
        run_id=RUN,
        training_uri=str(kw.pop("training_uri", "s3://data-bkt/datasets/support-bot/train.jsonl")),
        validation_uri=kw.pop("validation_uri", None),  # type: ignore[arg-type]
        settings=kw.pop("settings", settings()),  # type: ignore[arg-type]
        now=NOW,
        next_version=kw.pop("next_version", None),  # type: ignore[arg-type]
    )
    assert JOB_NAME.match(job.job_name) and len(job.job_name) <= 63
    assert MODEL_NAME.match(job.custom_model_name) and len(job.custom_model_name) <= 63
    return job.request


SPEC = """
base_model: amazon.nova-lite-v1:0
hyperparameters: {epochCount: 2}
tags: {team: support}
"""


def test_full_request() -> None:
    request = build(SPEC, validation_uri="s3://data-bkt/work/support-bot/r/validation.jsonl")
    assert request["jobName"] == f"support-bot-{RUN}"
    assert request["customModelName"] == f"support-bot-20261128-{RUN}"
    assert request["clientRequestToken"] == RUN
    assert request["roleArn"] == "arn:aws:iam::123456789012:role/BedrockCustomizationRole"
    assert request["baseModelIdentifier"] == "amazon.nova-lite-v1:0:300k"
    assert request["customizationType"] == "FINE_TUNING"
    assert request["hyperParameters"] == {"epochCount": "2"}
    assert request["trainingDataConfig"] == {
        "s3Uri": "s3://data-bkt/datasets/support-bot/train.jsonl"
    }
    assert request["validationDataConfig"] == {
        "validators": [{"s3Uri": "s3://data-bkt/work/support-bot/r/validation.jsonl"}]
    }
    assert request["outputDataConfig"] == {"s3Uri": f"s3://data-bkt/outputs/support-bot/{RUN}/"}
    tags = {t["key"]: t["value"] for t in request["jobTags"]}  # type: ignore[attr-defined]
    assert tags == {
        "team": "support",
        "bedrock-tuner:pipeline": "support-bot",
        "bedrock-tuner:run": RUN,
    }
    assert request["customModelTags"] == request["jobTags"]
    assert "vpcConfig" not in request
    assert "customModelKmsKeyId" not in request


def test_kms_and_vpc_when_configured() -> None:
    request = build(
        SPEC,
        settings=settings(
            kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
            job_subnet_ids="subnet-1,subnet-2",
            job_security_group_ids="sg-1",
        ),
    )
    assert request["customModelKmsKeyId"].startswith("arn:aws:kms:")  # type: ignore[attr-defined]
    assert request["vpcConfig"] == {
        "subnetIds": ["subnet-1", "subnet-2"],
        "securityGroupIds": ["sg-1"],
    }


def test_vpc_needs_both_subnets_and_groups() -> None:
    request = build(SPEC, settings=settings(job_subnet_ids="subnet-1", job_security_group_ids=""))
    assert "vpcConfig" not in request


def test_no_hyperparameters_no_map() -> None:
    assert "hyperParameters" not in build("base_model: amazon.nova-lite-v1:0\n")


def test_distillation_config() -> None:
    request = build(
        "base_model: amazon.nova-lite-v1:0\ncustomization_type: DISTILLATION\n"
        "distillation: {teacher_model: amazon.nova-premier-v1:0, max_response_length: 2000}\n"
    )
    assert request["customizationConfig"] == {
        "distillationConfig": {
            "teacherModelConfig": {
                "teacherModelIdentifier": "amazon.nova-premier-v1:0:1000k",
                "maxResponseLengthForInference": 2000,
            }
        }
    }


def test_rft_hyperparameters_are_typed_inside_rft_config() -> None:
    request = build(
        "base_model: openai.gpt-oss-20b\ncustomization_type: RFT\n"
        "hyperparameters: {epochCount: 3, learningRate: '0.0001', reasoningEffort: low}\n"
        "rft: {grader_lambda_arn: 'arn:aws:lambda:us-west-2:123456789012:function:grader'}\n"
    )
    assert "hyperParameters" not in request
    assert request["customizationConfig"] == {
        "rftConfig": {
            "graderConfig": {
                "lambdaGrader": {
                    "lambdaArn": "arn:aws:lambda:us-west-2:123456789012:function:grader"
                }
            },
            "hyperParameters": {"epochCount": 3, "learningRate": 0.0001, "reasoningEffort": "low"},
        }
    }


def test_keys_bedrock_refuses_are_a_job_start_error() -> None:
    with pytest.raises(JobStartError) as caught:
        build(SPEC, training_uri="s3://data-bkt/datasets/support-bot/my file.jsonl")
    assert "letters, digits" in (caught.value.fix or "")


def test_job_name_shortens_the_pipeline_and_keeps_the_run() -> None:
    name = job_name_for("a_very_long_pipeline_name_" * 4, RUN)
    assert len(name) <= 63 and name.endswith(RUN) and JOB_NAME.match(name)
    assert "_" not in name


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{pipeline}-{date}-{run}", f"support-bot-20261128-{RUN}"),
        ("{pipeline}-{version}", "support-bot-v7"),
        ("m_{time}_{run}", f"m_045129_{RUN}"),
    ],
)
def test_custom_model_name(pattern: str, expected: str) -> None:
    assert (
        render_custom_model_name(pattern, pipeline="support-bot", run_id=RUN, now=NOW, version=7)
        == expected
    )


def test_custom_model_name_sanitises_and_keeps_the_run_when_cut() -> None:
    name = render_custom_model_name(
        "{pipeline}-{date}-{run}", pipeline="my.pipe__line" * 6, run_id=RUN, now=NOW
    )
    assert len(name) <= 63 and name.endswith(RUN) and MODEL_NAME.match(name)
    assert render_custom_model_name("{version}-{run}", pipeline="p", run_id=RUN, now=NOW) == (
        f"vnext-{RUN}"
    )


def test_output_uri() -> None:
    assert output_uri_for("b", "p", RUN) == f"s3://b/outputs/p/{RUN}/"
