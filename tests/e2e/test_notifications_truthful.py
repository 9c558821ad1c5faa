"""What the pipeline tells a person is true, and every command it prints runs as printed.

On the local cloud (the real template, ASL and handlers): the approval message for a model
without a price says why it waits; the pending approval lists that reason; the printed
``approve`` command, pasted, approves the run; a spec error's printed ``runs start`` retries
the run once the spec is fixed; the success message says whether the alias moved. Commands
are run in-process through the CLI's ``main`` against the local API (``--local``).
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_cli.client.stack import LOCAL_STATE_ENV, write_local_state
from bedrock_tuner_cli.main import main as cli
from bedrock_tuner_localcloud.server import LocalCloud

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
UNPRICED = "amazon.nova-lite-v1:0:300k"  # no training price in the catalog
PRICED = "amazon.nova-2-lite-v1:0:256k"


@pytest.fixture
def local_state(cloud: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``--local`` finds this cloud's API (as after ``bedrock-tuner local up``)."""
    path = write_local_state(cloud.api_url, cloud.region, path=tmp_path / "local.json")
    monkeypatch.setenv(LOCAL_STATE_ENV, str(path))
    return path


def run_printed(command: str) -> tuple[int, str]:
    """Run a ``bedrock-tuner`` command exactly as a message printed it."""
    argv = shlex.split(command)
    assert argv[0] == "bedrock-tuner", command
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli(argv[1:])
        except SystemExit as exit_:  # argparse
            code = int(exit_.code or 0)
    return code, out.getvalue() + err.getvalue()


def printed_commands(text: str) -> Iterator[str]:
    """Every ``bedrock-tuner …`` command in a message's text (to the end of its line or
    the closing backtick)."""
    for line in text.splitlines():
        start = line.find("bedrock-tuner ")
        while start != -1:
            rest = line[start:]
            end = rest.find("`")
            yield (rest if end == -1 else rest[:end]).rstrip(" .")
            start = line.find("bedrock-tuner ", start + len("bedrock-tuner "))


def test_unpriced_model_approval_says_why_and_the_printed_command_approves(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    local_state: Path,
) -> None:
    upload = upload_dataset("unpriced", GOOD, spec={"base_model": UNPRICED})
    deadline_notes = []
    for _ in range(200):
        deadline_notes = notifications("approval_needed")
        if deadline_notes:
            break
        cloud.bridge.wait_idle(timeout=0.05)
    [note] = deadline_notes
    body = note.body
    assert note.subject is not None and note.subject.endswith("approval needed (cost unknown)")
    assert "no training price" in body["text"]
    assert "above the auto-approve limit" not in body["text"]
    # the pending approval says the same (the CLI's WHY column reads it)
    code, out = run_printed("bedrock-tuner approvals list --local --json")
    assert code == 0, out
    [pending] = json.loads(out)
    assert pending["runId"] == body["run_id"]
    assert "no training price" in pending["why"] and pending.get("costUsd") is None
    # the command the message printed, pasted as is
    approve = body["details"]["approve"]
    assert approve.endswith("--local") and approve in body["text"]
    code, out = run_printed(approve)
    assert code == 0, out
    assert wait_for_execution(upload, timeout=60)["status"] == "SUCCEEDED"


def test_a_spec_error_is_retried_by_the_printed_command_after_the_fix(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    local_state: Path,
) -> None:
    upload_dataset("fixme", GOOD, spec={"base_model": PRICED, "budget": {"max_usd": -1}})
    [note] = [n for n in _wait_for(notifications, "spec_error") if n.body["run_id"] != "-"]
    retry = note.body["details"]["retry"]
    assert retry in note.body["text"] and retry.endswith("--local")
    # fix the spec, then paste the command
    s3 = cloud.client("s3")
    bucket = cloud.stack.physical_id("DataBucket")
    s3.put_object(
        Bucket=bucket, Key="pipelines/fixme.yaml", Body=f"base_model: {PRICED}\n".encode()
    )
    code, out = run_printed(retry)
    assert code == 0, out
    started = json.loads(run_printed(retry + " --json")[1])  # again: a real duplicate now
    assert started["status"] == "duplicate"
    described = wait_for_execution(started["runId"], timeout=60)
    assert described["status"] == "SUCCEEDED"
    assert described["input"]["runId"] == started["runId"] != note.body["run_id"]


def test_every_printed_command_in_the_messages_runs(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    local_state: Path,
) -> None:
    """The success message (promotion manual) and the invalid-dataset message."""
    spec = {"base_model": PRICED, "budget": {"auto_approve_usd": 25, "max_usd": 500}}
    upload = upload_dataset("cmds", GOOD, spec=spec)
    assert wait_for_execution(upload, timeout=60)["status"] == "SUCCEEDED"
    [ok] = notifications("succeeded")
    commands = list(printed_commands(ok.body["text"]))
    assert any(c.startswith("bedrock-tuner promote cmds production 1") for c in commands)
    assert "Promotion is manual: no alias moved" in ok.body["text"]
    for command in commands:
        code, out = run_printed(command)
        assert code == 0, (command, out)
    broken = ROOT / "examples" / "datasets" / "support-chat.broken.jsonl"
    bad = upload_dataset("cmds", broken, spec=spec, name="broken.jsonl")
    assert wait_for_execution(bad, timeout=60)["status"] == "FAILED"
    [invalid] = notifications("invalid_dataset")
    assert invalid.subject and "10 kinds" in invalid.subject, invalid.subject
    [validate] = list(printed_commands(invalid.body["text"]))
    code, out = run_printed(validate)  # reads the dataset from the local cloud's S3
    assert code == 1, out  # invalid: exit 1, as documented
    assert "E_ROLE_ORDER" in out


def test_auto_promotion_says_whether_the_alias_moved_and_why(
    cloud: LocalCloud, upload_dataset: Any, wait_for_execution: Any, notifications: Any
) -> None:
    spec = {
        "base_model": PRICED,
        "budget": {"auto_approve_usd": 25, "max_usd": 500},
        "promotion": "auto_if_better",
        "promotion_metric": "training_loss",
    }
    for name in ("a.jsonl", "b.jsonl"):
        upload = upload_dataset("auto", GOOD, spec=spec, name=name)
        assert wait_for_execution(upload, timeout=60)["status"] == "SUCCEEDED"
    first, second = notifications("succeeded")
    assert "production now points at v1" in first.body["text"]
    promotion = second.body["details"]["promotion"]
    assert promotion["metric"] == "trainingLoss"
    moved = promotion["moved"]
    if moved:
        assert "production now points at v2 (was v1)" in second.body["text"]
    else:
        assert "production stays at v1: training loss" in second.body["text"]


def _wait_for(notifications: Any, kind: str) -> list[Any]:
    """The run's notifications of ``kind`` (a spec's upload check has run id "-")."""
    for _ in range(400):
        found = [n for n in notifications(kind) if n.body["run_id"] != "-"]
        if found:
            return found
    raise AssertionError(f"no {kind} notification")
