"""The doc-test runner: every fenced block of README.md and docs/*.md is either data or a
command that a test runs.

A marker comment on the line right before a fence says what happens to the block::

    <!-- doctest: run -->                 run it (bash, `set -euo pipefail`) in a copy of the
                                          checkout, on the example data, no cloud
    <!-- doctest: run cloud -->           the same, with `bedrock-tuner local up` running (one
                                          local cloud per page, started before its first
                                          cloud block, the shell prepared with
                                          `eval "$(bedrock-tuner local env)"`)
    <!-- doctest: skip reason="…" -->     not run here; the reason is required and listed
    <!-- doctest: output -->              a text block: the output of the run block before it
    <!-- doctest: file path=NAME -->      a data block (yaml, json …) that later blocks use:
                                          written to NAME in the page's checkout

Options of `run`: `exit=N` (the block must end with exit status N: a command documented to
fail; in a console transcript every command exits N, or `exit=0,2` gives each one's),
`timeout=S` (default 120), `retry=S` (run the block again until it passes, up to S seconds: a
step that waits for the asynchronous pipeline, as a person waits for the notification),
`expect="text"` (a line of the output must contain it; repeatable), `needs=tool,tool`
(skipped, naming the tool, when one is not on PATH), `setup=NAME` (before the block, once per
page, run ``tests/docs/setup/NAME.sh`` in the page's terminal: the state a reference page's
examples start from, made with the commands a person would use).

A ``console`` block is a transcript: `$ ` lines are commands (a trailing backslash
continues one), the lines after a command are what it prints. Each command runs in turn
(errexit off, pipefail on) and must exit with its `exit` status (default 0); what it
prints is compared with the lines shown.

A command the CLI prints in a block's output — `follow it: bedrock-tuner …`, a backticked
`` `bedrock-tuner …` `` in a fix, `(more: bedrock-tuner … --help)` — is run as printed, in the
same terminal after the block, and must exit 0 (a template with an upper-case placeholder such as `S3_URI` is
not run: tests/unit/test_hints.py parses those). `nofollow="reason"` on a block whose printed
commands cannot run after it (they name a cloud that ended with the block) says why.

Output comparison (console transcripts and `output` blocks) is on normalised lines: run ids,
timestamps, the random parts of ARNs and physical resource names, ports, durations and
throughput numbers are masked, runs of blanks are one blank, trailing blanks go. A line that
is only `…` stands for any number of lines; `…` inside a line for any text. With
``DOCTEST_UPDATE=1`` the runner rewrites the shown output from what the commands printed
(lines that still match are kept as written, `…` lines too), so sample outputs are produced
by the test.

Blocks in other languages (yaml, json, python, text, mermaid …) are data. A shell block
(bash, sh, shell, console, zsh) without a marker, a fence without a language, or a bad
marker fails the tier: a new command block must say how it is tested.

The blocks of one page run in document order in one simulated terminal: shell variables
(exported or not) carry from one block to the next, so a block can use a run id an earlier
block captured.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the checkout's environment: bedrock-tuner, aws, python3
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console", "zsh", "shell-session"})
KINDS = ("run", "skip", "output", "file")
MARKER = re.compile(r"\A\s*<!--\s*doctest:(?P<body>.*?)-->\s*\Z", re.S)
SETUP = Path(__file__).resolve().parent / "setup"
# What the Makefile's .venv stamp depends on (`make install` reinstalls when one is newer).
MAKE_INSTALL_PREREQUISITES = (
    "pyproject.toml",
    "layers/core/pyproject.toml",
    "localcloud/pyproject.toml",
    "cli/pyproject.toml",
    "requirements.lock",
)
ELLIPSIS = "…"
SEPARATOR = "\x1edoctest-step"


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and every docs/*.md, in the order the tier runs them."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# ------------------------------------------------------------------------------ markers
class MarkerError(ValueError):
    """A marker comment that does not parse."""


@dataclass(frozen=True)
class Marker:
    kind: str
    cloud: bool = False
    exit: tuple[int, ...] = (0,)
    path: str = ""
    timeout: float = 120.0
    retry: float = 0.0
    reason: str = ""
    needs: tuple[str, ...] = ()
    setup: str = ""
    nofollow: str = ""
    expect: tuple[str, ...] = ()


def parse_marker(text: str) -> Marker | None:
    """The marker in an HTML comment, None for another comment; MarkerError when malformed."""
    found = MARKER.match(text)
    if found is None:
        if "doctest" in text and text.lstrip().startswith("<!--"):
            raise MarkerError(f"not a marker: {text.strip()!r} (<!-- doctest: KIND … -->)")
        return None
    try:
        words = shlex.split(found["body"])
    except ValueError as error:
        raise MarkerError(f"{text.strip()!r}: {error}") from None
    if not words or words[0] not in KINDS:
        raise MarkerError(f"{text.strip()!r}: the kind is one of {', '.join(KINDS)}")
    kind, options = words[0], words[1:]
    values: dict[str, object] = {"kind": kind}
    expect: list[str] = []
    allowed = {
        "run": {"cloud", "exit", "timeout", "retry", "expect", "needs", "setup", "nofollow"},
        "skip": {"reason"},
        "output": set(),
        "file": {"path"},
    }[kind]
    for option in options:
        name, _, value = option.partition("=")
        if name not in allowed:
            raise MarkerError(
                f"{text.strip()!r}: {name!r} is not an option of {kind}"
                + (f" ({', '.join(sorted(allowed))})" if allowed else "")
            )
        if name == "cloud":
            if value:
                raise MarkerError(f"{text.strip()!r}: cloud takes no value")
            values["cloud"] = True
        elif name == "exit":
            values["exit"] = tuple(int(_number(text, name, v, int)) for v in value.split(","))
        elif name in ("timeout", "retry"):
            values[name] = _number(text, name, value, float)
        elif name == "expect":
            expect.append(value)
        elif name == "needs":
            values["needs"] = tuple(v for v in value.split(",") if v)
        elif name in ("reason", "nofollow"):
            if not value.strip():
                raise MarkerError(f'{text.strip()!r}: {name}="…" needs the reason')
            values[name] = value.strip()
        elif name == "path":
            values["path"] = value
        elif name == "setup":
            if not (SETUP / f"{value}.sh").is_file():
                raise MarkerError(f"{text.strip()!r}: no {SETUP.relative_to(ROOT)}/{value}.sh")
            values["setup"] = value
    if kind == "skip" and not values.get("reason"):
        raise MarkerError(f'{text.strip()!r}: a skip needs reason="why it cannot run here"')
    if kind == "file" and (not values.get("path") or str(values["path"]).startswith(("/", ".."))):
        raise MarkerError(f"{text.strip()!r}: a file needs path=NAME (inside the checkout)")
    return Marker(expect=tuple(expect), **values)  # type: ignore[arg-type]


def _number(text: str, name: str, value: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(value)
    except ValueError:
        raise MarkerError(f"{text.strip()!r}: {name}={value!r} is not a number") from None


# ------------------------------------------------------------------------------ blocks
@dataclass
class Block:
    """One fenced block: where it is, its language and text, and its marker."""

    path: Path
    start: int  # 0-based line of the opening fence
    end: int  # 0-based line after the closing fence
    indent: str
    lang: str
    body: str
    marker: Marker | None = None
    marker_error: str | None = None
    output: Block | None = None  # run blocks: the `output` block that shows what they print
    owner: Block | None = None  # output blocks: the run block they belong to

    @property
    def where(self) -> str:
        try:
            name = self.path.relative_to(ROOT)
        except ValueError:
            name = Path(self.path.name)
        return f"{name}:{self.start + 1}"

    @property
    def shell(self) -> bool:
        return self.lang in SHELL_LANGUAGES

    @property
    def kind(self) -> str | None:
        return self.marker.kind if self.marker else None


_MARKDOWN = MarkdownIt("commonmark")


def parse_blocks(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of a markdown file, with the marker on the line before it."""
    text = path.read_text() if text is None else text
    lines = text.splitlines()
    blocks: list[Block] = []
    previous = None
    for token in _MARKDOWN.parse(text):
        if token.type == "fence" and token.map is not None:
            start, end = token.map
            opening = lines[start]
            block = Block(
                path=path,
                start=start,
                end=end,
                indent=opening[: len(opening) - len(opening.lstrip())],
                lang=(token.info.split() or [""])[0].lower(),
                body=token.content,
            )
            if (
                previous is not None
                and previous.type == "html_block"
                and previous.map is not None
                and previous.map[1] == start
            ):
                try:
                    block.marker = parse_marker(previous.content)
                except MarkerError as error:
                    block.marker_error = str(error)
            blocks.append(block)
        if token.type in ("fence", "html_block", "paragraph_open", "heading_open"):
            previous = token
    _attach_outputs(blocks)
    return blocks


