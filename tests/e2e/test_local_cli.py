"""``make demo`` and ``bedrock-tuner local up`` as a person runs them: separate processes (one
local cloud per process), the real template, ASL and handlers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "bedrock_tuner_cli.main"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("AWS_ENDPOINT_URL", "MOTO_PORT"):  # the in-process cloud's; not the child's
        env.pop(key, None)
    env["NO_COLOR"] = "1"
    return env


@pytest.mark.slow
def test_make_demo_runs_the_pipeline_and_registers_a_version(needs_handlers: None) -> None:
    result = subprocess.run(
        [*CLI, "local", "demo", "--speed", "0.1", "--timeout", "60"],
        cwd=ROOT,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for expected in (
        "== 4/5  The run, live",
        "→ Validate dataset",
        "bedrock  training …",
        "bedrock  job Completed",
        "■ execution SUCCEEDED",
        "registered  support-bot v1",
        "[succeeded]",
        "demo succeeded",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"


@pytest.mark.slow
def test_make_demo_fails_when_the_job_fails(needs_handlers: None) -> None:
    message = "Maximum input token count 4919 exceeds limit of 4096"
    result = subprocess.run(
        [*CLI, "local", "demo", "--speed", "0.1", "--timeout", "60", "--fail-job", message],
        cwd=ROOT,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"job Failed — {message}" in result.stdout
    assert "[job_failed]" in result.stdout
    # The summary says what Bedrock said and what to do (the job_failed notification's fix)
    summary = result.stdout.split("== 5/5  Result", 1)[1]
    assert f"Bedrock says: {message}" in summary, summary
    (fix,) = [line.strip() for line in summary.splitlines() if line.strip().startswith("fix:")]
    assert "4919 > 4096" in fix and "bedrock-tuner validate" in fix, fix


@pytest.mark.slow
def test_local_up_serves_the_stack_until_interrupted(tmp_path: Path) -> None:
    state_file = tmp_path / "local.json"
    proc = subprocess.Popen(
        [*CLI, "local", "up", "--quiet"],
        cwd=ROOT,
        env={**_env(), "BEDROCK_TUNER_LOCAL_STATE": str(state_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        text = "".join(lines)
        endpoint = re.search(r"endpoint\s+(http://127\.0\.0\.1:\d+)", text)
        bucket = re.search(r"bucket\s+(\S+)", text)
        assert endpoint and bucket, text
        assert "aws s3 cp examples/datasets/support-chat.nova.jsonl" in text
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint.group(1),
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert bucket.group(1) in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        api = re.search(r"API\s+(http://127\.0\.0\.1:\d+)", text)
        assert api and f"Swagger UI     {api.group(1)}/docs" in text, text
        assert json.loads(state_file.read_text())["api_url"] == api.group(1)  # for --local
        with urllib.request.urlopen(api.group(1) + "/catalog", timeout=30) as response:
            assert response.status == 200 and json.loads(response.read())["models"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 130  # stopped by Ctrl-C (128 + SIGINT), like any interrupted command
    assert not state_file.exists()  # forgotten when the cloud stops


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 90) -> str:
    """Lines of the child's output up to and including the first that contains ``marker``."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"{marker!r} never printed:\n{''.join(lines)}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "marker"),
    [
        (["local", "up", "--quiet"], "deploying"),
        (["local", "demo", "--speed", "0.1"], "== 2/5  Deploy template.yaml"),
        (["local", "demo", "--speed", "0.1"], "== 4/5  The run, live"),
    ],
    ids=["up-during-deploy", "demo-during-deploy", "demo-during-the-run"],
)
def test_ctrl_c_stops_the_local_cloud_at_once_with_status_130(
    tmp_path: Path, command: list[str], marker: str
) -> None:
    import psutil

    state_file = tmp_path / "local.json"
    proc = subprocess.Popen(
        [*CLI, *command],
        cwd=ROOT,
        env={**_env(), "BEDROCK_TUNER_LOCAL_STATE": str(state_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        before = _read_until(proc, marker)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = before + rest
    assert proc.returncode == 130, out
    # The deploy (or the run) was abandoned, not finished first
    assert "Ctrl-C stops" not in out and "demo succeeded" not in out, out
    assert not state_file.exists()
    assert not [c for c in children if c.is_running()]  # nothing left behind
