"""Every command ``bedrock-tuner local up`` prints, run as printed against a running ``local up``
(a separate process, as a person starts it): the AWS CLI lines (the real AWS CLI v1, from the
dev extra), the approval, the boto3 snippet and the curl lines — each must exit 0 and do what
it says. The commands docs/local-cloud.md shows are run by the doc-test runner (tests/docs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the environment's scripts: bedrock-tuner, aws, python3


@dataclass
class LocalUp:
    """A running ``bedrock-tuner local up``: its banner, its later output, the shell env."""

    proc: subprocess.Popen[str]
    banner: str
    env: dict[str, str]
    later: list[str] = field(default_factory=list)  # the live view, after the banner

    def value(self, label: str) -> str:
        found = re.search(rf"^  {label}\s+(\S+)", self.banner, re.M)
        assert found, f"no {label!r} in the banner:\n{self.banner}"
        return found.group(1)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.value("endpoint"),
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        found = sfn.list_executions(stateMachineArn=self.value("state machine"))
        return list(found["executions"])

    def output_since(self, mark: int) -> str:
        return "".join(self.later[mark:])


def _shell_env(state_file: Path) -> dict[str, str]:
    """A person's terminal: the checkout's environment on PATH, nothing of the test's cloud."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_PORT"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["BEDROCK_TUNER_LOCAL_STATE"] = str(state_file)
    env["NO_COLOR"] = "1"
    env["HOME"] = str(state_file.parent)  # no ~/.aws of the machine's
    return env