def _attach_outputs(blocks: list[Block]) -> None:
    last_run: Block | None = None
    for block in blocks:
        if block.kind == "run":
            last_run = block
        elif block.kind == "output" and last_run is not None and last_run.output is None:
            last_run.output, block.owner = block, last_run


def problems(blocks: Iterable[Block]) -> list[str]:
    """What makes a page untestable: unmarked command blocks, fences without a language,
    bad markers, output blocks that belong to no run block."""
    found = []
    for block in blocks:
        where = block.where
        if block.marker_error:
            found.append(f"{where}: {block.marker_error}")
        elif block.marker is None:
            if block.shell:
                found.append(
                    f"{where}: a ```{block.lang} block without a marker: put "
                    '<!-- doctest: run --> (or run cloud, or skip reason="…") on the line '
                    "before it"
                )
            elif not block.lang:
                found.append(
                    f"{where}: a fence without a language: ```text for data or output, "
                    "```bash or ```console (with a doctest marker) for commands"
                )
        elif block.kind == "file" and block.shell:
            found.append(f"{where}: `file` on a ```{block.lang} block (commands are run)")
        elif block.kind == "run":
            if block.lang != "console" and len(block.marker.exit) > 1:
                found.append(f"{where}: one exit status for a {block.lang} block")
            elif (
                block.lang == "console"
                and len(block.marker.exit) > 1
                and len(block.marker.exit) != len(console_steps(block.body))
            ):
                found.append(f"{where}: exit= gives a status per command of the transcript")
            if not block.shell:
                found.append(f"{where}: `run` on a ```{block.lang or '(none)'} block")
            elif block.lang == "console" and not console_steps(block.body):
                found.append(f"{where}: a console block shows `$ ` commands")
            elif block.lang == "console" and block.output is not None:
                found.append(f"{where}: a console transcript shows its own output")
        elif block.kind == "output":
            if block.shell:
                found.append(f"{where}: `output` on a ```{block.lang} block (use ```text)")
            elif block.owner is None:
                found.append(f"{where}: an `output` block with no `run` block before it")
    return found


