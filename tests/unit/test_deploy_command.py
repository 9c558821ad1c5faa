"""The documented deploy works on a machine set up by `make` (issue 7, finding 14): `make
deploy` builds with the tools venv's SAM CLI (python3.13, as `make sam-build`) and runs that
same `sam deploy`, passing `ARGS=...` or `GUIDED=1` through; the README and docs/deploy.md give
that command. No real deploy runs here: `make -n` shows the commands."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_dry_run(*args: str) -> str:
    result = subprocess.run(
        ["make", "-n", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_make
def test_make_deploy_builds_then_deploys_with_the_tools_venv_sam() -> None:
    plan = make_dry_run("deploy", "ARGS=--guided --config-env prod").splitlines()
    build = next(i for i, line in enumerate(plan) if " build " in f"{line} ")
    deploy = next(i for i, line in enumerate(plan) if " deploy" in line)
    assert build < deploy
    assert ".venv-tools/sam/bin/sam build" in plan[build]
    assert ".venv-tools/sam/bin/sam deploy" in plan[deploy]
    assert plan[deploy].rstrip().endswith("--guided --config-env prod")
    guided = make_dry_run("deploy", "GUIDED=1")
    assert re.search(r"\.venv-tools/sam/bin/sam deploy\b.*--guided", guided)


def test_readme_and_deploy_page_give_the_make_deploy_command() -> None:
    readme = README.read_text()
    deploy_line = next(line for line in readme.splitlines() if "**Deploy:**" in line)
    assert "make deploy" in deploy_line
    deploy_page = (ROOT / "docs" / "deploy.md").read_text()
    assert "make deploy GUIDED=1" in deploy_page or "make deploy ARGS=--guided" in deploy_page
    # A bare `sam build && sam deploy` fails on a machine set up by make (sam is in a venv).
    samconfig = (ROOT / "samconfig.toml").read_text()
    for name, text in (
        ("README.md", readme),
        ("docs/deploy.md", deploy_page),
        ("samconfig.toml", samconfig),
    ):
        assert not re.search(r"(?<![/\w])sam build && sam deploy", text), name


def test_every_make_target_named_in_the_docs_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    for path in (README, *sorted((ROOT / "docs").glob("*.md"))):
        named = set(re.findall(r"`make ([a-z][\w-]*)", path.read_text()))
        assert named <= targets, (path.name, named - targets)
