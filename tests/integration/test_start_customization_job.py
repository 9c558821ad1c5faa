"""start_customization_job: the job request, idempotency, and Bedrock's errors by name."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bedrock_tuner.aws.bedrock import BedrockJobs
from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import JobStartError, ThrottlingError, TransientError
from integration.conftest import BUCKET, REGION, ROLE_ARN, Cloud
from integration.helpers import KEY, RECORDS, started_job, validated
from lambda_handlers import invoke


def test_the_job_is_created_as_the_contract_says(cloud: Cloud) -> None:
    state = started_job(cloud)
    run_id = state["runId"]
    job = state["job"]
    assert set(job) == {"jobArn", "jobName", "customModelName", "outputUri"}
    assert job["jobName"] == f"support-bot-{run_id}"
    assert job["outputUri"] == f"s3://{BUCKET}/outputs/support-bot/{run_id}/"
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=job["jobName"])
    assert described["roleArn"] == ROLE_ARN
    assert described["clientRequestToken"] == run_id
    # the job trains on the run's own copy of the validated bytes (I5)
    work = f"s3://{BUCKET}/work/support-bot/{state['runId']}/train.jsonl"
    assert described["trainingDataConfig"] == {"s3Uri": work}
    assert described["outputDataConfig"] == {"s3Uri": job["outputUri"]}
    assert described["hyperParameters"] == {"epochCount": "1"}
    assert described["customizationType"] == "FINE_TUNING"
    tags = cloud.bedrock.list_tags_for_resource(resourceARN=job["jobArn"])["tags"]
    assert {t["key"]: t["value"] for t in tags} == {
        "team": "support",
        "bedrock-tuner:pipeline": "support-bot",
        "bedrock-tuner:run": run_id,
    }
    # The job is in flight in the store, and the run is training
    item = cloud.item(f"JOB#{job['jobArn']}", "JOB")
    assert item is not None
    assert item["status"] == "InProgress" and item["GSI2PK"] == "JOB#INFLIGHT"
    assert item["runId"] == run_id
    run = cloud.item(f"RUN#{run_id}", "RUN")
    assert run is not None and run["status"] == "TRAINING" and run["jobArn"] == job["jobArn"]


def test_a_retried_start_returns_the_same_job(cloud: Cloud) -> None:
    state = started_job(cloud)
    again = invoke("start_customization_job", state)
    assert again == state["job"]
    assert len(cloud.bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]) == 1


def test_the_validated_split_is_what_the_job_reads(cloud: Cloud) -> None:
    spec = "base_model: amazon.titan-text-express-v1:0:8k\nvalidation: {split_ratio: 0.25}\n"
    state = started_job(cloud, spec=spec)
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=state["job"]["jobName"])
    prefix = f"s3://{BUCKET}/work/support-bot/{state['runId']}/"
    assert described["trainingDataConfig"] == {"s3Uri": prefix + "train.jsonl"}
    assert described["validationDataConfig"] == {
        "validators": [{"s3Uri": prefix + "validation.jsonl"}]
    }


def test_a_dataset_replaced_after_validation_is_not_what_the_job_trains_on(cloud: Cloud) -> None:
    """D5/I5: an overwrite between validation and the start cannot change the training
    data (nor fail the run: the newer upload has its own run)."""
    import hashlib

    state = validated(cloud)
    validated_bytes = cloud.s3.get_object(
        Bucket=BUCKET, Key=KEY, VersionId=state["dataset"]["versionId"]
    )["Body"].read()
    cloud.upload(KEY, RECORDS[:5])  # a newer version lands before the job starts
    job = invoke("start_customization_job", state)
    described = cloud.bedrock.get_model_customization_job(jobIdentifier=job["jobName"])
    trained_key = described["trainingDataConfig"]["s3Uri"].removeprefix(f"s3://{BUCKET}/")
    trained = cloud.s3.get_object(Bucket=BUCKET, Key=trained_key)["Body"].read()
    assert trained == validated_bytes
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None
    assert run["dataset"]["sha256"] == hashlib.sha256(trained).hexdigest()
    assert run["validation"]["records"] == len(RECORDS)


def stub_bedrock(code: str, status: int, message: str = "nope") -> None:
    """Bedrock's errors cannot be provoked in moto: stub the client under the adapter."""
    client: Any = boto3.client("bedrock", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error(
        "create_model_customization_job",
        service_error_code=code,
        service_message=message,
        http_status_code=status,
    )
    stubber.activate()
    default_deps().bedrock = BedrockJobs(client_factory=lambda: client)


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ThrottlingException", 429, ThrottlingError),
        ("ServiceQuotaExceededException", 400, ThrottlingError),
        ("TooManyRequestsException", 429, ThrottlingError),
        ("ServiceUnavailableException", 503, TransientError),
        ("InternalServerException", 500, TransientError),
        ("ValidationException", 400, JobStartError),
        ("AccessDeniedException", 403, JobStartError),
    ],
)
def test_bedrock_errors_map_to_named_errors(
    cloud: Cloud, code: str, status: int, error: type[Exception]
) -> None:
    state = validated(cloud)
    stub_bedrock(code, status, message=f"{code} from Bedrock")
    with pytest.raises(error) as caught:
        invoke("start_customization_job", state)
    assert type(caught.value).__name__ == error.__name__  # the name the workflow matches
    assert f"{code} from Bedrock" in str(caught.value)
    assert caught.value.__cause__ is not None  # raised `from` the ClientError


def test_without_a_validation_result_it_is_a_coded_error(cloud: Cloud) -> None:
    from bedrock_tuner.errors import InvalidEventError
    from integration.helpers import start_run

    with pytest.raises(InvalidEventError, match="trainingUri"):
        invoke("start_customization_job", start_run(cloud))
