"""``bedrock-tuner local demo|up --faults PLAN``, as a person runs them (separate processes:
one local cloud per process)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from e2e.test_local_cli import CLI, _env

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "local", *args],
        cwd=ROOT,
        env=_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_the_demo_runs_under_a_fault_plan_and_recovers(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        (ROOT / "examples" / "faults" / "lost-events.yaml").read_text() + "faults:\n"
        "  - {service: sns, operation: Publish, function: NotifyFunction, error: Throttled}\n"
    )
    result = _run("demo", "--speed", "0.1", "--timeout", "60", "--faults", str(plan))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for expected in (
        f"fault plan  {plan}:",
        "Completed/Failed/Stopped events of jobs are lost",
        "↯ fault plan: NotifyFunction sns:Publish → Throttled (rule 1)",
        "(reconcile sweep)",
        "■ execution SUCCEEDED",
        "faults injected: 1",
        "demo succeeded",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"


@pytest.mark.parametrize("command", ["demo", "up"])
def test_a_bad_plan_is_a_coded_usage_error_before_anything_starts(
    tmp_path: Path, command: str
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "faults:\n  - service: stepfunctions\n    operation: SendTaskSucess\n"
        "    error: ThrottlingException\n"
    )
    result = _run(command, "--faults", str(plan), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        f"error [BT_FAULT_PLAN]: {plan}: faults[0].operation: stepfunctions has no operation "
        "'SendTaskSucess'"
    ), result.stderr
    assert lines[-1] == "fix: did you mean 'SendTaskSuccess'?"
    assert "Traceback" not in result.stderr
    assert "moto" not in result.stdout  # nothing was started
