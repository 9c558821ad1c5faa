"""`bedrock-tuner local up --faults PLAN` with a valid plan (issue 8, item 3): started as a person
starts it (a separate process), it prints its banner and then the armed plan, one line per
rule, and Ctrl-C (SIGINT) stops it with status 130. A bad plan is a usage error before anything
starts: tests/faults/test_local_cli_faults.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bedrock_tuner_localcloud.faults import load_plan

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAN = Path("examples/faults/throttled-resume.yaml")  # as a person types it, from the checkout
RULE = (
    "stepfunctions:SendTaskSuccess from OnJobStateChangeFunction fails with "
    "ThrottlingException (1x)"
)


def shell_env(state_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_PORT"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["BEDROCK_TUNER_LOCAL_STATE"] = str(state_file)
    env["NO_COLOR"] = "1"
    env["HOME"] = str(state_file.parent)
    return env


def test_local_up_with_a_fault_plan_says_it_is_armed_and_ctrl_c_stops_it(
    tmp_path: Path,
) -> None:
    assert load_plan(ROOT / PLAN).summary() == [RULE]  # the sample plan's one rule
    proc = subprocess.Popen(
        [str(BIN / "bedrock-tuner"), "local", "up", "--faults", str(PLAN)],
        cwd=ROOT,
        env=shell_env(tmp_path / "local.json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        armed_at: int | None = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "is armed" in line:
                armed_at = len(lines) - 1
            if armed_at is not None and len(lines) > armed_at + 1:
                break  # the plan's first (and only) rule
        output = "".join(lines)
        # Then the banner is the usual one, and the plan follows it, named as given
        assert "Ctrl-C stops" in output, output
        assert armed_at is not None, output
        assert lines[armed_at].strip() == (
            f"Fault plan {PLAN} is armed (failures print as they fire):"
        ), output
        assert lines[armed_at + 1] == f"  {RULE}\n", output
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest: list[str] = []
        reader = threading.Thread(target=lambda: rest.extend(proc.stdout or []), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
    # And Ctrl-C stops it at once, as any interrupted command: 128 + SIGINT
    assert proc.returncode == 130, "".join(lines + rest)
    assert "stopping the local cloud" in "".join(rest)
    assert "Traceback" not in "".join(lines + rest)
