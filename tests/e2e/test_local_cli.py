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
CLI = [sys.executable, "-m", "bedrock_tuner.cli.main"]


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
    assert proc.returncode == 0
    assert not state_file.exists()  # forgotten when the cloud stops