# ------------------------------------------------------------------------------ console
@dataclass
class Step:
    """One command of a console transcript and the lines shown after it."""

    command: list[str]  # the `$ ` line and its continuation lines, prompt removed
    shown: list[str]
    blank_after: int = 0  # blank lines after the output (layout, not output)

    @property
    def script(self) -> str:
        return "\n".join(self.command)


def console_steps(body: str) -> list[Step]:
    steps: list[Step] = []
    continued = False
    for line in body.splitlines():
        if continued and steps:
            steps[-1].command.append(line)
        elif line.startswith("$ ") or line == "$":
            steps.append(Step([line[2:]], []))
        elif steps:
            steps[-1].shown.append(line)
        else:
            return []  # output before any command: not a transcript
        continued = line.endswith("\\") and not steps[-1].shown
    for step in steps:
        while step.shown and not step.shown[-1].strip():
            step.shown.pop()
            step.blank_after += 1
    return steps


PRINTED_COMMAND = re.compile(
    r"^follow it: (bedrock-tuner [^`]+?)\s*$|`(bedrock-tuner [a-z][^`]*)`|\(more: (bedrock-tuner [^)]+)\)"
)
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z0-9_]+\b|…|\.\.\.|<[^>]*>")


def printed_commands(lines: Iterable[str]) -> list[str]:
    """The commands the CLI printed for people to run next, that can run as printed."""
    found = []
    for line in lines:
        for match in PRINTED_COMMAND.finditer(line):
            command = next(group for group in match.groups() if group)
            if not PLACEHOLDER.search(command) and command not in found:
                found.append(command)
    return found


def render_console(steps: Sequence[Step]) -> list[str]:
    lines: list[str] = []
    for step in steps:
        lines.append("$ " + step.command[0])
        lines.extend(step.command[1:])
        lines.extend(step.shown)
        lines.extend([""] * step.blank_after)
    return lines


