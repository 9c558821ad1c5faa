"""`bedrock-tuner runs recover RUN_ID` (issue 8, item 2) against the API's real answers.

Each answer is recorded from the API function under moto (``POST /runs/{id}/recover`` through
the handler), then served to the CLI by the fake API, so the CLI is tested on what the API
really says: the registered version, the idempotent repeat, and each refusal as a coded error
with its fix (exit 2, nothing on stdout, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import TransientError
from bedrock_tuner_cli.main import main
from cli_env import isolate_cli
from fake_api import FakeApi
from integration.conftest import Cloud
from integration.helpers import completed_job_result, started_job, validated
from integration.test_api import api_event
from lambda_handlers import invoke

USER = "arn:aws:iam::123456789012:user/alice"


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli(monkeypatch, tmp_path)


def recorded(run_id: str) -> tuple[int, Any]:
    """``POST /runs/{run_id}/recover`` through the API function: ``(status, JSON body)``."""
    reply = invoke("api", api_event("POST", f"/runs/{run_id}/recover", body={}, user_arn=USER))
    return int(reply["statusCode"]), json.loads(reply["body"])


def recover(
    fake: FakeApi, capsys: pytest.CaptureFixture[str], run_id: str, *extra: str
) -> tuple[int, str, str, Any]:
    """Record the API's answer, serve it, run the CLI: ``(exit code, out, err, answer)``."""
    status, answer = recorded(run_id)
    fake.route("POST", f"/runs/{run_id}/recover", answer, status=status)
    capsys.readouterr()  # the functions' own output (EMF, logs)
    code = main(["runs", "recover", run_id, "--api-url", fake.url, *extra])
    out, err = capsys.readouterr()
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/v1/runs/{run_id}/recover")
    return code, out, err, answer


def failed_after_training(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A run whose job completed and whose registration failed after its retries (D3)."""
    state = started_job(cloud)
    cloud.set_job_status(state["job"]["jobName"], "Completed")
    state["jobResult"] = completed_job_result(cloud, state["job"]["jobName"])
    with monkeypatch.context() as broken:

        def down(*args: Any, **kwargs: Any) -> Any:
            raise TransientError("DynamoDB TransactWriteItems: internal error")

        broken.setattr(default_deps().versions, "register", down)
        with pytest.raises(TransientError):
            invoke("register_model_version", state)
    state["error"] = {"Error": "TransientError", "Cause": "DynamoDB internal error"}
    invoke("notify", {"kind": "pipeline_failed", "run": state})
    item = cloud.item(f"RUN#{state['runId']}", "RUN")
    assert item is not None and item["status"] == "FAILED"
    return state


def assert_coded_error(out: str, err: str, code: str, *fix_has: str) -> None:
    assert out == ""
    assert f"error [{code}]: " in err, err
    [fix] = [line for line in err.splitlines() if line.startswith("fix: ")]
    for text in fix_has:
        assert text in fix, fix
    assert "Traceback" not in err


def test_recover_registers_the_model_and_says_how_to_see_it(
    cloud: Cloud,
    fake: FakeApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = failed_after_training(cloud, monkeypatch)
    run_id = state["runId"]
    code, out, err, answer = recover(fake, capsys, run_id)
    assert code == 0, err
    model_arn = state["jobResult"]["outputModelArn"]
    assert answer["modelArn"] == model_arn
    assert out == (
        f"registered: support-bot v1 from run {run_id}\n"
        f"  model: {model_arn}\n"
        # the follow-up names the same API the invocation used
        f"see it: bedrock-tuner versions get support-bot 1 --api-url {fake.url}\n"
    )
    assert err == ""
    assert cloud.item(f"RUN#{run_id}", "RUN")["version"] == 1  # type: ignore[index]


def test_recover_again_says_already_registered_and_json_is_the_answer(
    cloud: Cloud,
    fake: FakeApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_id = failed_after_training(cloud, monkeypatch)["runId"]
    assert recover(fake, capsys, run_id)[0] == 0
    code, out, _, _ = recover(fake, capsys, run_id)
    assert code == 0
    assert out.startswith(f"already registered: support-bot v1 from run {run_id}\n"), out
    code, out, _, answer = recover(fake, capsys, run_id, "--json")
    assert code == 0
    assert json.loads(out) == answer
    assert (answer["status"], answer["version"]) == ("already registered", 1)


def test_a_run_still_running_is_a_conflict_with_the_command_to_wait(
    cloud: Cloud, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = validated(cloud)["runId"]
    code, out, err, answer = recover(fake, capsys, run_id)
    assert answer["status"] == 409
    assert code == 2
    assert_coded_error(out, err, "BT_CONFLICT", f"bedrock-tuner runs get {run_id}")


def test_a_run_that_never_trained_is_refused_with_the_command_that_retries_it(
    cloud: Cloud, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    from bedrock_tuner.pipeline.runs import RunStatus, Step

    state = validated(cloud)
    default_deps().runs.update(
        state["runId"],
        status=RunStatus.FAILED,
        step=Step(name="notify", status="pipeline_failed", at="2026-11-28T12:00:00.000Z"),
    )
    code, out, err, answer = recover(fake, capsys, state["runId"])
    assert answer["status"] == 400
    assert code == 2
    assert "never started a job" in err
    assert_coded_error(out, err, "BT_USAGE", "bedrock-tuner runs start support-bot s3://")


def test_a_run_whose_job_failed_is_refused_with_what_to_do(
    cloud: Cloud,
    fake: FakeApi,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = started_job(cloud)
    cloud.set_job_status(state["job"]["jobName"], "Failed", failure_message="bad data")
    state["jobResult"] = {"status": "Failed", "failureMessage": "bad data"}
    invoke("notify", {"kind": "job_failed", "run": state})
    code, out, err, _ = recover(fake, capsys, state["runId"])
    assert code == 2
    assert "is Failed, not Completed" in err
    assert_coded_error(out, err, "BT_USAGE", "upload the dataset again")


def test_an_unknown_run_is_not_found_with_a_command_that_lists_runs(
    cloud: Cloud, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err, answer = recover(fake, capsys, "r000000000000")
    assert answer["status"] == 404
    assert code == 2
    assert_coded_error(out, err, "BT_RUN_NOT_FOUND", "bedrock-tuner runs list")


def test_recover_without_a_run_id_is_a_usage_error_with_a_fix(
    fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:  # argparse's exit, as for every usage error
        main(["runs", "recover", "--api-url", fake.url])
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and lines[0].startswith("error [BT_USAGE]: "), err
    assert lines[-1].startswith("fix: ") and "runs recover" in lines[-1], err
    assert "Traceback" not in err
    assert fake.requests == []
