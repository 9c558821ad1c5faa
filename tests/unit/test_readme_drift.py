"""Small drift between the docs and the code (issue 7, finding 15): the README's sample
`validate` output is what the command prints, the repeat count it gives for `make bench` is the
one `make bench` uses, every function count in the docs is template.yaml's, every function has
its requirements.txt (sam build warns without one), and LICENSE is the licence pyproject
declares."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bedrock_tuner_cli.main import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
BROKEN_SAMPLE = "examples/datasets/support-chat.broken.jsonl"
SAMPLE_MODEL = "amazon.nova-lite-v1:0:300k"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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


def test_readme_sample_validate_output_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = README.read_text()
    block = re.search(
        r"\n```(?:console\n\$ [^\n]*)?\n(?P<body>(?:IN)?VALID .*?)\n```", readme, flags=re.DOTALL
    )
    assert block is not None
    sample = block["body"].splitlines()
    assert sample[0].startswith(("INVALID", "VALID"))
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "validate", BROKEN_SAMPLE, "--model", SAMPLE_MODEL, "--no-progress")
    assert code == 1
    printed = out.splitlines()
    # Every sample line is printed, in this order; a line "…" stands for lines left out.
    position = 0
    for line in sample:
        if line == "…":
            continue
        assert line in printed[position:], line
        position = printed.index(line, position) + 1


def _make_bench_repeat() -> int:
    plan = make_dry_run("bench")
    command = next(line for line in plan.splitlines() if "benchmarks/run.py" in line)
    given = re.search(r"--repeat[ =](\d+)", command)
    if given:
        return int(given[1])
    runner = (ROOT / "benchmarks" / "run.py").read_text()
    default = re.search(r'"--repeat",[^)]*default=(\d+)', runner)
    assert default is not None
    return int(default[1])


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_readme_states_the_repeat_count_make_bench_uses() -> None:
    repeat = _make_bench_repeat()
    sentences = re.split(r"(?<=[.:])\s", README.read_text())
    claims = [s for s in sentences if "make bench" in s and re.search(r"--repeat|best of", s)]
    assert claims, "the README should say how often `make bench` repeats each measurement"
    for sentence in claims:
        for count in re.findall(r"(?:--repeat |best of )(\d+)", sentence):
            assert int(count) == repeat, sentence


def _function_count() -> int:
    template = (ROOT / "template.yaml").read_text()
    return len(re.findall(r"^\s+Type: AWS::Serverless::Function\s*$", template, re.MULTILINE))


NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip


def test_every_function_count_in_the_docs_matches_template_yaml() -> None:
    expected = _function_count()
    assert expected == len([p for p in (ROOT / "functions").iterdir() if p.is_dir()])
    pattern = re.compile(r"\b(\d+|[a-z]+) (?:Lambda )?functions\b", re.IGNORECASE)
    for path in (README, *DOCS):
        for match in pattern.finditer(path.read_text()):
            word = match[1].lower()
            count = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
            if count is not None:
                assert count == expected, (path.name, match[0])


def test_every_function_folder_has_a_requirements_file() -> None:
    for folder in sorted(p for p in (ROOT / "functions").iterdir() if p.is_dir()):
        requirements = folder / "requirements.txt"
        assert requirements.is_file(), f"{folder.name}: sam build warns without requirements.txt"
        assert "CoreLayer" in requirements.read_text(), folder.name


@pytest.mark.parametrize("dist", ["layers/core", "localcloud", "cli"])
def test_the_license_file_is_the_one_pyproject_declares(dist: str) -> None:
    project = tomllib.loads((ROOT / dist / "pyproject.toml").read_text())["project"]
    declared = project["license"]
    declared = declared if isinstance(declared, str) else declared.get("text", "")
    assert declared == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "APPENDIX: How to apply the Apache License to your work." in text
    # The full text, not a stub: its nine sections are all there.
    for section in range(1, 10):
        assert re.search(rf"^\s*{section}\. [A-Z]", text, re.MULTILINE), section
