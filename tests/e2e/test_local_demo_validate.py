"""``make demo-validate`` (scripts/demo.sh): colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "demo.sh"
ESC = "\x1b["
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and bold (a progress bar's erase-line is not colour)

pytestmark = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "bedrock-tuner").exists(),
    reason="scripts/demo.sh runs the checkout's .venv (make install)",
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


def _on_a_terminal(env: dict[str, str]) -> tuple[int, str]:
    """Run the script with stdout and stderr on a pseudo-terminal; (status, what it showed)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the script is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_piped_output_has_no_escape_codes() -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "== 1/4" in result.stdout and "demo finished" in result.stdout
    assert ESC not in result.stdout and ESC not in result.stderr


def test_a_terminal_gets_colour_unless_no_color_is_set() -> None:
    status, shown = _on_a_terminal(_env())
    assert status == 0, shown
    assert f"{ESC}1m== 1/4" in shown  # bold headings on a terminal
    status, shown = _on_a_terminal(_env(NO_COLOR="1"))
    assert status == 0, shown
    assert "== 1/4" in shown and not SGR.search(shown), SGR.findall(shown)
