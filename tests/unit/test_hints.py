"""Every ``bedrock-tuner …`` command the package prints (in a ``fix:``, a message, a banner)
and every ``$ bedrock-tuner …`` line in the docs runs as printed: the CLI's parser accepts it.

Commands are found in string literals other than docstrings (f-strings with their ``{…}``
filled by sample values): a backticked `` `bedrock-tuner …` `` (`` `bedrock-tuner --flag` ``
names an option, `` `bedrock-tuner ... --local` `` any command), or a one-line literal that
starts with ``bedrock-tuner COMMAND``. A backticked bare `` `bedrock-tuner` `` followed by a
command's name is a garbled command. Upper-case placeholders (``FILE``, ``ID``, ``R``) are
plain words to the parser, so a command with a wrong shape (an extra positional, a missing
required option) still fails.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest

from bedrock_tuner_cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    ROOT / "layers" / "core" / "bedrock_tuner",
    ROOT / "cli" / "bedrock_tuner_cli",
    ROOT / "localcloud" / "bedrock_tuner_localcloud",
]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BACKTICKED = re.compile(r"`(bedrock-tuner(?: [^`]*)?)`( \w+)?")


def _command_names() -> set[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    return set(sub.choices or ())


COMMANDS = _command_names()


def _commands_in(text: str) -> list[str]:
    found = []
    for command, next_word in BACKTICKED.findall(text):
        words = command.split()
        if len(words) == 1:
            word = next_word.strip()
            if word and (word in COMMANDS or f"{word}s" in COMMANDS or f"{word}es" in COMMANDS):
                found.append(f"{command}{next_word}  (garbled: the command is outside the quotes)")
            continue
        if words[1].startswith("-") or words[1] == "...":
            continue  # an option of every command, or any command
        found.append(command)
    words = text.split()
    if (
        text.startswith("bedrock-tuner ")
        and "\n" not in text
        and len(words) > 1
        and words[1] in COMMANDS
    ):
        found.append(text)
    return found


def _literal_text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with each ``{…}`` as a sample word."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("x1")
        return "".join(parts)
    return None


def _package_commands() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in sorted(p for package in PACKAGES for p in package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        skipped = {
            id(value)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for value in node.values
        } | {  # docstrings and other bare strings: documentation, not output
            id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue  # a piece of an f-string (the whole is checked), or a docstring
            text = _literal_text(node)
            if not text or "bedrock-tuner" not in text:
                continue
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            found.extend((where, command) for command in _commands_in(text))
    return found


def _doc_commands() -> list[tuple[str, str, bool]]:
    """``(where, command, usage_error)``: a command followed by ``error [BT_USAGE]`` in the
    docs is an example of a usage error (it must fail); every other one must parse."""
    found: list[tuple[str, str, bool]] = []
    for path in DOCS:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if stripped.startswith("$ bedrock-tuner "):
                command = stripped[2:].split("  #")[0].split(" | ")[0].split(" > ")[0].strip()
                following = lines[number].strip() if number < len(lines) else ""
                usage_error = following.startswith("error [BT_USAGE]")
                found.append((f"{path.relative_to(ROOT)}:{number}", command, usage_error))
    return found


PRINTED = _package_commands()
DOCUMENTED = _doc_commands()


# Placeholders for numbers: the parser checks the type.
NUMBERS = {"VERSION": "2", "N": "2", "A": "1", "B": "2"}


def _parses(command: str) -> str | None:
    """None when the CLI accepts ``command``, else argparse's complaint."""
    argv = [NUMBERS.get(word, word) for word in shlex.split(command)[1:]]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_:
        return None if exit_.code == 0 else f"exit {exit_.code}"  # --help exits 0
    return None


def test_the_scan_finds_the_commands() -> None:
    # The scan itself works: it sees the fixes that name commands, and the docs' examples
    assert any("runs list" in command for _, command in PRINTED)
    assert any("versions list" in command for _, command in PRINTED)
    assert any(
        command.startswith("bedrock-tuner approvals approve") for _, command, _ in DOCUMENTED
    )


@pytest.mark.parametrize(("where", "command"), PRINTED, ids=[w for w, _ in PRINTED])
def test_every_printed_command_runs_as_printed(
    where: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = _parses(command)
    assert problem is None, f"{where}: `{command}` does not run: {capsys.readouterr().err}"


@pytest.mark.parametrize(
    ("where", "command", "usage_error"), DOCUMENTED, ids=[w for w, _, _ in DOCUMENTED]
)
def test_every_documented_command_runs_as_written(
    where: str, command: str, usage_error: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = _parses(command)
    if usage_error:  # shown as an example of a usage error: it must be one
        assert problem == "exit 2", f"{where}: `{command}` is not the usage error shown"
    else:
        assert problem is None, f"{where}: `{command}` does not run: {capsys.readouterr().err}"
