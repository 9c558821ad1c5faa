"""Promote, roll back and read an alias's history on the local cloud — through the HTTP API
(as Swagger UI and curl use it) and through the CLI — and check the SSM parameter that
applications read follows every change."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_cli.main import main as cli
from bedrock_tuner_localcloud.api_server import LOCAL_USER_ARN
from bedrock_tuner_localcloud.server import LocalCloud

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
SPEC = {
    "base_model": "amazon.nova-2-lite-v1:0:256k",
    "budget": {"auto_approve_usd": 25, "max_usd": 500},
}


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def parameter(cloud: LocalCloud, family: str, alias: str) -> str:
    ssm = cloud.client("ssm")
    return str(ssm.get_parameter(Name=f"/bedrock-tuner/{family}/{alias}")["Parameter"]["Value"])


def test_promote_roll_back_and_read_the_history(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any
) -> None:
    # Given two registered versions of the family "support"
    for name in ("train-a.jsonl", "train-b.jsonl"):
        upload = upload_dataset("support", GOOD, spec=SPEC, name=name)
        assert wait_for_execution(upload, timeout=60)["status"] == "SUCCEEDED"
    api = cloud.api_url
    status, versions = call(f"{api}/models/support/versions")
    assert status == 200 and [v["version"] for v in versions] == [1, 2]
    arns = {v["version"]: v["modelArn"] for v in versions}

    # When version 1 and then version 2 are promoted to production
    status, change = call(
        f"{api}/models/support/aliases/production", "PUT", {"version": 1, "reason": "first model"}
    )
    assert status == 200, change
    assert parameter(cloud, "support", "production") == arns[1]
    status, change = call(
        f"{api}/models/support/aliases/production", "PUT", {"version": 2, "reason": "lower loss"}
    )
    assert status == 200, change
    assert parameter(cloud, "support", "production") == arns[2]

    # And rolled back
    status, change = call(
        f"{api}/models/support/aliases/production/rollback", "POST", {"reason": "regression"}
    )
    assert status == 200, change

    # Then the alias, the SSM parameter and the history agree
    status, alias = call(f"{api}/models/support/aliases/production")
    assert status == 200 and alias["version"] == 1
    assert parameter(cloud, "support", "production") == arns[1]
    status, history = call(f"{api}/models/support/aliases/production/history")
    assert status == 200
    assert [(h["action"], h["version"], h["reason"]) for h in history] == [
        ("promote", 1, "first model"),
        ("promote", 2, "lower loss"),
        ("rollback", 1, "regression"),
    ]
    assert {h["by"] for h in history} == {LOCAL_USER_ARN}
    status, versions = call(f"{api}/models/support/versions")
    assert [v["aliases"] for v in versions] == [["production"], []]

    # And the CLI reads the same history from the same API
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli(["aliases", "history", "support", "production", "--api-url", api, "--json"])
    assert code == 0
    assert [h["version"] for h in json.loads(out.getvalue())] == [1, 2, 1]


def test_promoting_an_unknown_version_is_a_problem(cloud: LocalCloud) -> None:
    status, problem = call(
        f"{cloud.api_url}/models/nobody/aliases/production", "PUT", {"version": 7}
    )
    assert 400 <= status < 500
    assert problem["code"] and problem["fix"]
