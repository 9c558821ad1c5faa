"""The test tiers: each folder of tests/ is a tier that `make test` runs in a pytest process of
its own, the unit tier opens no socket, and a run mixing a local-cloud tier with another is
refused (tests/conftest.py)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_socket import SocketBlockedError

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def _make_tiers() -> dict[str, str]:
    """{make target: the tests/ folder its pytest runs} for the targets in TIERS."""
    makefile = (ROOT / "Makefile").read_text()
    declared = re.search(r"^TIERS := (.+)$", makefile, re.MULTILINE)
    assert declared is not None
    tiers: dict[str, str] = {}
    for target in declared[1].split():
        recipe = re.search(rf"^{re.escape(target)}:.*\n\t\$\(PYTEST\) tests/(\w+)$", makefile, re.M)
        assert recipe is not None, f"make {target} runs no tests/ folder"
        tiers[target] = recipe[1]
    return tiers


def test_make_test_runs_every_tier_folder() -> None:
    folders = {path.parent.name for path in TESTS.glob("*/test_*.py")}
    tiers = _make_tiers()
    assert sorted(tiers.values()) == sorted(folders)
    test_recipe = re.search(r"^test:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert test_recipe is not None and "$(TIERS)" in test_recipe[1]


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket")
def test_unit_tests_cannot_open_a_socket() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)


def test_a_run_mixing_a_local_cloud_tier_with_another_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/e2e/test_swagger_ui.py", "tests/unit/test_hints.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "[BT_TEST_TIERS] tests/e2e" in result.stderr
    assert "fix: make e2e" in result.stderr
