"""functions/api: every route through the handler with API Gateway proxy events, under moto.

Success and each error: problem details (RFC 9457) with the right status and code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from events import load_event
from integration.conftest import BUCKET, Cloud, TaskCalls
from integration.helpers import KEY, RECORDS, start_run, started_job, validated
from integration.test_register_model_version import completed
from lambda_handlers import invoke

ALICE = "arn:aws:iam::123456789012:user/alice"
APPROVAL_SPEC = "base_model: amazon.titan-text-express-v1:0:8k\nbudget: {auto_approve_usd: 0}\n"


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    user_arn: str | None = ALICE,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (the sample's shape) for ``method path``."""
    event = load_event("api_get_catalog")
    event.update(path=path, httpMethod=method, pathParameters={"proxy": path.lstrip("/")})
    event["requestContext"].update(httpMethod=method, path=f"/v1{path}")
    event["requestContext"]["identity"]["userArn"] = user_arn
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["headers"]["Content-Type"] = "application/json"
        event["multiValueHeaders"]["Content-Type"] = ["application/json"]
    return event


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.status = int(raw["statusCode"])
        headers = raw.get("headers") or {}
        multi = raw.get("multiValueHeaders") or {}
        self.content_type = headers.get("Content-Type") or (multi.get("Content-Type") or [""])[0]
        self.text = raw.get("body") or ""

    def json(self) -> Any:
        return json.loads(self.text)

    def problem(self, status: int, code: str) -> dict[str, Any]:
        assert self.status == status, self.text
        assert self.content_type == "application/problem+json"
        document: dict[str, Any] = self.json()
        assert document["status"] == status and document["code"] == code, document
        assert document["type"].endswith(code) and document["title"] and document["detail"]
        return document


def call(method: str, path: str, **kw: Any) -> Reply:
    return Reply(invoke("api", api_event(method, path, **kw)))


