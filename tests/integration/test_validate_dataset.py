"""validate_dataset: stream from S3, report next to the data, split, budget decision."""

from __future__ import annotations

import hashlib
import json

import pytest

from bedrock_tuner.errors import DatasetSourceError
from factories import prompt_completion
from integration.conftest import BUCKET, Cloud
from integration.helpers import KEY, RECORDS, start_run
from lambda_handlers import invoke

OUTPUT_KEYS = {
    "valid",
    "reportUri",
    "records",
    "validationRecords",
    "trainingTokens",
    "estimatedCostUsd",
    "needsApproval",
    "overMax",
    "topProblems",
    "trainingUri",
    "validationUri",
}


def test_a_valid_dataset(cloud: Cloud) -> None:
    state = start_run(cloud)
    output = invoke("validate_dataset", state)
    # Every documented key is present (the workflow's ResultSelector needs them all)
    assert set(output) >= OUTPUT_KEYS
    assert output["valid"] is True
    assert output["records"] == len(RECORDS)
    # the job will train on the run's own copy of these bytes (I5)
    assert output["trainingUri"] == f"s3://{BUCKET}/work/support-bot/{state['runId']}/train.jsonl"
    assert output["validationUri"] is None
    assert output["estimatedCostUsd"] is not None and output["estimatedCostUsd"] < 1
    assert (output["needsApproval"], output["overMax"]) == (False, False)
    # The report lies next to the data
    assert output["reportUri"] == f"s3://{BUCKET}/{KEY}.report.json"
    report = json.loads(cloud.text(f"{KEY}.report.json"))
    assert report["summary"]["valid"] is True and report["summary"]["records"] == len(RECORDS)
    # The run records the outcome, the cost and the dataset's SHA-256 (one streaming pass)
    body = cloud.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    run = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert run is not None
    assert run["status"] == "VALIDATED"
    assert run["dataset"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert output["datasetSha256"] == hashlib.sha256(body).hexdigest()
    assert run["validation"]["reportUri"] == output["reportUri"]
    assert [s["name"] for s in run["steps"]][-2:] == ["validate", "validate"]


def test_an_invalid_dataset_lists_its_top_problems(cloud: Cloud) -> None:
    records: list[object] = [prompt_completion(i) for i in range(6)]
    records[2] = {"prompt": "only a prompt"}
    body = b"".join(json.dumps(r).encode() + b"\n" for r in records) + b"\n{broken\n"
    state = start_run(cloud, records=body)
    output = invoke("validate_dataset", state)
    assert output["valid"] is False
    codes = [problem["code"] for problem in output["topProblems"]]
    assert "E_JSON_INVALID" in codes or "E_JSON" in " ".join(codes)
    assert all(problem["fix"] for problem in output["topProblems"])
    assert output["trainingUri"] is None and output["needsApproval"] is False
    assert cloud.item(f"RUN#{state['runId']}", "RUN")["status"] == "INVALID"  # type: ignore[index]


def test_split_ratio_writes_work_files(cloud: Cloud) -> None:
    spec = (
        "base_model: amazon.titan-text-express-v1:0:8k\nvalidation: {split_ratio: 0.25, seed: 7}\n"
    )
    state = start_run(cloud, spec=spec)
    output = invoke("validate_dataset", state)
    run_id = state["runId"]
    prefix = f"work/support-bot/{run_id}/"
    assert output["trainingUri"] == f"s3://{BUCKET}/{prefix}train.jsonl"
    assert output["validationUri"] == f"s3://{BUCKET}/{prefix}validation.jsonl"
    train = cloud.text(prefix + "train.jsonl").splitlines()
    validation = cloud.text(prefix + "validation.jsonl").splitlines()
    assert len(validation) == output["validationRecords"] == 3
    assert len(train) == output["records"] == len(RECORDS) - 3
    assert sorted(train + validation) == sorted(json.dumps(r) for r in RECORDS)


def test_above_the_auto_approve_limit_needs_approval(cloud: Cloud) -> None:
    spec = "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0}\n"
    output = invoke("validate_dataset", start_run(cloud, spec=spec))
    assert (output["needsApproval"], output["overMax"]) == (True, False)
    assert "auto-approve limit of $0.00" in output["budgetReason"]


def test_above_the_maximum_is_over_budget(cloud: Cloud) -> None:
    spec = (
        "base_model: amazon.titan-text-express-v1:0:8k\n"
        "budget: {auto_approve_usd: 0, max_usd: 0.000001}\n"
    )
    output = invoke("validate_dataset", start_run(cloud, spec=spec))
    assert (output["needsApproval"], output["overMax"]) == (False, True)


def test_an_unknown_price_needs_approval_and_says_why(cloud: Cloud) -> None:
    from factories import nova_record

    spec = "base_model: amazon.nova-micro-v1:0:128k\n"
    output = invoke(
        "validate_dataset", start_run(cloud, spec=spec, records=[nova_record(i) for i in range(8)])
    )
    assert output["valid"] is True
    assert output["estimatedCostUsd"] is None
    assert output["needsApproval"] is True
    assert "no training price" in output["budgetReason"]


def test_a_deleted_dataset_is_a_source_error(cloud: Cloud) -> None:
    state = start_run(cloud)
    state["dataset"]["versionId"] = "not-a-version"
    with pytest.raises(DatasetSourceError):
        invoke("validate_dataset", state)


def test_the_same_bytes_as_a_registered_version_are_noted(cloud: Cloud) -> None:
    """Issue 7, finding 18: re-uploading identical bytes says "same SHA-256 as version N"."""
    from integration.test_register_model_version import completed

    first = completed(cloud)
    invoke("register_model_version", first)
    again = start_run(cloud, key="datasets/support-bot/again.jsonl")  # the same records
    output = invoke("validate_dataset", again)
    assert output["sameDataAs"] == 1
    run = cloud.item(f"RUN#{again['runId']}", "RUN")
    assert run is not None and run["validation"]["sameDataAs"] == 1
    other = start_run(cloud, key="datasets/support-bot/other.jsonl", records=RECORDS[:6])
    assert invoke("validate_dataset", other)["sameDataAs"] is None
