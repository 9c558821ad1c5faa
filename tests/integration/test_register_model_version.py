"""register_model_version: metrics from the output CSVs, gap-free versions, lineage."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import InvalidEventError
from bedrock_tuner.models.payloads import ExecutionState
from bedrock_tuner.pipeline.registration import register_version
from integration.conftest import BUCKET, Cloud
from integration.helpers import KEY, completed_job_result, started_job
from lambda_handlers import invoke

TRAINING_CSV = (
    "step_number,epoch_number,training_loss,perplexity\n1,0,2.0,7.4\n2,0,1.2,3.3\n3,1,0.7,2.0\n"
)
VALIDATION_CSV = "step_number,validation_loss,validation_perplexity\n3,0.9,2.5\n"


def completed(cloud: Cloud, *, csvs: bool = True, **kw: Any) -> dict[str, Any]:
    state = started_job(cloud, **kw)
    job = state["job"]
    if csvs:
        prefix = job["outputUri"].removeprefix(f"s3://{BUCKET}/")
        cloud.s3.put_object(
            Bucket=BUCKET,
            Key=f"{prefix}model-customization-job-abc123/training_artifacts/step_wise_training_metrics.csv",
            Body=TRAINING_CSV.encode(),
        )
        cloud.s3.put_object(
            Bucket=BUCKET,
            Key=f"{prefix}model-customization-job-abc123/validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
            Body=VALIDATION_CSV.encode(),
        )
    state["jobResult"] = completed_job_result(cloud, job["jobName"])
    return state


def test_version_one_with_metrics_and_lineage(cloud: Cloud) -> None:
    state = completed(cloud)
    output = invoke("register_model_version", state)
    assert output == {
        "family": "support-bot",
        "version": 1,
        "modelArn": state["jobResult"]["outputModelArn"],
        "metrics": {
            "trainingLoss": 0.7,
            "validationLoss": 0.9,
            "minValidationLoss": 0.9,
            "overfitting": False,
            "overfittingReason": None,
        },
        "promotion": None,  # always present: the workflow's ResultSelector selects it
    }
    item = cloud.item("MODEL#support-bot", "VERSION#00000001")
    assert item is not None
    body = cloud.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    assert item["dataset"]["uri"] == f"s3://{BUCKET}/{KEY}"
    assert item["dataset"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert item["dataset"]["versionId"] == state["dataset"]["versionId"]
    assert item["dataset"]["reportUri"] == state["validation"]["reportUri"]
    assert item["jobArn"] == state["job"]["jobArn"]
    assert item["baseModel"] == "amazon.titan-text-express-v1:0:8k"
    assert item["hyperparameters"]["epochCount"] == "1"  # effective values
    assert item["spec"]["base_model"] == "amazon.titan-text-express-v1:0:8k"
    assert item["executionArn"].endswith(state["settings"]["slotHolder"])
    assert cloud.item("MODEL#support-bot", "COUNTER")["last"] == 1  # type: ignore[index]
    assert cloud.item(f"JOB#{state['job']['jobArn']}", "VERSION")["version"] == 1  # type: ignore[index]
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None and run["status"] == "REGISTERED" and run["version"] == 1


def test_the_same_job_twice_gets_the_same_version(cloud: Cloud) -> None:
    state = completed(cloud)
    first = invoke("register_model_version", state)
    assert invoke("register_model_version", state) == first
    assert cloud.item("MODEL#support-bot", "COUNTER")["last"] == 1  # type: ignore[index]
    assert cloud.item("MODEL#support-bot", "VERSION#00000002") is None


def test_versions_are_gap_free_across_jobs(cloud: Cloud) -> None:
    first = completed(cloud)
    second = completed(cloud)
    assert invoke("register_model_version", first)["version"] == 1
    assert invoke("register_model_version", second)["version"] == 2
    assert invoke("register_model_version", first)["version"] == 1
    versions = default_deps().versions.of_family("support-bot")
    assert [(v.version, v.job_arn) for v in versions] == [
        (1, first["job"]["jobArn"]),
        (2, second["job"]["jobArn"]),
    ]


def test_a_registration_that_loses_the_race_takes_the_next_number(cloud: Cloud) -> None:
    first = completed(cloud)
    second = completed(cloud)
    deps = default_deps()
    store = deps.versions
    real = store.register
    raced = False

    def racing(family: str, job_arn: str, build: Any, **kw: Any) -> Any:
        nonlocal raced

        def build_after_someone_else(number: int) -> Any:
            nonlocal raced
            if not raced:  # another job registers between our read and our write
                raced = True
                store.register = real  # type: ignore[method-assign]
                register_version(ExecutionState.model_validate(second), deps)
            return build(number)

        return real(family, job_arn, build_after_someone_else, **kw)

    store.register = racing  # type: ignore[method-assign]
    output = invoke("register_model_version", first)
    assert output["version"] == 2
    assert [v.version for v in store.of_family("support-bot")] == [1, 2]
    assert store.for_job(second["job"]["jobArn"]).version == 1  # type: ignore[union-attr]


def test_without_csvs_the_jobs_own_losses_are_used(cloud: Cloud) -> None:
    state = completed(cloud, csvs=False)
    state["jobResult"]["trainingLoss"] = 0.5
    output = invoke("register_model_version", state)
    assert output["metrics"]["trainingLoss"] == 0.5
    assert output["metrics"]["validationLoss"] is None


def test_a_job_that_did_not_complete_is_a_coded_error(cloud: Cloud) -> None:
    state = completed(cloud)
    state["jobResult"]["status"] = "Failed"
    with pytest.raises(InvalidEventError, match="Completed"):
        invoke("register_model_version", state)
