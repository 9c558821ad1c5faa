"""The Bedrock simulator through the Bedrock API (boto3 on the local endpoint): job lifecycle,
outputs, idempotency, the failure knobs, and the state-change events as EventBridge delivers
them (an SQS tap rule on the default bus sees what the stack's rule sees)."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_tuner_localcloud.server import LocalCloud

BASE_MODEL = "amazon.nova-lite-v1:0:300k"
# Not the stack's Bedrock role: the stack's rule (roleArn filter) ignores these jobs.
OTHER_ROLE = "arn:aws:iam::123456789012:role/simulator-tests"


@pytest.fixture
def bedrock(cloud: LocalCloud) -> Any:
    return cloud.client("bedrock")


@pytest.fixture
def tap(cloud: LocalCloud) -> Iterator[Any]:
    """An EventBridge rule on the Bedrock events with an SQS target; yields a reader."""
    events, sqs = cloud.client("events"), cloud.client("sqs")
    name = f"sim-tap-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=name,
        EventPattern=json.dumps({"source": ["aws.bedrock"], "detail": {"roleArn": [OTHER_ROLE]}}),
    )
    events.put_targets(Rule=name, Targets=[{"Id": "tap", "Arn": arn}])

    def read(expected: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < expected and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                got.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            time.sleep(0.02)
        time.sleep(0.1)  # nothing more should arrive
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
        return got

    yield read
    events.remove_targets(Rule=name, Ids=["tap"])
    events.delete_rule(Name=name)
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def training_uri(cloud: LocalCloud) -> str:
    bucket = cloud.stack.physical_id("DataBucket")
    key = f"work/sim-tests/{uuid.uuid4().hex[:8]}/train.jsonl"
    body = b"".join(
        json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}).encode() + b"\n" for i in range(12)
    )
    cloud.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def _create(bedrock: Any, cloud: LocalCloud, training_uri: str, **overrides: Any) -> str:
    name = overrides.pop("jobName", f"sim-{uuid.uuid4().hex[:10]}")
    bucket = cloud.stack.physical_id("DataBucket")
    request: dict[str, Any] = {
        "jobName": name,
        "customModelName": f"{name}-model",
        "roleArn": OTHER_ROLE,
        "baseModelIdentifier": BASE_MODEL,
        "customizationType": "FINE_TUNING",
        "trainingDataConfig": {"s3Uri": training_uri},
        "outputDataConfig": {"s3Uri": f"s3://{bucket}/outputs/sim-tests/{name}/"},
        "hyperParameters": {"epochCount": "2"},
        **overrides,
    }
    return str(bedrock.create_model_customization_job(**request)["jobArn"])


def _read_csv(cloud: LocalCloud, uri: str) -> list[dict[str, str]]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_a_job_moves_through_its_stages_and_writes_its_outputs(
    cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any
) -> None:
    validation_uri = training_uri  # any readable object will do for the simulator
    arn = _create(
        bedrock,
        cloud,
        training_uri,
        validationDataConfig={"validators": [{"s3Uri": validation_uri}]},
    )
    assert arn.startswith(
        f"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/{BASE_MODEL}/"
    )
    started = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert started["status"] == "InProgress"
    assert started["statusDetails"]["validationDetails"]["status"] in ("InProgress", "Completed")
    assert "outputModelArn" not in started

    job = cloud.bedrock.wait_for(arn, {"Completed"}, timeout=5)
    stages = [(what, status) for _, what, status in job.history]
    assert stages == [
        ("job", "InProgress"),
        ("validation", "InProgress"),
        ("validation", "Completed"),
        ("dataProcessing", "InProgress"),
        ("dataProcessing", "Completed"),
        ("training", "InProgress"),
        ("training", "Completed"),
        ("job", "Completed"),
    ]
    done = bedrock.get_model_customization_job(jobIdentifier=job.job_name)
    assert done["status"] == "Completed"
    assert {d["status"] for d in done["statusDetails"].values()} == {"Completed"}
    assert done["trainingMetrics"]["trainingLoss"] > 0
    assert done["validationMetrics"][0]["validationLoss"] > 0
    prefix = f"{done['outputDataConfig']['s3Uri'].rstrip('/')}/model-customization-job-{arn.rsplit('/', 1)[-1]}/"
    training = _read_csv(cloud, prefix + "training_artifacts/step_wise_training_metrics.csv")
    assert list(training[0]) == ["step_number", "epoch_number", "training_loss", "perplexity"]
    assert float(training[-1]["training_loss"]) == pytest.approx(
        done["trainingMetrics"]["trainingLoss"], abs=1e-4
    )
    validation = _read_csv(
        cloud,
        prefix
        + "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
    )
    assert list(validation[0]) == ["step_number", "epoch_number", "validation_loss", "perplexity"]
    model = bedrock.get_custom_model(modelIdentifier=done["outputModelArn"])
    assert model["jobArn"] == arn and model["modelName"] == done["outputModelName"]

    events = tap(expected=2)
    assert [e["detail"]["jobStatus"] for e in events] == ["InProgress", "Completed"]
    final = events[-1]
    assert final["source"] == "aws.bedrock"
    assert final["detail-type"] == "Model Customization Job State Change"
    assert final["resources"] == [arn]
    assert final["detail"]["outputModelArn"] == done["outputModelArn"]
    assert {
        "jobName",
        "jobArn",
        "roleArn",
        "baseModelArn",
        "creationTime",
        "endTime",
        "outputDataConfig",
    } <= set(final["detail"])


def test_list_and_stop(cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any) -> None:
    cloud.bedrock.set_speed(20)  # keep the job running
    arn = _create(bedrock, cloud, training_uri, jobName="sim-stop-me")
    listed = bedrock.list_model_customization_jobs(
        nameContains="stop-me", statusEquals="InProgress"
    )
    assert [j["jobArn"] for j in listed["modelCustomizationJobSummaries"]] == [arn]
    cloud.bedrock.set_speed(1)  # the stop itself is quick
    bedrock.stop_model_customization_job(jobIdentifier=arn)
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] in (
        "Stopping",
        "Stopped",
    )
    cloud.bedrock.wait_for(arn, {"Stopped"}, timeout=5)
    assert [e["detail"]["jobStatus"] for e in tap(expected=3)] == [
        "InProgress",
        "Stopping",
        "Stopped",
    ]
    with pytest.raises(ClientError) as err:
        bedrock.stop_model_customization_job(jobIdentifier=arn)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_client_request_token_makes_create_idempotent(
    cloud: LocalCloud, bedrock: Any, training_uri: str
) -> None:
    first = _create(bedrock, cloud, training_uri, jobName="sim-token", clientRequestToken="r123")
    again = _create(bedrock, cloud, training_uri, jobName="sim-token", clientRequestToken="r123")
    assert again == first
    with pytest.raises(ClientError) as conflict:
        _create(bedrock, cloud, training_uri, jobName="sim-token-2", clientRequestToken="r123")
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as taken:
        _create(bedrock, cloud, training_uri, jobName="sim-token")
    assert taken.value.response["Error"]["Code"] == "ValidationException"


def test_throttle_next_creates(cloud: LocalCloud, training_uri: str) -> None:
    no_retry = cloud.client("bedrock", max_attempts=1)
    cloud.bedrock.throttle_next_creates(2)
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            _create(no_retry, cloud, training_uri)
        assert err.value.response["Error"]["Code"] == "ThrottlingException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert _create(no_retry, cloud, training_uri)


def test_fail_next_fails_the_matching_job_in_the_chosen_stage(
    cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any
) -> None:
    cloud.bedrock.fail_next(
        "doomed", "Maximum input token count 4919 exceeds limit of 4096", stage="dataProcessing"
    )
    lucky = _create(bedrock, cloud, training_uri, jobName="sim-lucky")
    doomed = _create(bedrock, cloud, training_uri, jobName="sim-doomed")
    job = cloud.bedrock.wait_for(doomed, {"Completed", "Failed"}, timeout=5)
    assert job.status == "Failed"
    got = bedrock.get_model_customization_job(jobIdentifier=doomed)
    assert got["failureMessage"] == "Maximum input token count 4919 exceeds limit of 4096"
    assert got["statusDetails"]["dataProcessingDetails"]["status"] == "Failed"
    assert got["statusDetails"]["trainingDetails"]["status"] == "NotStarted"
    assert cloud.bedrock.wait_for(lucky, {"Completed", "Failed"}, timeout=5).status == "Completed"
    failed = [e for e in tap(expected=4) if e["detail"]["jobStatus"] == "Failed"]
    assert [e["detail"]["jobArn"] for e in failed] == [doomed]
    assert failed[0]["detail"]["failureMessage"] == got["failureMessage"]


def test_missing_training_data_fails_validation(cloud: LocalCloud, bedrock: Any) -> None:
    bucket = cloud.stack.physical_id("DataBucket")
    arn = _create(bedrock, cloud, f"s3://{bucket}/datasets/nope/missing.jsonl")
    job = cloud.bedrock.wait_for(arn, {"Completed", "Failed"}, timeout=5)
    assert job.status == "Failed"
    assert job.stages["validation"]["status"] == "Failed"
    assert "missing.jsonl" in (job.failure_message or "")


def test_dropped_terminal_event(
    cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any
) -> None:
    cloud.bedrock.drop_events_for("quiet")
    arn = _create(bedrock, cloud, training_uri, jobName="sim-quiet")
    cloud.bedrock.wait_for(arn, {"Completed"}, timeout=5)
    assert [e["detail"]["jobStatus"] for e in tap(expected=1)] == ["InProgress"]
    assert [(e.status, e.dropped) for e in cloud.bedrock.events] == [
        ("InProgress", False),
        ("Completed", True),
    ]
    assert bedrock.get_model_customization_job(jobIdentifier=arn)["status"] == "Completed"


def test_duplicate_events_share_their_id(
    cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any
) -> None:
    cloud.bedrock.duplicate_events(True)
    arn = _create(bedrock, cloud, training_uri)
    cloud.bedrock.wait_for(arn, {"Completed"}, timeout=5)
    events = tap(expected=4)
    assert [e["detail"]["jobStatus"] for e in events] == [
        "InProgress",
        "InProgress",
        "Completed",
        "Completed",
    ]
    assert events[0]["id"] == events[1]["id"] and events[2]["id"] == events[3]["id"]


def test_out_of_order_delivers_in_progress_after_the_end(
    cloud: LocalCloud, bedrock: Any, training_uri: str, tap: Any
) -> None:
    cloud.bedrock.out_of_order(True)
    arn = _create(bedrock, cloud, training_uri)
    cloud.bedrock.wait_for(arn, {"Completed"}, timeout=5)
    assert [e["detail"]["jobStatus"] for e in tap(expected=2)] == ["Completed", "InProgress"]


def test_set_losses(cloud: LocalCloud, bedrock: Any, training_uri: str) -> None:
    cloud.bedrock.set_losses(0.123, 0.456)
    arn = _create(
        bedrock, cloud, training_uri, validationDataConfig={"validators": [{"s3Uri": training_uri}]}
    )
    cloud.bedrock.wait_for(arn, {"Completed"}, timeout=5)
    got = bedrock.get_model_customization_job(jobIdentifier=arn)
    assert got["trainingMetrics"]["trainingLoss"] == 0.123
    assert got["validationMetrics"] == [{"validationLoss": 0.456}]


def test_bad_requests_are_rejected(cloud: LocalCloud, bedrock: Any, training_uri: str) -> None:
    with pytest.raises(ClientError) as err:
        _create(bedrock, cloud, training_uri, jobName="bad name!")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        bedrock.get_model_customization_job(jobIdentifier="no-such-job")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
