"""The stack API client over HTTP (a fake API on 127.0.0.1): SigV4 signing, problem+json,
retries; and the API found from a stack's outputs (moto's CloudFormation)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from moto import mock_aws

from bedrock_tuner_cli.client.api import BedrockTunerApi
from bedrock_tuner_cli.client.http import ApiClient, ApiError, ApiUnreachableError
from bedrock_tuner_cli.client.stack import (
    StackError,
    resolve_endpoint,
    stack_api_url,
)
from cli_env import isolate_cli
from fake_api import FakeApi, problem

FAKE = Credentials("AKIDFAKE000000000000", "fake-secret-key")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path, access_key="testing")


def client(fake: FakeApi, **kw: Any) -> ApiClient:
    kw.setdefault("sleep", lambda s: None)
    return ApiClient(fake.url, "us-west-2", FAKE, **kw)


# --------------------------------------------------------------------------- signing


def test_every_request_is_sigv4_signed_for_execute_api(fake: FakeApi) -> None:
    fake.route("GET", "/runs", [])
    client(fake).request("GET", "/runs", query={"pipeline": "support-bot", "status": None})
    sent = fake.requests[-1]
    auth = sent.headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDFAKE000000000000/")
    assert "/us-west-2/execute-api/aws4_request" in auth
    assert "SignedHeaders=" in auth and "Signature=" in auth
    assert sent.headers["X-Amz-Date"]
    assert sent.query == {"pipeline": ["support-bot"]}  # None values are left out


def test_session_token_is_sent_and_json_bodies_round_trip(fake: FakeApi) -> None:
    fake.route("POST", "/approvals/r-1", {"runId": "r-1", "status": "APPROVED", "extra": 1})
    creds = Credentials("AKIDFAKE000000000000", "secret", token="session-token")
    api = BedrockTunerApi(ApiClient(fake.url, "eu-west-1", creds))
    answer = api.decide("r-1", "approve", "looks fine")
    assert answer["status"] == "APPROVED"  # unknown extra fields are kept, not refused
    sent = fake.requests[-1]
    assert sent.headers["X-Amz-Security-Token"] == "session-token"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == {"decision": "approve", "reason": "looks fine"}
    assert "/eu-west-1/execute-api/aws4_request" in sent.headers["Authorization"]


def test_path_segments_are_escaped(fake: FakeApi) -> None:
    fake.route("GET", "/models/my%20family/aliases/prod", {"alias": "prod"})
    BedrockTunerApi(client(fake)).get_alias("my family", "prod")
    assert fake.requests[-1].path == "/v1/models/my%20family/aliases/prod"


def test_routes_use_the_api_bodies(fake: FakeApi) -> None:
    fake.route("POST", "/runs", {"status": "started", "runId": "r-9"}, status=202)
    fake.route("PUT", "/models/fam/aliases/prod", {"version": 3})
    fake.route("GET", "/models/fam/compare", {"a": {}, "b": {}})
    api = BedrockTunerApi(client(fake))
    assert api.start_run("bot", "s3://b/datasets/bot/t.jsonl")["runId"] == "r-9"
    assert fake.requests[-1].body == {
        "datasetUri": "s3://b/datasets/bot/t.jsonl",
        "pipeline": "bot",
    }
    api.set_alias("fam", "prod", 3, "better")
    assert fake.requests[-1].body == {"version": 3, "reason": "better"}
    api.compare_versions("fam", 1, 2)
    assert fake.requests[-1].query == {"a": ["1"], "b": ["2"]}


# --------------------------------------------------------------------------- errors, retries


def test_problem_json_becomes_an_api_error_with_code_and_fix(fake: FakeApi) -> None:
    fake.route(
        "GET",
        "/runs/nope",
        problem(404, "BT_RUN_NOT_FOUND", "no run nope", "bedrock-tuner runs list"),
        status=404,
    )
    with pytest.raises(ApiError) as caught:
        BedrockTunerApi(client(fake)).get_run("nope")
    error = caught.value
    assert (error.code, error.status) == ("BT_RUN_NOT_FOUND", 404)
    assert error.detail == "no run nope" and error.message == "no run nope"
    assert error.fix == "bedrock-tuner runs list"
    assert error.problem["type"].endswith("BT_RUN_NOT_FOUND")
    assert len(fake.requests) == 1  # 4xx is not retried


def test_api_gateway_errors_get_a_code_and_a_fix(fake: FakeApi) -> None:
    fake.route("GET", "/runs", {"message": "Missing Authentication Token"}, status=403)
    with pytest.raises(ApiError) as caught:
        client(fake).request("GET", "/runs")
    assert caught.value.code == "BT_HTTP_403"
    assert caught.value.message == "Missing Authentication Token"
    assert caught.value.fix is not None and "execute-api:Invoke" in caught.value.fix


def test_retries_429_with_backoff_then_succeeds(fake: FakeApi) -> None:
    throttled = problem(429, "BT_THROTTLED", "slow down", "later")
    fake.route(
        "GET",
        "/runs",
        [(429, throttled), (429, throttled, {"Retry-After": "2"}), (200, [{"runId": "r-1"}])],
    )
    sleeps: list[float] = []
    answer = client(fake, sleep=sleeps.append, backoff_s=0.5).request("GET", "/runs")
    assert answer == [{"runId": "r-1"}]
    assert sleeps == [0.5, 2.0]  # exponential, Retry-After honoured
    assert len(fake.requests) == 3
    # each attempt is signed afresh
    assert all("Authorization" in r.headers for r in fake.requests)


def test_5xx_retries_are_bounded(fake: FakeApi) -> None:
    fake.route("GET", "/catalog", problem(503, "BT_TRANSIENT", "busy", "retry"), status=503)
    sleeps: list[float] = []
    with pytest.raises(ApiError) as caught:
        client(fake, sleep=sleeps.append, retries=2).request("GET", "/catalog")
    assert caught.value.code == "BT_TRANSIENT" and caught.value.status == 503
    assert len(fake.requests) == 3 and len(sleeps) == 2


def test_unreachable_api_is_a_clear_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = ApiClient(f"http://127.0.0.1:{port}/v1", "us-east-1", FAKE, timeout_s=2)
    with pytest.raises(ApiUnreachableError) as caught:
        api.request("GET", "/runs")
    assert caught.value.code == "BT_API_UNREACHABLE"
    assert caught.value.fix


_TEMPLATE = {
    "Resources": {
        "Param": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "tuner-test-param", "Type": "String", "Value": "x"},
        }
    },
    "Outputs": {
        "ApiUrl": {"Value": "https://abc123.execute-api.us-east-1.amazonaws.com/v1"},
    },
}


@mock_aws
def test_stack_output_lookup() -> None:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="tuner-test", TemplateBody=json.dumps(_TEMPLATE))
    endpoint = resolve_endpoint(stack="tuner-test", region="us-east-1")
    assert endpoint.url == "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
    assert endpoint.region == "us-east-1" and endpoint.source == "stack 'tuner-test'"

    without = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    cfn.create_stack(StackName="no-api", TemplateBody=json.dumps(without))
    with pytest.raises(StackError, match="no ApiUrl output") as caught:
        stack_api_url("no-api", "us-east-1")
    assert caught.value.fix
    with pytest.raises(StackError, match="no CloudFormation stack 'missing'") as caught:
        stack_api_url("missing", "us-east-1")
    assert caught.value.code == "BT_STACK" and "--stack" in (caught.value.fix or "")


@mock_aws
def test_the_stack_lookup_falls_back_to_us_east_1(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no region anywhere (no flag, no environment, no profile)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName="tuner-test", TemplateBody=json.dumps(_TEMPLATE))
    # Then the stack is looked up in us-east-1, as documented
    endpoint = resolve_endpoint(stack="tuner-test")
    assert endpoint.url == "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
    assert endpoint.region == "us-east-1"