# ------------------------------------------------------------------------------ samples
def test_the_sample_events_resolve(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    assert Reply(invoke("api", load_event("api_get_catalog"))).status == 200
    reply = Reply(invoke("api", load_event("api_post_approval")))
    reply.problem(404, "BT_RUN_NOT_FOUND")  # no such run in an empty account


# ------------------------------------------------------------------------------ pipelines
SPEC = "base_model: amazon.titan-text-express-v1:0:8k\nhyperparameters: {epochCount: 2}\n"


def test_put_get_list_delete_pipeline(cloud: Cloud) -> None:
    reply = call("PUT", "/pipelines/faq", body={"spec": SPEC})
    assert reply.status == 200, reply.text
    assert reply.json()["spec"]["hyperparameters"] == {"epochCount": "2"}
    assert cloud.text("pipelines/faq.yaml") == SPEC
    assert call("GET", "/pipelines").json() == ["faq"]
    got = call("GET", "/pipelines/faq").json()
    assert (
        got["name"] == "faq"
        and got["text"] == SPEC
        and got["spec"]["baseModel" if False else "base_model"]
    )
    assert call("DELETE", "/pipelines/faq").status == 204
    call("GET", "/pipelines/faq").problem(404, "BT_PIPELINE_NOT_FOUND")
    call("DELETE", "/pipelines/faq").problem(404, "BT_PIPELINE_NOT_FOUND")


def test_put_a_bad_spec_is_422_with_every_problem(cloud: Cloud) -> None:
    bad = "base_model: no-such-model\nbudget: {max_usd: -1}\nepochs: 3\n"
    problem = call("PUT", "/pipelines/faq", body={"spec": bad}).problem(422, "BT_SPEC")
    paths = {item["path"] for item in problem["problems"]}
    assert {"base_model", "budget.max_usd", "epochs"} <= paths
    assert problem["instance"] == "/pipelines/faq"


def test_a_stored_invalid_spec_is_shown_with_its_problems(cloud: Cloud) -> None:
    cloud.put_spec("broken", "base_model: nope\n")
    got = call("GET", "/pipelines/broken").json()
    assert got["spec"] is None and got["error"]["problems"][0]["path"] == "base_model"


def test_a_bad_pipeline_name_is_422(cloud: Cloud) -> None:
    call("GET", "/pipelines/-bad").problem(422, "BT_SPEC")


def test_put_without_a_body_is_a_validation_problem(cloud: Cloud) -> None:
    problem = call("PUT", "/pipelines/faq", body={"text": SPEC}).problem(422, "BT_INVALID_REQUEST")
    locations = {item["location"] for item in problem["errors"]}
    assert any("spec" in location for location in locations), locations
    call("PUT", "/pipelines/faq", body="{not json").problem(422, "BT_INVALID_REQUEST")


# ------------------------------------------------------------------------------ runs
def test_start_a_run_on_an_object(cloud: Cloud) -> None:
    cloud.put_spec("support-bot")
    cloud.upload(KEY, RECORDS)
    reply = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"})
    assert reply.status == 202, reply.text
    started = reply.json()
    assert started["status"] == "started" and started["runId"].startswith("r")
    again = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"})
    assert again.status == 200 and again.json()["status"] == "duplicate"


def test_a_run_that_ended_before_its_job_is_retried_after_the_fix(cloud: Cloud) -> None:
    """Issue 7, finding 5: spec error, fix the spec, `runs start` -> a new run, linked."""
    cloud.put_spec("support-bot", "base_model: no-such-model\n")
    uploaded = cloud.upload(KEY, RECORDS)
    first = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert first["status"] == "spec_error"
    # the same S3 event again is a real duplicate: no new run, no second notification
    again = invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert again["runId"] == first["runId"]
    assert len(cloud.notifications()) == 1
    cloud.put_spec("support-bot")  # the fix
    reply = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"})
    assert reply.status == 202, reply.text
    retry = reply.json()
    assert retry["status"] == "started" and retry["retryOf"] == first["runId"]
    assert retry["runId"] != first["runId"]
    new = call("GET", f"/runs/{retry['runId']}").json()
    old = call("GET", f"/runs/{first['runId']}").json()
    assert (new["attempt"], new["retryOf"]) == (2, first["runId"])
    assert old["retriedBy"] == retry["runId"] and old["status"] == "SPEC_ERROR"
    # asking again while the retry runs is a duplicate pointing at the live run
    dup = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"}).json()
    assert dup["status"] == "duplicate" and dup["runId"] == retry["runId"]
    # and a late duplicate of the original S3 event starts nothing
    invoke("on_dataset_uploaded", cloud.s3_event(KEY, uploaded))
    assert len(cloud.executions()) == 1 and cloud.notifications() == []  # nothing new


def test_a_run_that_trained_is_not_retried(cloud: Cloud) -> None:
    state = started_job(cloud)
    reply = call("POST", "/runs", body={"datasetUri": f"s3://{BUCKET}/{KEY}"})
    assert reply.status == 200 and reply.json()["status"] == "duplicate"
    assert reply.json()["runId"] == state["runId"]


def test_start_refuses_what_cannot_start(cloud: Cloud) -> None:
    uri = f"s3://{BUCKET}/{KEY}"
    call("POST", "/runs", body={"datasetUri": uri}).problem(404, "BT_DATASET_NOT_FOUND")
    cloud.upload(KEY, RECORDS)
    call("POST", "/runs", body={"datasetUri": uri, "pipeline": "other"}).problem(400, "BT_USAGE")
    other = f"s3://elsewhere/{KEY}"
    call("POST", "/runs", body={"datasetUri": other}).problem(400, "BT_USAGE")
    call("POST", "/runs", body={"datasetUri": "s3://b/notes.txt"}).problem(
        422, "BT_INVALID_REQUEST"
    )


def test_list_runs_by_pipeline_and_status(cloud: Cloud) -> None:
    state = start_run(cloud)
    runs = call("GET", "/runs", query={"pipeline": "support-bot"}).json()
    assert [run["runId"] for run in runs] == [state["runId"]]
    assert call("GET", "/runs").json()[0]["runId"] == state["runId"]  # every pipeline
    assert call("GET", "/runs", query={"status": "RECEIVED"}).json()[0]["status"] == "RECEIVED"
    assert call("GET", "/runs", query={"status": "FAILED"}).json() == []
    call("GET", "/runs", query={"status": "NOPE"}).problem(422, "BT_INVALID_REQUEST")
    call("GET", "/runs", query={"limit": "0"}).problem(422, "BT_INVALID_REQUEST")


def test_list_runs_by_status_group_in_any_case(cloud: Cloud) -> None:
    from bedrock_tuner.deps import default_deps
    from bedrock_tuner.pipeline.runs import RunStatus

    # Given five runs that ended badly in five different ways, one running, one succeeded
    ended = [
        RunStatus.FAILED,
        RunStatus.INVALID,
        RunStatus.REJECTED,
        RunStatus.OVER_BUDGET,
        RunStatus.SPEC_ERROR,
    ]
    statuses = [*ended, RunStatus.TRAINING, RunStatus.SUCCEEDED]
    ids: dict[RunStatus, str] = {}
    for index, status in enumerate(statuses):
        run_id = start_run(cloud, key=f"datasets/support-bot/t{index}.jsonl")["runId"]
        default_deps().runs.update(run_id, status=status)
        ids[status] = run_id

    def listed(value: str) -> set[str]:
        reply = call("GET", "/runs", query={"status": value})
        assert reply.status == 200, reply.text
        return {run["runId"] for run in reply.json()}

    # Then the group "failed" (any case) finds every failure, not only FAILED
    assert listed("failed") == listed("FAILED") == {ids[s] for s in ended}
    assert listed("active") == {ids[RunStatus.TRAINING]}
    assert listed("Succeeded") == {ids[RunStatus.SUCCEEDED]}
    # And an exact status still works, in any case
    assert listed("over_budget") == {ids[RunStatus.OVER_BUDGET]}
    # And an unknown value is a 422 that lists the valid ones
    problem = call("GET", "/runs", query={"status": "broken"}).problem(422, "BT_INVALID_REQUEST")
    assert "failed" in problem["detail"] and "OVER_BUDGET" in problem["detail"]


def test_get_a_run_with_its_timeline(cloud: Cloud) -> None:
    state = started_job(cloud)
    run = call("GET", f"/runs/{state['runId']}").json()
    assert run["runId"] == state["runId"] and run["job"]["jobArn"] == state["job"]["jobArn"]
    assert "taskToken" not in run["job"]
    names = [entry["name"] for entry in run["timeline"]]
    assert names[-1] == "Bedrock customization job"  # moto's execution has no such state
    job_entry = run["timeline"][-1]
    assert job_entry["kind"] == "job" and job_entry["status"] == "InProgress"
    assert all(entry["enteredAt"] or entry["exitedAt"] for entry in run["timeline"])
    call("GET", "/runs/r000000000000").problem(404, "BT_RUN_NOT_FOUND")


def test_stop_a_run_with_a_job_stops_the_job(cloud: Cloud) -> None:
    state = started_job(cloud)
    reply = call("POST", f"/runs/{state['runId']}/stop", body={"reason": "wrong data"})
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert {k: answer[k] for k in ("runId", "jobStopped", "executionStopped", "by")} == {
        "runId": state["runId"],
        "jobStopped": True,
        "executionStopped": False,
        "by": ALICE,
    }
    assert answer["status"].startswith("stopping")
    job = cloud.bedrock.get_model_customization_job(jobIdentifier=state["job"]["jobName"])
    assert job["status"] in {"Stopping", "Stopped"}


def test_stop_a_run_without_a_job_stops_the_execution(cloud: Cloud) -> None:
    state = start_run(cloud)
    reply = call("POST", f"/runs/{state['runId']}/stop")
    assert reply.status == 200 and reply.json()["jobStopped"] is False, reply.text
    run = call("GET", f"/runs/{state['runId']}").json()
    assert run["status"] == "FAILED" and run["error"]["Error"] == "StoppedByUser"
    call("POST", f"/runs/{state['runId']}/stop").problem(409, "BT_CONFLICT")
    call("POST", "/runs/r000000000000/stop").problem(404, "BT_RUN_NOT_FOUND")


# ------------------------------------------------------------------------------ datasets
def test_validate_a_dataset_on_demand(cloud: Cloud) -> None:
    cloud.upload(KEY, RECORDS)
    body = {"uri": f"s3://{BUCKET}/{KEY}", "model": "amazon.titan-text-express-v1:0:8k"}
    report = call("POST", "/datasets/validate", body=body).json()
    assert "summary" in report and "reportUri" not in report
    stored = call("POST", "/datasets/validate", body={**body, "writeReport": True}).json()
    assert stored["reportUri"] == f"s3://{BUCKET}/{KEY}.report.json"
    assert json.loads(cloud.text(f"{KEY}.report.json"))["summary"]


def test_validate_errors(cloud: Cloud) -> None:
    uri = f"s3://{BUCKET}/{KEY}"
    body = {"uri": uri, "model": "amazon.titan-text-express-v1:0:8k"}
    call("POST", "/datasets/validate", body=body).problem(404, "BT_DATASET_NOT_FOUND")
    cloud.upload(KEY, RECORDS)
    call("POST", "/datasets/validate", body={**body, "model": "nope"}).problem(
        400, "BT_UNKNOWN_MODEL"
    )
    call("POST", "/datasets/validate", body={"uri": uri}).problem(422, "BT_INVALID_REQUEST")


# ------------------------------------------------------------------------------ approvals
def test_list_and_approve_records_the_caller(cloud: Cloud, sfn_tasks: TaskCalls) -> None:
    state = validated(cloud, spec=APPROVAL_SPEC)
    invoke("request_approval", {"token": "tok", "run": state})
    pending = call("GET", "/approvals").json()
    assert [item["runId"] for item in pending] == [state["runId"]]
    assert "taskToken" not in pending[0] and pending[0]["status"] == "PENDING"
    reply = call(
        "POST", f"/approvals/{state['runId']}", body={"decision": "approve", "reason": "ok"}
    )
    assert reply.status == 200, reply.text
    assert reply.json()["by"] == ALICE
    assert sfn_tasks.of("success") == [("tok", {"approved": True, "by": ALICE, "reason": "ok"})]
    assert call("GET", "/approvals").json() == []
    again = {"decision": "reject", "reason": "too late"}
    call("POST", f"/approvals/{state['runId']}", body=again).problem(409, "BT_CONFLICT")


def test_approval_errors(cloud: Cloud) -> None:
    call("POST", "/approvals/r000000000000", body={"decision": "reject"}).problem(
        404, "BT_RUN_NOT_FOUND"
    )
    call("POST", "/approvals/r000000000000", body={"decision": "maybe"}).problem(
        422, "BT_INVALID_REQUEST"
    )


# ------------------------------------------------------------------------------ models
def test_models_versions_and_lineage(cloud: Cloud) -> None:
    assert call("GET", "/models").json() == []
    invoke("register_model_version", completed(cloud))
    families = call("GET", "/models").json()
    assert [family["family"] for family in families] == ["support-bot"]
    versions = call("GET", "/models/support-bot/versions").json()
    assert [version["version"] for version in versions] == [1]
    version = call("GET", "/models/support-bot/versions/1").json()
    assert version["dataset"]["uri"] == f"s3://{BUCKET}/{KEY}"
    assert version["metrics"]["validationLoss"] == 0.9
    call("GET", "/models/support-bot/versions/2").problem(404, "BT_MODEL_NOT_FOUND")
    call("GET", "/models/nope/versions").problem(404, "BT_MODEL_NOT_FOUND")
    call("GET", "/models/support-bot/versions/one").problem(422, "BT_INVALID_REQUEST")


# ------------------------------------------------------------------------------ catalog
def test_catalog_and_one_model(cloud: Cloud) -> None:
    catalog = call("GET", "/catalog").json()
    ids = [model["id"] for model in catalog["models"]]
    assert "amazon.titan-text-express-v1:0:8k" in ids and catalog["readOn"]
    distill = call("GET", "/catalog", query={"customizationType": "DISTILLATION"}).json()
    assert 0 < len(distill["models"]) < len(ids)
    model = call("GET", "/catalog/amazon.titan-text-express-v1:0:8k").json()
    assert model["id"] == "amazon.titan-text-express-v1:0:8k"
    call("GET", "/catalog/no.such-model").problem(400, "BT_UNKNOWN_MODEL")
    call("GET", "/catalog", query={"customizationType": "NOPE"}).problem(400, "BT_USAGE")


def test_estimate_and_break_even(cloud: Cloud) -> None:
    body = {"model": "amazon.titan-text-express-v1:0:8k", "trainingTokens": 1_000_000, "epochs": 2}
    estimate = call("POST", "/estimate", body=body).json()
    assert estimate["cost"]["billedTokens"] == 2_000_000 and "breakEven" not in estimate
    with_break_even = {
        **body,
        "breakEven": {
            "savedPromptTokens": 500,
            "requestsPerMonth": 100_000,
            "inputPricePer1kTokens": 0.0008,
        },
    }
    assert "verdict" in call("POST", "/estimate", body=with_break_even).json()["breakEven"]
    call("POST", "/estimate", body={**body, "epochs": 0}).problem(422, "BT_INVALID_REQUEST")
    call("POST", "/estimate", body={**body, "model": "nope"}).problem(400, "BT_UNKNOWN_MODEL")


# ------------------------------------------------------------------------------ the rest
def test_unknown_route_is_a_404_problem(cloud: Cloud) -> None:
    problem = call("GET", "/nope").problem(404, "BT_ROUTE_NOT_FOUND")
    assert problem["instance"] == "/nope"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        ("ThrottlingError", 429, "BT_THROTTLED"),
        ("TransientError", 503, "BT_TRANSIENT"),
        ("ConfigurationError", 500, "BT_CONFIGURATION"),
    ],
)
def test_aws_trouble_maps_to_its_status(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch, error: str, status: int, code: str
) -> None:
    import bedrock_tuner.errors as errors
    from bedrock_tuner.aws.s3 import S3Objects

    def fail(*_: Any, **__: Any) -> Any:
        raise getattr(errors, error)("AWS said no", fix="wait")

    monkeypatch.setattr(S3Objects, "list_keys", fail)
    reply = call("GET", "/pipelines")
    problem = reply.problem(status, code)
    if status == 500:
        assert "AWS said no" not in reply.text  # a deployment problem: no internals
    else:
        assert problem["fix"] == "wait"


