"""``bedrock-tuner runs|approvals|versions|aliases|promote|rollback`` against a fake API:
tables for people, ``--json`` for scripts, problem+json errors as ``error [CODE]`` + ``fix:``."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_cli.main import main
from cli_env import isolate_cli
from fake_api import FakeApi, problem

ANA = "arn:aws:iam::123456789012:user/ana"
RUN = {
    "runId": "support-bot-20260101-abc",
    "pipeline": "support-bot",
    "dataset": {"bucket": "data", "key": "datasets/support-bot/train.jsonl", "etag": "e"},
    "status": "TRAINING",
    "createdAt": "2026-01-01T10:00:00Z",
    "updatedAt": "2026-01-01T10:05:00Z",
    "costUsd": 12.5,
    "jobArn": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/x",
    "somethingNew": {"the": "client ignores it"},
}
TIMELINE = [
    {
        "name": "Validate dataset",
        "kind": "state",
        "status": "done",
        "enteredAt": "2026-01-01T10:00:01Z",
        "exitedAt": "2026-01-01T10:00:04Z",
        "stages": [],
    },
    {
        "name": "Wait for the job",
        "kind": "state",
        "status": "running",
        "enteredAt": "2026-01-01T10:01:00Z",
        "detail": "arn:job",
        "stages": [
            {"name": "training", "status": "InProgress", "startedAt": "2026-01-01T10:02:00Z"}
        ],
    },
]
VERSION = {
    "family": "support-bot",
    "version": 2,
    "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/v2",
    "baseModel": "amazon.nova-micro-v1:0",
    "customizationType": "FINE_TUNING",
    "runId": "support-bot-20260101-abc",
    "registeredAt": "2026-01-02T00:00:00Z",
    "costUsd": 12.5,
    "dataset": {"uri": "s3://data/datasets/support-bot/train.jsonl", "records": 1200},
    "metrics": {"trainingLoss": 0.42},
}

# argv, method, path, answer, what the table shows
CASES: list[tuple[list[str], str, str, Any, list[str]]] = [
    (
        ["runs", "list", "--pipeline", "support-bot", "--status", "TRAINING"],
        "GET",
        "/runs",
        [RUN],
        ["RUN ID", "STATUS", "support-bot-20260101-abc", "TRAINING", "$12.50"],
    ),
    (
        ["runs", "get", "support-bot-20260101-abc"],
        "GET",
        "/runs/support-bot-20260101-abc",
        {**RUN, "job": None, "timeline": TIMELINE},
        [
            "s3://data/datasets/support-bot/train.jsonl",
            "timeline:",
            "STEP",
            "Validate dataset",
            "Wait for the job",
            "- training",
            "InProgress",
        ],
    ),
    (
        ["runs", "start", "support-bot", "s3://data/datasets/support-bot/train.jsonl"],
        "POST",
        "/runs",
        {"status": "started", "reason": "new dataset", "runId": "r-2", "pipeline": "support-bot"},
        ["started run r-2", "bedrock-tuner runs get r-2"],
    ),
    (
        ["runs", "stop", "r-2", "--reason", "wrong data"],
        "POST",
        "/runs/r-2/stop",
        {"runId": "r-2", "jobStopped": True, "executionStopped": False, "by": "me"},
        ["stopping run r-2: stopped the Bedrock job"],
    ),
    (
        ["approvals", "list"],
        "GET",
        "/approvals",
        [
            {
                "runId": "r-3",
                "pipeline": "support-bot",
                "status": "PENDING",
                "costUsd": 80.0,
                "requestedAt": "2026-01-01T11:00:00Z",
            }
        ],
        ["RUN ID", "COST", "r-3", "$80.00"],
    ),
    (
        ["approvals", "approve", "r-3", "--reason", "budgeted"],
        "POST",
        "/approvals/r-3",
        {"runId": "r-3", "decision": "approve", "by": ANA, "reason": "budgeted"},
        [f"approved run r-3 as {ANA}: budgeted", "follow it: bedrock-tuner runs get r-3"],
    ),
    (
        ["approvals", "reject", "r-3", "--reason", "too dear"],
        "POST",
        "/approvals/r-3",
        {"runId": "r-3", "decision": "reject", "by": ANA, "reason": "too dear"},
        [f"rejected run r-3 as {ANA}: too dear"],
    ),
    (
        ["versions", "list", "support-bot"],
        "GET",
        "/models/support-bot/versions",
        {
            "family": "support-bot",
            "versions": [VERSION, {**VERSION, "version": 1, "aliases": ["prod"]}],
        },
        ["VERSION", "BASE MODEL", "amazon.nova-micro-v1:0", "prod"],
    ),
    (
        ["versions", "get", "support-bot", "2"],
        "GET",
        "/models/support-bot/versions/2",
        VERSION,
        ["modelArn", "dataset.records", "1200", "metrics.trainingLoss"],
    ),
    (
        ["versions", "compare", "support-bot", "1", "2"],
        "GET",
        "/models/support-bot/compare",
        {
            "family": "support-bot",
            "a": 1,
            "b": 2,
            "metrics": {"validationLoss": {"a": 0.5, "b": 0.42, "delta": -0.08}},
            "dataset": {"records": {"a": 1000, "b": 1200, "delta": 200}},
            "hyperparameters": {},
            "model": {},
            "better": 2,
            "newField": "ignored",
        },
        [
            "FIELD",
            "v1",
            "v2",
            "DELTA",
            "metrics.validationLoss",
            "0.42",
            "dataset.records",
            "better (lower validation loss): v2",
        ],
    ),
    (
        ["aliases", "get", "support-bot", "prod"],
        "GET",
        "/models/support-bot/aliases/prod",
        {
            "family": "support-bot",
            "alias": "prod",
            "version": 1,
            "modelArn": "arn:v1",
            "updatedAt": "2026-01-03T00:00:00.980Z",
        },
        ["alias", "prod", "arn:v1", "updatedAt  2026-01-03T00:00:00Z"],
    ),
    (
        ["aliases", "history", "support-bot", "prod"],
        "GET",
        "/models/support-bot/aliases/prod/history",
        {
            "items": [
                {
                    "at": "2026-01-03T00:00:00Z",
                    "action": "promote",
                    "previousVersion": 1,
                    "version": 2,
                    "by": "ana",
                    "reason": "better",
                }
            ]
        },
        ["AT", "FROM", "TO", "promote", "ana", "better"],
    ),
    (
        ["promote", "support-bot", "prod", "2", "--reason", "better loss"],
        "PUT",
        "/models/support-bot/aliases/prod",
        {"alias": "prod", "version": 2, "previousVersion": 1},
        ["promoted: support-bot/prod -> version 2 (was 1)"],
    ),
    (
        ["rollback", "support-bot", "prod", "--reason", "regression"],
        "POST",
        "/models/support-bot/aliases/prod/rollback",
        {"alias": "prod", "version": 1, "previousVersion": 2},
        ["rolled back: support-bot/prod -> version 1 (was 2)"],
    ),
]


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path, access_key="AKIDFAKE000000000000")


@pytest.mark.parametrize(
    ("argv", "method", "path", "answer", "shown"),
    CASES,
    ids=[" ".join(case[0][:2]) for case in CASES],
)
def test_table_and_json(
    fake: FakeApi,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    method: str,
    path: str,
    answer: Any,
    shown: list[str],
) -> None:
    fake.route(method, path, answer)
    assert main([*argv, "--api-url", fake.url]) == 0
    out = capsys.readouterr().out
    for text in shown:
        assert text in out, f"{text!r} not in:\n{out}"
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == (method, "/v1" + path)
    assert "/execute-api/aws4_request" in sent.headers["Authorization"]

    assert main([*argv, "--api-url", fake.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == answer


def test_request_bodies_and_queries(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.route("GET", "/runs", [])
    fake.route("POST", "/approvals/r-3", {})
    fake.route("PUT", "/models/f/aliases/prod", {})
    fake.route("POST", "/models/f/aliases/prod/rollback", {})
    fake.route("POST", "/runs", {})
    url = ["--api-url", fake.url]
    main(["runs", "list", "--status", "TRAINING", *url])
    assert fake.requests[-1].query == {"status": ["TRAINING"]}
    main(["approvals", "reject", "r-3", "--reason", "too dear", *url])
    assert fake.requests[-1].body == {"decision": "reject", "reason": "too dear"}
    main(["promote", "f", "prod", "4", "--reason", "r", *url])
    assert fake.requests[-1].body == {"version": 4, "reason": "r"}
    main(["rollback", "f", "prod", "--reason", "bad", *url])
    assert fake.requests[-1].body == {"reason": "bad"}
    main(["runs", "start", "bot", "s3://b/datasets/bot/a.jsonl", *url])
    assert fake.requests[-1].body == {
        "datasetUri": "s3://b/datasets/bot/a.jsonl",
        "pipeline": "bot",
    }
    assert "no runs" in capsys.readouterr().out


def test_problem_is_exit_2_with_code_and_fix(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.route(
        "GET",
        "/runs/nope",
        problem(404, "BT_RUN_NOT_FOUND", "no run nope", "List the runs: bedrock-tuner runs list"),
        status=404,
    )
    assert main(["runs", "get", "nope", "--api-url", fake.url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error [BT_RUN_NOT_FOUND]: no run nope" in captured.err
    assert "fix: List the runs: bedrock-tuner runs list" in captured.err
    assert "Traceback" not in captured.err


def test_conflict_on_promote(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.route(
        "PUT",
        "/models/f/aliases/prod",
        problem(409, "BT_CONFLICT", "prod already points at 2", "Pick another version"),
        status=409,
    )
    assert (
        main(["promote", "f", "prod", "2", "--reason", "x", "--api-url", fake.url, "--json"]) == 2
    )
    err = capsys.readouterr().err
    assert "error [BT_CONFLICT]" in err and "fix: Pick another version" in err


def test_unreachable_api(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["approvals", "list", "--api-url", f"http://127.0.0.1:{port}/v1"]) == 2
    err = capsys.readouterr().err
    assert "error [BT_API_UNREACHABLE]" in err and "fix:" in err


def test_local_uses_the_state_file(
    fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "local.json").write_text(json.dumps({"api_url": fake.url, "region": "us-east-1"}))
    fake.route("GET", "/approvals", [])
    assert main(["approvals", "list", "--local"]) == 0
    assert "no runs waiting for approval" in capsys.readouterr().out


def test_compare_of_two_version_documents(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.route("GET", "/models/f/compare", {"a": {"x": 1, "y": "same"}, "b": {"x": 2, "y": "same"}})
    assert main(["versions", "compare", "f", "1", "2", "--api-url", fake.url]) == 0
    out = capsys.readouterr().out
    assert "x" in out and "same" not in out


# --------------------------------------------------------------------------- issue 7
def table_rows(text: str) -> list[dict[str, str]]:
    """The rows of an aligned table, by header (columns start where the headers start)."""
    header, *lines = text.splitlines()
    names = [name for name in header.split("  ") if name.strip()]
    starts = [header.index(name) for name in names]
    ends = [*starts[1:], None]
    return [
        {
            name.strip(): line[start:end].strip()
            for name, start, end in zip(names, starts, ends, strict=True)
        }
        for line in lines
        if line.strip()
    ]


def test_approve_needs_no_reason_but_reject_does(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the command the approval notification prints (no --reason)
    fake.route("POST", "/approvals/r-3", {"runId": "r-3", "decision": "approve", "by": "me"})
    # When it runs as printed, then it approves and sends no reason at all
    assert main(["approvals", "approve", "r-3", "--api-url", fake.url]) == 0
    assert fake.requests[-1].body == {"decision": "approve"}
    assert "approved run r-3" in capsys.readouterr().out
    # And a rejection still has to say why: a usage error with a fix, exit 2
    with pytest.raises(SystemExit) as caught:
        main(["approvals", "reject", "r-3", "--api-url", fake.url])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error [BT_USAGE]:") and "--reason" in err and "\nfix: " in err


def test_approvals_list_shows_unknown_cost_and_why(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.route(
        "GET",
        "/approvals",
        [
            {
                "runId": "r-4",
                "pipeline": "support-bot",
                "status": "PENDING",
                "costUsd": None,
                "why": "the cost is unknown (no training price in the catalog)",
                "requestedAt": "2026-01-01T11:00:00.123Z",
            }
        ],
    )
    assert main(["approvals", "list", "--api-url", fake.url]) == 0
    [row] = table_rows(capsys.readouterr().out)
    assert row["COST"] == "unknown"
    assert row["WHY"] == "the cost is unknown (no training price in the catalog)"
    assert row["REQUESTED"] == "2026-01-01T11:00:00Z"  # one timestamp format: seconds, UTC


def test_runs_list_status_groups_and_case(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.route("GET", "/runs", [])
    # A group or a status, in any case, is sent as the API's canonical value
    assert main(["runs", "list", "--status", "Failed", "--api-url", fake.url]) == 0
    assert fake.requests[-1].query == {"status": ["failed"]}
    assert main(["runs", "list", "--status", "over_budget", "--api-url", fake.url]) == 0
    assert fake.requests[-1].query == {"status": ["OVER_BUDGET"]}
    capsys.readouterr()
    # An unknown one is a usage error listing the valid values, and no request is sent
    sent = len(fake.requests)
    assert main(["runs", "list", "--status", "broken", "--api-url", fake.url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [BT_USAGE]: ") and "\nfix: " in err
    for valid in ("failed", "active", "succeeded", "OVER_BUDGET", "SPEC_ERROR"):
        assert valid in err
    assert len(fake.requests) == sent


SPEC_TEXT = "base_model: amazon.nova-lite-v1:0:300k\nhyperparameters:\n  epochCount: '2'\n"


def test_pipelines_list_get_put_delete(
    fake: FakeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = ["--api-url", fake.url]
    fake.route("GET", "/pipelines", ["faq", "support-bot"])
    assert main(["pipelines", "list", *url]) == 0
    assert capsys.readouterr().out.split() == ["PIPELINE", "faq", "support-bot"]

    view = {"name": "support-bot", "key": "pipelines/support-bot.yaml", "text": SPEC_TEXT}
    fake.route("GET", "/pipelines/support-bot", {**view, "spec": {"base_model": "x"}})
    assert main(["pipelines", "get", "support-bot", *url]) == 0
    assert capsys.readouterr().out == SPEC_TEXT  # the YAML as stored: pipe it to a file

    spec_file = tmp_path / "support-bot.yaml"
    spec_file.write_text(SPEC_TEXT)
    fake.route("PUT", "/pipelines/support-bot", {**view, "spec": {"base_model": "x"}})
    assert main(["pipelines", "put", "support-bot", str(spec_file), *url]) == 0
    assert fake.requests[-1].body == {"spec": SPEC_TEXT}
    out = capsys.readouterr().out
    assert "stored pipelines/support-bot.yaml" in out
    assert "bedrock-tuner runs start support-bot" in out  # what to do next

    fake.route("DELETE", "/pipelines/support-bot", None, status=204)
    assert main(["pipelines", "delete", "support-bot", *url]) == 0
    assert fake.requests[-1].method == "DELETE"
    assert "deleted pipeline support-bot" in capsys.readouterr().out


def test_pipelines_get_shows_a_stored_spec_problems(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.route(
        "GET",
        "/pipelines/bad",
        {
            "name": "bad",
            "key": "pipelines/bad.yaml",
            "text": "base_model: nope\n",
            "error": {"problems": [{"path": "base_model", "message": "unknown", "fix": "pick"}]},
        },
    )
    assert main(["pipelines", "get", "bad", "--api-url", fake.url]) == 0
    captured = capsys.readouterr()
    assert captured.out == "base_model: nope\n"
    assert "base_model: unknown" in captured.err and "fix: pick" in captured.err


def test_pipelines_put_a_missing_or_bad_file(
    fake: FakeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = ["--api-url", fake.url]
    assert main(["pipelines", "put", "p", str(tmp_path / "nope.yaml"), *url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [BT_SOURCE]") and "\nfix: " in err
    assert fake.requests == []  # nothing sent
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_model: [\n")
    spec_problem = problem(422, "BT_SPEC", "pipelines/p.yaml: not YAML", "fix the YAML")
    spec_problem["problems"] = [{"path": "", "message": "not YAML", "fix": "fix the YAML"}]
    fake.route("PUT", "/pipelines/p", spec_problem, status=422)
    assert main(["pipelines", "put", "p", str(bad), *url]) == 2
    err = capsys.readouterr().err
    assert "error [BT_SPEC]" in err and "fix: fix the YAML" in err
    # every problem of the spec is listed, not only the first
    spec_problem["problems"].append({"path": "budget.max_usd", "message": "not a number"})
    fake.route("PUT", "/pipelines/p", spec_problem, status=422)
    assert main(["pipelines", "put", "p", str(bad), *url]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("error [BT_SPEC]") and lines[-1] == "fix: fix the YAML"
    assert "  budget.max_usd: not a number" in lines


def test_models_list(fake: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.route(
        "GET",
        "/models",
        [
            {
                "family": "support-bot",
                "deploymentArn": None,
                "createdAt": "2026-01-02T00:00:00.000Z",
                "updatedAt": "2026-01-03T00:00:00.000Z",
            }
        ],
    )
    assert main(["models", "list", "--api-url", fake.url]) == 0
    [row] = table_rows(capsys.readouterr().out)
    assert row["FAMILY"] == "support-bot" and row["UPDATED"] == "2026-01-03T00:00:00Z"


def test_runs_get_shows_the_cost_and_one_timestamp_format(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a run without a known cost, whose record and history use two time formats
    run = {k: v for k, v in RUN.items() if k != "costUsd"}
    run["createdAt"] = "2026-01-01T10:00:00.214Z"
    timeline = [
        {
            "name": "Validate dataset",
            "kind": "state",
            "status": "done",
            "enteredAt": "2026-01-01T10:00:01.364000+00:00",
            "exitedAt": "2026-01-01T12:00:04.368000+02:00",
            "stages": [],
        }
    ]
    fake.route("GET", "/runs/r-1", {**run, "timeline": timeline})
    assert main(["runs", "get", "r-1", "--api-url", fake.url]) == 0
    out = capsys.readouterr().out
    # Then the cost line is there, and every time reads 2026-01-01T10:00:00Z
    assert re.search(r"^cost\s+unknown$", out, re.MULTILINE), out
    assert re.search(r"^created\s+2026-01-01T10:00:00Z$", out, re.MULTILINE), out
    stamps = re.findall(r"\d{4}-\d\d-\d\d[T ][0-9:.+Z-]+", out)
    assert stamps == [
        "2026-01-01T10:00:00Z",
        "2026-01-01T10:05:00Z",
        "2026-01-01T10:00:01Z",
        "2026-01-01T10:00:04Z",
    ]