# ------------------------------------------------------------------------------ output
MASKS: list[tuple[re.Pattern[str], str]] = [
    # timestamps: ISO 8601 with a time, and the AWS CLI's / logs' "2026-12-07 22:56:13"
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<TIME>"),
    (re.compile(r"\b\d{8}-\d{6}\b"), "<TIME>"),  # {date}-{time} in names
    # run ids, UUIDs, request and message ids
    (re.compile(r"\br[0-9a-f]{12}\b"), "<RUN>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<UUID>"),
    # the random part of Bedrock job, model and deployment ARNs
    (
        re.compile(
            r"(:(?:model-customization-job|custom-model|custom-model-deployment)/"
            r"(?:[\w.:-]+/)?)[a-z0-9]{12}\b"
        ),
        r"\1<ID>",
    ),
    # CloudFormation physical names: stack-LogicalId-ABCDEF123456, bucket-name-abcdef123456
    (re.compile(r"\b([A-Za-z][\w-]*?-[A-Za-z]+)-[A-Z0-9]{12}\b"), r"\1-<ID>"),
    (re.compile(r"\b(bedrock-tuner-[a-z]+)-[a-z0-9]{12}\b"), r"\1-<ID>"),
    # local ports
    (re.compile(r"\b(127\.0\.0\.1|localhost):\d+"), r"\1:<PORT>"),
    # throughput, sizes per second, durations
    (re.compile(r"\d[\d,.]*\s?(?:[KMG]i?B|bytes)/s\b"), "<RATE>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds|min)\b"), "<DURATION>"),
]


def normalise(line: str) -> str:
    line = line.rsplit("\r", 1)[-1]  # a terminal shows what follows the last carriage return
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return re.sub(r"[ \t]+", " ", line).strip()


def _line_matches(shown: str, printed: str) -> bool:
    want = normalise(shown)
    if ELLIPSIS not in want:
        return want == normalise(printed)
    want = re.sub(f" ?{ELLIPSIS} ?", ELLIPSIS, want)  # "a … b" also matches "a b"
    pattern = ".*?".join(re.escape(part) for part in want.split(ELLIPSIS))
    return re.fullmatch(pattern, normalise(printed)) is not None


def _change(shown: str, printed: str) -> float:
    if _line_matches(shown, printed):
        return 0.0
    alike = difflib.SequenceMatcher(None, normalise(shown), normalise(printed)).ratio() >= 0.6
    return 1.0 if alike else 3.0


def _is_gap(line: str) -> bool:
    return line.strip() == ELLIPSIS


