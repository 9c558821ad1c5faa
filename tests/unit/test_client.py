"""The stack API client without a network: where the API is found (flags, environment, the
local state file) and the credentials it needs. Over HTTP and against a stack:
tests/integration/test_client_http.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock_tuner_cli.client import stack as stack_mod
from bedrock_tuner_cli.client.stack import (
    CredentialsError,
    StackError,
    region_of_url,
    resolve_endpoint,
    write_local_state,
)
from cli_env import isolate_cli


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path, access_key="testing")


# --------------------------------------------------------------------------- finding the API


def test_region_of_execute_api_urls() -> None:
    assert region_of_url("https://abc123.execute-api.us-west-2.amazonaws.com/v1") == "us-west-2"
    assert region_of_url("http://127.0.0.1:5000/v1") is None


def _no_stack_lookup(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    looked_up: list[str] = []

    def lookup(name: str, region: str | None = None) -> str:
        looked_up.append(name)
        return f"https://{name}.execute-api.eu-central-1.amazonaws.com/v1"

    monkeypatch.setattr(stack_mod, "stack_api_url", lookup)
    return looked_up


def test_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up = _no_stack_lookup(monkeypatch)
    write_local_state("http://127.0.0.1:4566/local", "us-east-2")
    monkeypatch.setenv("BEDROCK_TUNER_API_URL", "https://env.example.com/v1/")
    monkeypatch.setenv("BEDROCK_TUNER_STACK", "from-env")

    # --api-url beats everything
    endpoint = resolve_endpoint(api_url="https://flag.example.com/v1/", stack="s", local=True)
    assert (endpoint.url, endpoint.source) == ("https://flag.example.com/v1", "--api-url")
    # --local: the state file local up writes (its region too)
    endpoint = resolve_endpoint(local=True)
    assert endpoint.url == "http://127.0.0.1:4566/local" and endpoint.region == "us-east-2"
    # an explicit --stack beats the environment
    endpoint = resolve_endpoint(stack="mine")
    assert endpoint.url.startswith("https://mine.") and endpoint.region == "eu-central-1"
    # then $BEDROCK_TUNER_API_URL
    assert resolve_endpoint().url == "https://env.example.com/v1"
    # then the stack $BEDROCK_TUNER_STACK, else bedrock-tuner
    monkeypatch.delenv("BEDROCK_TUNER_API_URL")
    assert resolve_endpoint().url.startswith("https://from-env.")
    monkeypatch.delenv("BEDROCK_TUNER_STACK")
    assert resolve_endpoint().url.startswith("https://bedrock-tuner.")
    assert looked_up == ["mine", "from-env", "bedrock-tuner"]
    # --region wins over the URL's
    assert (
        resolve_endpoint(
            api_url="https://a.execute-api.us-west-2.amazonaws.com/v1", region="ap-south-1"
        ).region
        == "ap-south-1"
    )


def test_local_without_a_running_local_cloud() -> None:
    with pytest.raises(StackError) as caught:
        resolve_endpoint(local=True)
    assert "local up" in (caught.value.fix or "")


def test_bad_api_url_is_a_usage_error() -> None:
    with pytest.raises(Exception, match="not an http"):
        resolve_endpoint(api_url="ftp://x")


def test_credentials_required_except_for_the_local_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialsError):
        resolve_endpoint(api_url="https://a.execute-api.us-east-1.amazonaws.com/v1")
    write_local_state("http://127.0.0.1:4566/local", "us-east-1")
    assert resolve_endpoint(local=True).credentials.access_key == "testing"


def test_local_state_round_trip(tmp_path: Path) -> None:
    path = stack_mod.write_local_state("http://127.0.0.1:1234/v1", "eu-west-1")
    assert path == tmp_path / "local.json"
    assert stack_mod.read_local_state() == ("http://127.0.0.1:1234/v1", "eu-west-1")
    stack_mod.clear_local_state()
    stack_mod.clear_local_state()  # idempotent
    with pytest.raises(StackError):
        stack_mod.read_local_state()
    path.write_text("{not json")
    with pytest.raises(StackError, match="cannot read"):
        stack_mod.read_local_state()