def test_an_unexpected_error_is_a_500_without_internals(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_tuner.aws.s3 import S3Objects

    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(S3Objects, "list_keys", boom)
    reply = call("GET", "/pipelines")
    reply.problem(500, "BT_INTERNAL")
    assert "secret internals" not in reply.text


def test_swagger_ui_and_the_openapi_document(cloud: Cloud) -> None:
    docs = call("GET", "/docs")
    assert (
        docs.status == 200 and docs.content_type == "text/html" and "swagger" in docs.text.lower()
    )
    document = call("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.1") and "/runs/{run_id}" in document["paths"]


# ------------------------------------------------------------------------------ aliases
def two_versions(cloud: Cloud) -> None:
    invoke("register_model_version", completed(cloud))
    invoke("register_model_version", completed(cloud, key="datasets/support-bot/more.jsonl"))


def test_promote_get_rollback_history_and_compare(cloud: Cloud) -> None:
    two_versions(cloud)
    base = "/models/support-bot/aliases/production"
    assert call("GET", base).json()["version"] is None  # never set
    first = call("PUT", base, body={"version": 1, "reason": "first release"})
    assert first.status == 200, first.text
    assert first.json()["by"] == ALICE and first.json()["reason"] == "first release"
    call("PUT", base, body={"version": 2, "reason": "better loss"})
    alias = call("GET", base).json()
    assert alias["version"] == 2 and alias["updatedBy"] == ALICE
    assert alias["parameter"] == "/bedrock-tuner/support-bot/production"
    rolled = call("POST", f"{base}/rollback", body={"reason": "regression"}).json()
    assert rolled["version"] == 1 and rolled["action"] == "rollback"
    history = call("GET", f"{base}/history").json()
    assert [(h["version"], h["action"]) for h in history] == [
        (1, "promote"),
        (2, "promote"),
        (1, "rollback"),
    ]
    comparison = call("GET", "/models/support-bot/compare", query={"a": "1", "b": "2"}).json()
    assert (
        comparison["a"] == 1 and comparison["b"] == 2 and "validationLoss" in comparison["metrics"]
    )


def test_alias_errors(cloud: Cloud) -> None:
    invoke("register_model_version", completed(cloud))
    base = "/models/support-bot/aliases/production"
    call("PUT", base, body={"version": 9}).problem(404, "BT_MODEL_NOT_FOUND")
    call("PUT", base, body={"version": 0}).problem(422, "BT_INVALID_REQUEST")
    call("PUT", base, body={"reason": "no version"}).problem(422, "BT_INVALID_REQUEST")
    call("POST", f"{base}/rollback").problem(409, "BT_CONFLICT")  # nothing to roll back to
    call("GET", "/models/support-bot/aliases/-bad").problem(400, "BT_USAGE")
    call("GET", "/models/support-bot/compare", query={"a": "1"}).problem(422, "BT_INVALID_REQUEST")
    call("GET", "/models/support-bot/compare", query={"a": "1", "b": "5"}).problem(
        404, "BT_MODEL_NOT_FOUND"
    )


def test_a_concurrent_promotion_is_409(cloud: Cloud) -> None:
    import time

    from bedrock_tuner.deps import default_deps

    invoke("register_model_version", completed(cloud))
    now = int(time.time())
    default_deps().aliases.acquire_lease(
        "support-bot", "production", lease_id="other", now=now, expires=now + 120
    )
    problem = call("PUT", "/models/support-bot/aliases/production", body={"version": 1}).problem(
        409, "BT_CONFLICT"
    )
    assert "in progress" in problem["detail"]


# ------------------------------------------------------------------------------ hints
def test_not_found_fixes_name_commands_that_exist(cloud: Cloud) -> None:
    # Each 404 names the CLI command (and the route) that lists what does exist
    fix = call("GET", "/runs/r000000000000").problem(404, "BT_RUN_NOT_FOUND")["fix"]
    assert "`bedrock-tuner runs list`" in fix and "PIPELINE" not in fix
    fix = call("GET", "/models/ghost/versions").problem(404, "BT_MODEL_NOT_FOUND")["fix"]
    assert "`bedrock-tuner models list`" in fix and "GET /models" in fix
    fix = call("GET", "/pipelines/ghost").problem(404, "BT_PIPELINE_NOT_FOUND")["fix"]
    assert "`bedrock-tuner pipelines put ghost FILE`" in fix
    assert "`bedrock-tuner pipelines list`" in fix
    base = "/models/ghost/aliases/prod"
    fix = call("PUT", base, body={"version": 1}).problem(404, "BT_MODEL_NOT_FOUND")["fix"]
    assert "`bedrock-tuner versions list ghost`" in fix and "{family}" not in fix
    assert "GET /models/ghost/versions" in fix
    invoke("register_model_version", completed(cloud))
    fix = call("GET", "/models/support-bot/versions/7").problem(404, "BT_MODEL_NOT_FOUND")["fix"]
    assert "`bedrock-tuner versions list support-bot`" in fix
    rollback = "/models/support-bot/aliases/production/rollback"
    fix = call("POST", rollback).problem(409, "BT_CONFLICT")["fix"]
    assert "`bedrock-tuner promote support-bot production VERSION --reason R`" in fix


# ------------------------------------------------------------------------------ casing
def _snake_keys(document: Any, path: str = "$") -> list[str]:
    import re

    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if re.match(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$", str(key)):
                found.append(f"{path}.{key}")
            found.extend(_snake_keys(value, f"{path}.{key}"))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.extend(_snake_keys(value, f"{path}[{index}]"))
    return found


def test_catalog_estimate_and_report_are_camel_case(cloud: Cloud) -> None:
    catalog = call("GET", "/catalog").json()
    titan = call("GET", "/catalog/amazon.titan-text-express-v1:0:8k").json()
    assert titan["customization"]["FINE_TUNING"]["acceptsValidation"] is True
    assert titan["price"]["trainingPer1kTokens"] > 0 and titan["chars" + "PerToken"] > 0
    body = {"model": "amazon.titan-text-express-v1:0:8k", "trainingTokens": 1000}
    estimate = call(
        "POST",
        "/estimate",
        body={
            **body,
            "breakEven": {
                "savedPromptTokens": 500,
                "requestsPerMonth": 100_000,
                "inputPricePer1kTokens": 0.0008,
            },
        },
    ).json()
    assert estimate["breakEven"]["monthlySavingsUsd"] == pytest.approx(40.0)
    cloud.upload(KEY, RECORDS)
    report = call(
        "POST", "/datasets/validate", body={"uri": f"s3://{BUCKET}/{KEY}", "model": body["model"]}
    ).json()
    assert report["schemaVersion"] == "2.0" and report["summary"]["trainingTokens"] > 0
    for document in (catalog, titan, estimate, report):
        assert _snake_keys(document) == []


def test_estimate_defaults_to_the_models_epochs_like_the_cli(cloud: Cloud) -> None:
    from bedrock_tuner.catalog import get_model, load_catalog

    model = get_model(load_catalog(), "amazon.titan-text-express-v1:0:8k")
    [spec] = [
        h for h in model.customization["FINE_TUNING"].hyperparameters if h.name == "epochCount"
    ]
    default = int(spec.default or 0)
    assert default > 1  # else this test could not tell the defaults apart
    body = {"model": model.id, "trainingTokens": 1000}
    cost = call("POST", "/estimate", body=body).json()["cost"]
    assert cost["epochs"] == default and cost["billedTokens"] == 1000 * default
    assert call("POST", "/estimate", body={**body, "epochs": 1}).json()["cost"]["epochs"] == 1
