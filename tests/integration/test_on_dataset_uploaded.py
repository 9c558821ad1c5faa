"""on_dataset_uploaded: a dataset version starts exactly one run; a bad spec starts none."""

from __future__ import annotations

import pytest

from bedrock_tuner.errors import InvalidEventError
from bedrock_tuner.pipeline.runs import run_id_for
from events import load_event
from factories import prompt_completion
from integration.conftest import BUCKET, Cloud
from lambda_handlers import invoke

KEY = "datasets/support-bot/train.jsonl"
RECORDS = [prompt_completion(i) for i in range(10)]


def upload_and_invoke(cloud: Cloud, key: str = KEY) -> tuple[dict[str, object], dict[str, object]]:
    uploaded = cloud.upload(key, RECORDS)
    return uploaded, invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded))


def test_an_upload_starts_one_execution_with_the_documented_input(cloud: Cloud) -> None:
    # Given a pipeline spec, When a dataset is uploaded
    cloud.put_spec("support-bot")
    uploaded, result = upload_and_invoke(cloud)
    # Then one execution runs, named <pipeline>-<run_id>, with the documented input
    run_id = run_id_for(BUCKET, KEY, str(uploaded["versionId"]))
    assert result["status"] == "started" and result["runId"] == run_id
    executions = cloud.executions()
    assert [e["name"] for e in executions] == [f"support-bot-{run_id}"]
    payload = cloud.execution_input(executions[0]["executionArn"])
    assert set(payload) == {"runId", "pipeline", "dataset", "spec"}
    assert payload["dataset"] == {
        "bucket": BUCKET,
        "key": KEY,
        "versionId": uploaded["versionId"],
        "etag": uploaded["etag"],
        "size": uploaded["size"],
    }
    assert payload["spec"]["base_model"] == "amazon.titan-text-express-v1:0:8k"
    assert payload["spec"]["model_family"] == "support-bot"
    # And the run is recorded with its execution and a timeline
    run = cloud.item(f"RUN#{run_id}", "RUN")
    assert run is not None
    assert run["status"] == "RECEIVED"
    assert run["executionArn"] == executions[0]["executionArn"]
    assert [step["name"] for step in run["steps"]] == ["received", "execution"]
    assert run["GSI1PK"] == "PIPELINE#support-bot"
    assert cloud.notifications() == []