@pytest.fixture(scope="module")
def local_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalUp]:
    for tool in ("aws", "bedrock-tuner"):
        if not (BIN / tool).exists():
            pytest.fail(f"{BIN / tool} is missing: `make install` installs the dev extra")
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    env = _shell_env(tmp_path_factory.mktemp("local-up") / "local.json")
    proc = subprocess.Popen(
        [str(BIN / "bedrock-tuner"), "local", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C stops" in line:
            break
    up = LocalUp(proc, "".join(lines), env)
    assert "Ctrl-C stops" in up.banner, up.banner

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            up.later.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield up
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)


# ------------------------------------------------------------------------------ helpers
def command_blocks(text: str) -> dict[str, list[str]]:
    """The banner's command blocks: each introduced by a line ending with ':', its commands
    indented by two spaces (a line ending with a backslash continues on the next)."""
    blocks: dict[str, list[str]] = {}
    title: str | None = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            title = line if line.endswith(":") else None
            if title is not None:
                blocks[title] = []
            continue
        if title is None or not line.strip():
            continue
        commands = blocks[title]
        if commands and commands[-1].endswith("\\"):
            commands[-1] += "\n" + line
        else:
            commands.append(line[2:])
    return blocks


def block(blocks: dict[str, list[str]], starts: str) -> list[str]:
    (found,) = [commands for title, commands in blocks.items() if title.startswith(starts)]
    return found


def sh(up: LocalUp, script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in bash (errexit, pipefail) in the checkout, as a person's terminal."""
    return subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + script],
        cwd=ROOT,
        env=up.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def wait_until(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def new_runs(up: LocalUp, before: set[str]) -> list[dict[str, Any]]:
    return [e for e in up.executions() if e["executionArn"] not in before]


def pending(up: LocalUp) -> list[str]:
    """Run ids waiting for approval, oldest first."""
    return [a["runId"] for a in get_json(f"{up.value('API')}/approvals")]


def reject_pending(up: LocalUp) -> None:
    for run_id in pending(up):
        request = urllib.request.Request(
            f"{up.value('API')}/approvals/{run_id}",
            data=json.dumps({"decision": "reject", "reason": "test cleanup"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


# ------------------------------------------------------------------------------ the banner
def test_every_command_the_banner_prints_runs_as_printed(local_up: LocalUp) -> None:
    blocks = command_blocks(local_up.banner)

    # The AWS CLI: exports, spec and dataset uploads (a run starts), listings
    aws = block(blocks, "Use it from another terminal")
    assert aws[0].startswith("export AWS_ENDPOINT_URL=")
    assert all(c.startswith("aws ") for c in aws[1:]), aws
    exports = aws[0]
    before = {e["executionArn"] for e in local_up.executions()}
    out = ok(sh(local_up, "\n".join(aws)))
    assert '"executions"' in out and '"modelCustomizationJobSummaries"' in out, out
    (run,) = wait_until("the run of the upload", lambda: new_runs(local_up, before))
    assert run["name"].startswith("support-bot-")

    # `local env` exports the same values, and the stack's names
    (env_line,) = block(blocks, "or export them")
    printed = ok(sh(local_up, env_line + "\nenv"))
    for assignment in exports.removeprefix("export ").split():
        assert assignment in printed.splitlines(), assignment
    assert f"BT_BUCKET={local_up.value('bucket')}" in printed.splitlines()

    # Approving: the run waits for approval, the printed lines approve it (exports first,
    # as in the terminal they were typed in)
    run_id = run["name"].rsplit("-", 1)[-1]
    wait_until("its approval request", lambda: pending(local_up) == [run_id])
    approve = block(blocks, "approve the oldest run")
    assert not any("lambda invoke" in line or '"by"' in line for line in approve), approve
    out = ok(sh(local_up, exports + "\n" + "\n".join(approve)))
    decided = json.loads(out)
    assert decided["runId"] == run_id and decided["decision"] == "approve", out
    assert decided["by"].startswith("arn:aws:iam::"), out  # the caller, not a typed name
    sfn = local_up.client("stepfunctions")
    arn = run["executionArn"]
    wait_until(
        "the approved run to succeed",
        lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED",
    )

    # boto3: the snippet uploads the dataset again, a new object version starts a new run
    snippet = block(blocks, "or boto3")
    ok(
        subprocess.run(
            [str(BIN / "python3"), "-c", "\n".join(snippet)],
            cwd=ROOT,
            env=local_up.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    )
    second = wait_until(
        "a second run",
        lambda: [r for r in new_runs(local_up, before) if r["executionArn"] != arn],
    )
    second_id = second[0]["name"].rsplit("-", 1)[-1]

    # The API, with curl
    catalog, put, runs = block(blocks, "or the API")
    assert json.loads(ok(sh(local_up, catalog)))["models"]
    stored = json.loads(ok(sh(local_up, put)))
    assert "support-bot" in json.dumps(stored), stored
    listed = json.loads(ok(sh(local_up, runs)))
    assert run_id in {r["runId"] for r in listed}, listed
    # Leave nothing waiting: the second run asks for approval too
    wait_until("the second run's approval request", lambda: second_id in pending(local_up))
    reject_pending(local_up)


def test_a_call_moto_does_not_implement_prints_one_line_not_tracebacks(local_up: LocalUp) -> None:
    (exports,) = [
        c for c in block(command_blocks(local_up.banner), "Use it") if c.startswith("export ")
    ]
    mark = len(local_up.later)
    result = sh(local_up, exports + "\naws bedrock list-foundation-models")
    # The client gets an error naming the operation (not an internal error it retries)
    assert result.returncode != 0
    assert "ListFoundationModels" in result.stderr and "not implemented" in result.stderr, (
        result.stderr
    )
    # and the local up terminal one line, once
    said = wait_until(
        "local up to report the call",
        lambda: [
            line
            for line in local_up.output_since(mark).splitlines()
            if "ListFoundationModels" in line
        ],
        timeout=10,
    )
    time.sleep(1)  # a retrying client would send the same call again
    printed = local_up.output_since(mark)
    assert "Traceback" not in printed, printed
    assert len([line for line in printed.splitlines() if "ListFoundationModels" in line]) == 1, (
        printed
    )
    assert "bedrock" in said[0] and "moto" in said[0], said