@dataclass
class Comparison:
    """The alignment of shown lines (with `…` gaps) to printed lines."""

    shown: list[str]
    printed: list[str]
    ops: list[tuple[str, int | None, int | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(op in ("same", "gap") for op, _, _ in self.ops)

    def differences(self) -> str:
        out = []
        for op, i, j in self.ops:
            if op == "changed":
                assert i is not None and j is not None
                out.append(f"  - {self.shown[i]}\n  + {self.printed[j]}")
            elif op == "missing":
                assert i is not None
                out.append(f"  - {self.shown[i]}   (not printed)")
            elif op == "extra":
                assert j is not None
                out.append(f"  + {self.printed[j]}   (printed, not shown)")
        return "\n".join(out)

    def updated(self) -> list[str]:
        """The shown lines rewritten from the printed ones: matching lines and gaps kept."""
        out: list[str] = []
        for op, i, j in self.ops:
            if op in ("same", "gap") and i is not None:
                out.append(self.shown[i])
            elif op in ("changed", "extra") and j is not None:
                out.append(self.printed[j].rsplit("\r", 1)[-1].rstrip())
        return out


def compare(shown: Sequence[str], printed: Sequence[str]) -> Comparison:
    """Align by edit distance: a shown line matches a printed one (cost 0) or is changed
    (1 when the two are alike, else 3), missing (2) or an extra printed line is added (2) —
    so a changed line is one that differs a little, not any line in its place; a `…` line
    absorbs any number of printed lines (almost) for free."""
    shown, printed = list(shown), [p for p in printed]
    while printed and not printed[-1].strip():
        printed.pop()
    m, n = len(shown), len(printed)
    inf = 3.0 * (m + n) + 1
    cost = [[inf] * (n + 1) for _ in range(m + 1)]
    move: list[list[str]] = [[""] * (n + 1) for _ in range(m + 1)]
    cost[0][0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            if i == 0 and j == 0:
                continue
            options: list[tuple[float, str]] = []
            if i > 0 and _is_gap(shown[i - 1]):
                options.append((cost[i - 1][j], "gap-end"))
                if j > 0:
                    options.append((cost[i][j - 1] + 0.01, "gap-eat"))
            else:
                if i > 0 and j > 0:
                    options.append(
                        (cost[i - 1][j - 1] + _change(shown[i - 1], printed[j - 1]), "pair")
                    )
                if i > 0:
                    options.append((cost[i - 1][j] + 2, "missing"))
                if j > 0:
                    options.append((cost[i][j - 1] + 2, "extra"))
            cost[i][j], move[i][j] = min(options, key=lambda o: o[0])
    ops: list[tuple[str, int | None, int | None]] = []
    i, j = m, n
    while i > 0 or j > 0:
        step = move[i][j]
        if step == "gap-end":
            ops.append(("gap", i - 1, None))
            i -= 1
        elif step == "gap-eat":
            j -= 1
        elif step == "pair":
            same = _line_matches(shown[i - 1], printed[j - 1])
            ops.append(("same" if same else "changed", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif step == "missing":
            ops.append(("missing", i - 1, None))
            i -= 1
        else:
            ops.append(("extra", None, j - 1))
            j -= 1
    ops.reverse()
    return Comparison(shown, printed, ops)


# ------------------------------------------------------------------------------ the shell
@dataclass
class Result:
    exit: int
    output: str
    timed_out: bool = False


def clean_env(home: Path) -> dict[str, str]:
    """A person's terminal in the checkout: the environment's scripts first on PATH, no
    AWS settings or credentials of the machine's, nothing of another test's local cloud."""
    dropped = ("AWS_", "MOTO_", "BT_", "BEDROCK_TUNER_", "VIRTUAL_ENV", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleave as on a terminal
        TERM="dumb",
    )
    return env


class Terminal:
    """One page's shell: blocks run one after another, variables carry over (each block
    ends by saving them; the next starts by loading them)."""

    def __init__(self, cwd: Path, env: dict[str, str], scratch: Path) -> None:
        self.cwd, self.env, self.scratch = cwd, env, scratch
        self.state = scratch / "shell-state.sh"
        self.count = 0
        self.last: Path | None = None

    def run(self, body: str, *, timeout: float, probe: bool = False) -> Result:
        """Run ``body``; unless it is a ``probe``, :meth:`keep` then keeps its variables."""
        self.count += 1
        script = self.scratch / f"block-{self.count}.sh"
        saved = self.scratch / f"block-{self.count}.state"
        if not probe:
            self.last = saved
        script.write_text(
            "set -a\n"  # every variable a block sets is kept for the next block
            f"if [ -f {shlex.quote(str(self.state))} ]; then . {shlex.quote(str(self.state))}; fi\n"
            f"trap 'export -p > {shlex.quote(str(saved))}' EXIT\n"
            "set -euo pipefail\n" + body + "\n"
        )
        with subprocess.Popen(
            ["bash", str(script)],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a timeout ends the block's whole process group
        ) as proc:
            try:
                output, _ = proc.communicate(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                output, _ = proc.communicate()
                timed_out = True
        return Result(proc.returncode, output, timed_out)

    def keep(self) -> None:
        """The last block passed: its variables are the terminal's now."""
        saved = self.last
        if saved is not None and saved.is_file():
            kept = [
                line
                for line in saved.read_text().splitlines(keepends=True)
                if not re.match(r"declare -\S+ (PWD|OLDPWD|SHLVL|_)=", line)
            ]
            self.state.write_text("".join(kept))


def console_script(steps: Sequence[Step]) -> str:
    """Each step runs with errexit off; its exit status follows its output, on a line of its
    own after a separator."""
    parts = ["set +e"]
    for step in steps:
        parts.append(step.script)
        parts.append(f"printf '\\n{SEPARATOR} %s\\n' \"$?\"")
    return "\n".join(parts)


def split_console_output(output: str) -> list[tuple[list[str], int]]:
    """``[(printed lines, exit status)]`` per step that ran."""
    results = []
    pattern = re.compile(rf"\n?{re.escape(SEPARATOR)} (\d+)\n")
    position = 0
    for found in pattern.finditer(output):
        chunk = output[position : found.start()]
        results.append((chunk.splitlines(), int(found[1])))
        position = found.end()
    return results


# ------------------------------------------------------------------------------ a page
def copy_checkout(target: Path, root: Path = ROOT) -> Path:
    """A copy of the checkout to run a page in (commands write files: split outputs, a
    regenerated openapi.json …), sharing the checkout's .venv."""
    shutil.copytree(
        root,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            ".venv-tools",
            ".aws-sam",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            ".hypothesis",
            "__pycache__",
            "*.egg-info",
            ".data",
        ),
    )
    venv = root / ".venv"
    if venv.is_dir():
        (target / ".venv").symlink_to(venv)
        stamp = venv / ".installed"
        if stamp.is_file():
            # The copy's `make` sees the shared .venv as installed (never reinstalls it
            # from the copy, which would point the editable install at the copy).
            when = stamp.stat().st_mtime - 1
            for prerequisite in MAKE_INSTALL_PREREQUISITES:
                if (target / prerequisite).is_file():
                    os.utime(target / prerequisite, (when, when))
    return target


class LocalUp:
    """``bedrock-tuner local up``, started as a person starts it, in its own terminal."""

    def __init__(self, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        self.proc = subprocess.Popen(
            [str(BIN / "bedrock-tuner"), "local", "up"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while "Ctrl-C stops" not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"bedrock-tuner local up did not start:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.handle.close()


@dataclass
class PageReport:
    ran: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # blocks whose output was compared
    followed: list[str] = field(default_factory=list)  # commands the CLI printed, run
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rewrites: list[tuple[Block, list[str]]] = field(default_factory=list)


def run_page(path: Path, scratch: Path, *, update: bool = False) -> PageReport:
    """Run a page's `run` blocks in order in one terminal; stop at the first failure."""
    report = PageReport()
    blocks = [b for b in parse_blocks(path) if b.kind in ("run", "file")]
    if not blocks:
        return report
    home = scratch / "home"
    home.mkdir(parents=True)
    checkout = copy_checkout(scratch / "checkout")
    env = clean_env(home)
    terminal = Terminal(checkout, env, scratch)
    cloud: LocalUp | None = None
    done: set[str] = set()
    try:
        for block in blocks:
            assert block.marker is not None
            if block.kind == "file":
                target = checkout / block.marker.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.body)
                continue
            missing = [
                tool for tool in block.marker.needs if shutil.which(tool, path=env["PATH"]) is None
            ]
            if missing:
                report.skipped.append(f"{block.where}: needs {', '.join(missing)} on PATH")
                continue
            if block.marker.cloud and cloud is None:
                cloud = LocalUp(checkout, env, scratch / "local-up.log")
                prepared = terminal.run('eval "$(bedrock-tuner local env)"', timeout=60)
                if prepared.exit != 0:
                    report.failures.append(f"`bedrock-tuner local env` failed:\n{prepared.output}")
                    return report
                terminal.keep()
            if block.marker.setup and block.marker.setup not in done:
                done.add(block.marker.setup)
                script = (SETUP / f"{block.marker.setup}.sh").read_text()
                prepared = terminal.run(script, timeout=600)
                if prepared.exit != 0:
                    logs = f"\n--- local up (last lines):\n{cloud.tail()}" if cloud else ""
                    report.failures.append(
                        f"{block.where}: setup {block.marker.setup} exited {prepared.exit}:\n"
                        f"{prepared.output}{logs}"
                    )
                    return report
                terminal.keep()
            failure = run_block(block, terminal, report, update=update)
            if failure:
                logs = f"\n--- local up (last lines):\n{cloud.tail()}" if cloud else ""
                report.failures.append(failure + logs)
                return report
            report.ran.append(block.where)
    finally:
        if cloud is not None:
            cloud.stop()
    return report


def run_block(block: Block, terminal: Terminal, report: PageReport, *, update: bool) -> str | None:
    """None when the block passed, else what went wrong (command, exit status, output)."""
    marker = block.marker
    assert marker is not None
    deadline = time.monotonic() + marker.retry
    while True:
        try:
            failure = _attempt(block, terminal, report, update=update)
        except FinalFailure as final:  # the block ran: running it again would not help
            return str(final)
        if failure is None:
            terminal.keep()
            return None
        if time.monotonic() >= deadline:
            return failure
        time.sleep(1)


def _attempt(block: Block, terminal: Terminal, report: PageReport, *, update: bool) -> str | None:
    marker = block.marker
    assert marker is not None
    if block.lang == "console":
        return _attempt_console(block, terminal, report, update=update)
    result = terminal.run(block.body, timeout=marker.timeout)
    head = f"{block.where}: the block\n{textwrap.indent(block.body.rstrip(), '    ')}\n"
    if result.timed_out:
        return f"{head}did not end within {marker.timeout:g} s; it printed:\n{result.output}"
    if result.exit != marker.exit[0]:
        return (
            f"{head}exited {result.exit} (expected {marker.exit[0]}); it printed:\n{result.output}"
        )
    for text in marker.expect:
        if not any(text in line for line in result.output.splitlines()):
            return f"{head}printed no line with {text!r}; it printed:\n{result.output}"
    if block.output is not None:
        shown = block.output.body.splitlines()
        comparison = compare(shown, result.output.splitlines())
        if update:
            new = comparison.updated()
            if new != shown:
                report.rewrites.append((block.output, new))
        elif not comparison.ok:
            return (
                f"{head}printed something else than {block.output.where} shows:\n"
                f"{comparison.differences()}\n(DOCTEST_UPDATE=1 rewrites it)"
            )
        report.checked.append(block.where)
    _follow(block, terminal, report, result.output.splitlines())
    return None


class FinalFailure(Exception):
    """A failure after the block passed (a command it printed): not retried."""


def _follow(block: Block, terminal: Terminal, report: PageReport, printed: list[str]) -> None:
    """Run the commands the CLI printed, as printed, after the block, in its terminal."""
    assert block.marker is not None
    terminal.keep()
    if block.marker.nofollow:
        return
    for command in printed_commands(printed):
        followed = terminal.run(command, timeout=block.marker.timeout, probe=True)
        if followed.exit != 0:
            raise FinalFailure(
                f"{block.where}: `{command}`, a command the CLI printed, exited "
                f"{followed.exit}:\n{followed.output}"
            )
        report.followed.append(command)


def _attempt_console(
    block: Block, terminal: Terminal, report: PageReport, *, update: bool
) -> str | None:
    marker = block.marker
    assert marker is not None
    steps = console_steps(block.body)
    result = terminal.run(console_script(steps), timeout=marker.timeout)
    ran = split_console_output(result.output)
    new_steps = []
    for index, step in enumerate(steps):
        head = f"{block.where}: `{step.script}`"
        if index >= len(ran):
            why = f"did not end within {marker.timeout:g} s" if result.timed_out else "did not run"
            return f"{head} {why} (the transcript ended with exit {result.exit}):\n{result.output}"
        printed, status = ran[index]
        expected = marker.exit[index] if len(marker.exit) > 1 else marker.exit[0]
        if status != expected:
            text = "\n".join(printed)
            return f"{head} exited {status} (expected {expected}); it printed:\n{text}"
        comparison = compare(step.shown, printed)
        if update:
            new_steps.append(Step(step.command, comparison.updated(), step.blank_after))
        elif not comparison.ok:
            return (
                f"{head} printed something else than the transcript shows:\n"
                f"{comparison.differences()}\n(DOCTEST_UPDATE=1 rewrites it)"
            )
    _follow(block, terminal, report, [line for lines, _ in ran for line in lines])
    if update:
        new = render_console(new_steps)
        if new != block.body.splitlines():
            report.rewrites.append((block, new))
    report.checked.append(block.where)
    return None


def rewrite(path: Path, rewrites: Sequence[tuple[Block, list[str]]]) -> None:
    """Replace the bodies of the given blocks of ``path`` (their fences stay)."""
    lines = path.read_text().splitlines(keepends=True)
    for block, body in sorted(rewrites, key=lambda r: r[0].start, reverse=True):
        closing = block.end - 1
        new = [(block.indent + line).rstrip() + "\n" for line in body]
        lines[block.start + 1 : closing] = new
    path.write_text("".join(lines))