def test_a_duplicate_delivery_starts_one_execution(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    uploaded, first = upload_and_invoke(cloud)
    # The same object version delivered again (a new event id): idempotency answers
    again = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert again == first
    # Even after the idempotency record expired, the run and the execution name hold
    cloud.dynamodb.delete_table(TableName="bt-idempotency")
    from integration.conftest import IDEMPOTENCY

    cloud.dynamodb.create_table(TableName="bt-idempotency", **IDEMPOTENCY)
    late = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert late["status"] == "duplicate" and late["runId"] == first["runId"]
    assert len(cloud.executions()) == 1


def test_a_new_version_of_the_same_key_is_a_new_run(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    _, first = upload_and_invoke(cloud)
    _, second = upload_and_invoke(cloud)
    assert first["runId"] != second["runId"]
    assert len(cloud.executions()) == 2


def test_a_missing_spec_notifies_and_starts_nothing(cloud: Cloud) -> None:
    uploaded, result = upload_and_invoke(cloud)
    assert result["status"] == "spec_error"
    assert cloud.executions() == []
    [note] = cloud.notifications()
    assert note["kind"] == "spec_error" and note["severity"] == "error"
    assert "pipelines/support-bot.yaml does not exist" in note["text"]
    assert "upload pipelines/support-bot.yaml" in note["text"]
    assert note["_attributes"] == {
        "kind": "spec_error",
        "pipeline": "support-bot",
        "severity": "error",
    }
    run = cloud.item(f"RUN#{result['runId']}", "RUN")
    assert run is not None and run["status"] == "SPEC_ERROR"
    assert run["error"]["Error"] == "SpecError"
    # The same event again: no second notification
    invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert cloud.notifications() == []


def test_a_bad_spec_notifies_every_problem_with_its_path(cloud: Cloud) -> None:
    cloud.put_spec(
        "support-bot",
        "base_model: amazon.titan-text-express-v1:0:8k\n"
        "hyperparameters: {epochCount: '99'}\n"
        "budget: {auto_approve_usd: 50, max_usd: 10}\n"
        "notfy: {slack: true}\n",
    )
    _, result = upload_and_invoke(cloud)
    assert result["status"] == "spec_error"
    assert cloud.executions() == []
    [note] = cloud.notifications()
    paths = [problem["path"] for problem in note["details"]["problems"]]
    assert paths == ["hyperparameters.epochCount", "budget", "notfy"]
    assert "epochCount=99 is outside [1, 10]" in note["text"]
    assert "did you mean 'notify'" in note["text"]


def test_yaml_syntax_errors_name_the_line(cloud: Cloud) -> None:
    cloud.put_spec("support-bot", "base_model: [oops\n")
    _, result = upload_and_invoke(cloud)
    [note] = cloud.notifications()
    assert "not valid YAML" in note["text"] and "line 2" in note["text"]
    assert result["status"] == "spec_error"


@pytest.mark.parametrize("name", ["s3_object_created_not_jsonl", "s3_object_created_report"])
def test_keys_that_are_not_datasets_are_ignored(cloud: Cloud, name: str) -> None:
    cloud.put_spec("support-bot")
    result = invoke("on_dataset_uploaded", load_event(name))
    assert result["status"] == "ignored"
    assert cloud.executions() == [] and cloud.notifications() == []


def test_the_pipelines_validation_file_does_not_start_a_run(cloud: Cloud) -> None:
    cloud.put_spec(
        "support-bot",
        "base_model: amazon.titan-text-express-v1:0:8k\n"
        "validation: {file: datasets/support-bot/validation.jsonl}\n",
    )
    _, result = upload_and_invoke(cloud, "datasets/support-bot/validation.jsonl")
    assert result["status"] == "ignored" and "validation file" in str(result["reason"])
    assert cloud.executions() == []


def test_a_key_bedrock_would_refuse_is_reported_before_anything_starts(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    _, result = upload_and_invoke(cloud, "datasets/support-bot/my data+v2.jsonl")
    assert result["status"] == "rejected"
    [note] = cloud.notifications()
    # the key is the problem, not the spec (issue 7, finding 12)
    assert note["kind"] == "bad_dataset_key"
    assert "spec" not in note["subject"]
    assert "The pipeline spec is fine" in note["text"]
    assert "no spaces or +" in note["details"]["fix"]
    run = cloud.item(f"RUN#{result['runId']}", "RUN")
    assert run is not None and run["status"] == "INVALID"
    assert run["error"]["Error"] == "DatasetKeyError"


def test_a_key_whose_report_would_exceed_the_s3_limit_is_refused(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    stem = "x" * (1024 - len("datasets/support-bot/") - len(".jsonl"))  # a 1,024-byte key
    _, result = upload_and_invoke(cloud, f"datasets/support-bot/{stem}.jsonl")
    assert result["status"] == "rejected"
    [note] = cloud.notifications()
    assert note["kind"] == "bad_dataset_key"
    assert "1024-byte key limit" in note["details"]["problem"]


def test_a_malformed_event_is_a_coded_error(cloud: Cloud) -> None:
    event = load_event("s3_object_created")
    del event["detail"]["bucket"]
    with pytest.raises(InvalidEventError, match=r"detail\.bucket"):
        invoke("on_dataset_uploaded", event)


def test_an_url_encoded_key_in_the_event_is_decoded(cloud: Cloud) -> None:
    """D19: S3 URL-encodes keys in notifications; the run must name the real object."""
    cloud.put_spec("support-bot")
    real = "datasets/support-bot/data(1).jsonl"
    uploaded = cloud.upload(real, RECORDS)
    encoded = "datasets/support-bot/data%281%29.jsonl"
    result = invoke("on_dataset_uploaded", cloud.s3_event(encoded, uploaded))
    assert result["status"] == "started", result
    payload = cloud.execution_input(str(result["executionArn"]))
    assert payload["dataset"]["key"] == real


def test_a_literal_plus_in_a_raw_key_is_kept(cloud: Cloud) -> None:
    """A key delivered raw (as moto and, reportedly, some integrations do) stays as is."""
    cloud.put_spec("support-bot")
    raw = "datasets/support-bot/a+b.jsonl"
    uploaded = cloud.upload(raw, RECORDS)
    result = invoke("on_dataset_uploaded", cloud.s3_event(raw, uploaded))
    [note] = cloud.notifications()
    assert result["status"] == "rejected" and raw in note["details"]["dataset"]
