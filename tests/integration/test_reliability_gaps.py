"""Issue 8's D13 and D20 at the edges the first tests left open (through the handlers under moto).

- D13: a harmless overwrite (the same key uploaded again while the first run is in progress)
  must not raise the platform-failure alarm: no function error, no ``PipelineFailed`` metric.
  The metrics are read where CloudWatch reads them: the functions' EMF output on stdout.
- D20: the report ``<key>.report.json`` must fit S3's 1,024-byte key limit, so the longest
  dataset key is 1,012 bytes; 1,013 is refused with the coded key error.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bedrock_tuner.observability import DEFAULT_NAMESPACE
from bedrock_tuner.pipeline.validation import REPORT_SUFFIX
from factories import prompt_completion
from integration.conftest import BUCKET, Cloud
from integration.helpers import KEY, completed_job_result, validated
from lambda_handlers import invoke

S3_KEY_LIMIT = 1024
PREFIX = "datasets/support-bot/"


def emitted_metrics(output: str) -> Counter[tuple[str, str]]:
    """``(namespace, metric) -> value`` from the EMF documents the functions printed."""
    found: Counter[tuple[str, str]] = Counter()
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                total = sum(value) if isinstance(value, list) else value
                found[(directive["Namespace"], metric["Name"])] += int(total)
    return found


def step(state: dict[str, Any], function: str, result_path: str) -> bool:
    """One Task state as the workflow runs it: the output goes to ``result_path``; an error
    is caught into ``$.error`` and takes the failure path ("Notify failure" →
    ``pipeline_failed``), as the Catch of these steps does in customization.asl.json
    (Start customization job goes through "Stop the job" first; its job never started)."""
    try:
        state[result_path] = invoke(function, state)
    except Exception as error:  # noqa: BLE001 - the workflow's Catch States.ALL
        state["error"] = {"Error": type(error).__name__, "Cause": str(error)}
        invoke("notify", {"kind": "pipeline_failed", "run": state})
        return False
    return True


def complete_the_job(cloud: Cloud, state: dict[str, Any]) -> None:
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    state["jobResult"] = completed_job_result(cloud, state["job"]["jobName"])


# ------------------------------------------------------------------------------ D13


def test_d13_the_metric_reader_sees_a_platform_failure(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control: a step that fails after its retries counts PipelineFailed, in the
    namespace the PipelineFailedAlarm watches."""
    state = validated(cloud)
    capsys.readouterr()
    state["error"] = {"Error": "TransientError", "Cause": "DynamoDB internal error"}
    invoke("notify", {"kind": "pipeline_failed", "run": state})
    assert emitted_metrics(capsys.readouterr().out)[(DEFAULT_NAMESPACE, "PipelineFailed")] == 1


def test_d13_a_harmless_overwrite_raises_no_platform_alarm(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a run past validation
    first = validated(cloud)
    assert first["validation"]["valid"], first["validation"]
    capsys.readouterr()
    # When the same key is uploaded again while it is in progress (a superseding upload)
    newer = cloud.upload(KEY, [prompt_completion(100 + i) for i in range(12)])
    second = invoke("on_dataset_uploaded", cloud.s3_event(KEY, newer))
    assert second["status"] == "started" and second["runId"] != first["runId"], second
    # Then the first run goes on to the end of its workflow
    if step(first, "start_customization_job", "job"):
        complete_the_job(cloud, first)
        if step(first, "register_model_version", "version"):
            invoke("notify", {"kind": "succeeded", "run": first})
    # And nothing counts a platform failure or a failed notification
    emitted = emitted_metrics(capsys.readouterr().out)
    assert emitted[(DEFAULT_NAMESPACE, "JobStarted")] == 1, emitted  # the reader reads them
    assert emitted[(DEFAULT_NAMESPACE, "VersionRegistered")] == 1, emitted
    assert emitted[(DEFAULT_NAMESPACE, "PipelineFailed")] == 0, emitted
    assert emitted[(DEFAULT_NAMESPACE, "NotificationFailed")] == 0, emitted
    # And each upload has its own run: the first succeeded, without an error
    assert "error" not in first, first["error"]
    run = cloud.item(f"RUN#{first['runId']}", "RUN")
    assert run is not None and run["status"] == "SUCCEEDED", run
    assert run.get("error") is None
    assert [note["kind"] for note in cloud.notifications()] == ["succeeded"]
    newer_run = cloud.item(f"RUN#{second['runId']}", "RUN")
    assert newer_run is not None and newer_run["dataset"]["versionId"] == newer["versionId"]


# ------------------------------------------------------------------------------ D20


def key_of(size: int) -> str:
    stem = "x" * (size - len(PREFIX) - len(".jsonl"))
    key = f"{PREFIX}{stem}.jsonl"
    assert len(key.encode()) == size
    return key


def upload_and_invoke(cloud: Cloud, key: str) -> dict[str, Any]:
    uploaded = cloud.upload(key, [prompt_completion(i) for i in range(10)])
    return dict(invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded)))


def test_d20_the_boundary_is_where_the_report_key_passes_the_s3_limit() -> None:
    longest = S3_KEY_LIMIT - len(REPORT_SUFFIX.encode())
    assert longest == 1012
    assert len((key_of(longest) + REPORT_SUFFIX).encode()) == S3_KEY_LIMIT
    assert len((key_of(longest + 1) + REPORT_SUFFIX).encode()) == S3_KEY_LIMIT + 1


def test_d20_a_1013_byte_key_is_refused_with_the_coded_key_error(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    key = key_of(1013)
    result = upload_and_invoke(cloud, key)
    assert result["status"] == "rejected", result
    [note] = cloud.notifications()
    assert note["kind"] == "bad_dataset_key"
    assert "The pipeline spec is fine" in note["text"]
    assert "the key is 1013 bytes" in note["details"]["problem"]
    assert "1024-byte key limit" in note["details"]["problem"]
    assert "at most 1012 bytes" in note["details"]["fix"]
    run = cloud.item(f"RUN#{result['runId']}", "RUN")
    assert run is not None and run["status"] == "INVALID"
    assert run["error"]["Error"] == "DatasetKeyError"
    assert cloud.executions() == []


def test_d20_a_1012_byte_key_is_accepted_and_its_report_fits(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    key = key_of(1012)
    result = upload_and_invoke(cloud, key)
    assert result["status"] == "started", result
    assert cloud.notifications() == []
    state = cloud.execution_input(str(result["executionArn"]))
    assert state["dataset"]["key"] == key
    state["settings"] = {"slotHolder": f"support-bot-{state['runId']}"}
    state["validation"] = invoke("validate_dataset", state)
    assert state["validation"]["valid"], state["validation"]
    report = cloud.s3.head_object(Bucket=BUCKET, Key=key + REPORT_SUFFIX)
    assert report["ContentLength"] > 0


def test_d3_a_catalog_that_no_longer_knows_the_model_does_not_fail_the_registration(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D3, its second half: the catalog changed during a days-long job (the base model was
    removed from it): the trained model is still registered, with the spec's own
    hyperparameters in its lineage."""
    import msgspec

    from bedrock_tuner.pipeline import registration
    from integration.test_register_model_version import completed

    state = completed(cloud)
    emptied = msgspec.structs.replace(registration.load_catalog(), models=())
    monkeypatch.setattr(registration, "load_catalog", lambda: emptied)
    output = invoke("register_model_version", state)
    assert output["version"] == 1
