"""The stack commands of the CLI against the local cloud (the real template, ASL, handlers and
API): a pipeline put with the CLI, a run that waits for approval approved with the command
the notification prints, then the run, model and version listings."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud.server import LocalCloud

pytestmark = pytest.mark.usefixtures("needs_handlers")

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "bedrock_tuner_cli.main"]
GOOD = ROOT / "examples" / "datasets" / "support-chat.nova.jsonl"
SPEC = """base_model: amazon.nova-2-lite-v1:0:256k
customization_type: FINE_TUNING
budget: {auto_approve_usd: 0, max_usd: 500}
notify: {emails: [ml-team@example.com]}
model_family: cli-e2e
"""


def cli(cloud: LocalCloud, *argv: str) -> tuple[int, str, str]:
    """The CLI as a person runs it: its own process (the handlers' logs stay out of its
    output), signing with fake keys the local cloud accepts."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "MOTO_PORT")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", NO_COLOR="1")
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [*CLI, *argv, "--api-url", cloud.api_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def cli_json(cloud: LocalCloud, *argv: str) -> Any:
    code, out, err = cli(cloud, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def printed_command(text: str, start: str) -> list[str]:
    """The argv of the first command in ``text`` that starts with ``start``, where the stack
    is found the way the test reaches it (``--api-url``, not ``--stack NAME``/``--local``)."""
    found = re.search(rf"{re.escape(start)}[^\n]*", text)
    assert found, f"no `{start} …` in:\n{text}"
    argv = shlex.split(found.group(0))[1:]
    kept: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in ("--stack", "--api-url", "--region"):
            skip = True
        elif word != "--local":
            kept.append(word)
    return kept


def test_a_run_driven_with_the_cli(
    cloud: LocalCloud,
    upload_dataset: Any,
    wait_for_execution: Any,
    notifications: Any,
    tmp_path: Path,
) -> None:
    # Given a pipeline stored with `pipelines put`
    spec_file = tmp_path / "cli-e2e.yaml"
    spec_file.write_text(SPEC)
    code, out, err = cli(cloud, "pipelines", "put", "cli-e2e", str(spec_file))
    assert code == 0, err
    assert "stored pipelines/cli-e2e.yaml" in out
    assert "cli-e2e" in cli_json(cloud, "pipelines", "list")
    code, out, _ = cli(cloud, "pipelines", "get", "cli-e2e")
    assert out == SPEC

    # When a dataset arrives, the run waits for a person
    upload = upload_dataset("cli-e2e", GOOD)
    pending = wait_until(lambda: cli_json(cloud, "approvals", "list"), what="a pending approval")
    run_id = pending[0]["runId"]
    code, out, _ = cli(cloud, "approvals", "list")
    assert run_id in out and "$" in out  # Nova 2 Lite has a price: the cost is known
    assert run_id in {r["runId"] for r in cli_json(cloud, "runs", "list", "--status", "active")}

    # And the approve command the notification prints runs as printed (no --reason)
    (ask,) = wait_until(lambda: notifications("approval_needed"), what="approval_needed")
    argv = printed_command(ask.body["text"], "bedrock-tuner approvals approve")
    code, out, err = cli(cloud, *argv)
    assert code == 0, err
    assert re.match(rf"approved run {run_id} as arn:aws:iam::", out), out

    # Then the run succeeds and shows up where a person looks for it
    assert wait_for_execution(upload, timeout=60)["status"] == "SUCCEEDED"
    succeeded = cli_json(cloud, "runs", "list", "--status", "Succeeded")
    assert [r["runId"] for r in succeeded] == [run_id]
    assert cli_json(cloud, "runs", "list", "--status", "FAILED") == []
    families = cli_json(cloud, "models", "list")
    assert "cli-e2e" in [family["family"] for family in families]
    code, out, _ = cli(cloud, "versions", "list", "cli-e2e")
    assert code == 0 and run_id in out
    code, out, _ = cli(cloud, "runs", "get", run_id)
    assert re.search(r"^cost\s+\$\d", out, re.MULTILINE), out
    assert not re.search(r"\d\.\d{3}|\+00:00", out), out  # one time format, to the second

    # And the pipeline can go (its runs and versions stay)
    code, out, _ = cli(cloud, "pipelines", "delete", "cli-e2e")
    assert code == 0 and "deleted pipeline cli-e2e" in out
    code, _, err = cli(cloud, "pipelines", "get", "cli-e2e")
    # the API's fix, with this invocation's --api-url: it runs as printed (issue 7, finding 2)
    assert code == 2 and "`bedrock-tuner pipelines put cli-e2e FILE --api-url" in err
    assert cli_json(cloud, "versions", "list", "cli-e2e")
