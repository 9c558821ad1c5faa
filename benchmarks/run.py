"""Throughput / memory benchmark of the dataset validator (``make bench``).

Usage::

    python benchmarks/run.py                      # 100 MB and 1 GB files, both formats
    python benchmarks/run.py --quick              # 20 MB files only (smoke test)
    python benchmarks/run.py --sizes 100 --repeat 3 --json
    python benchmarks/run.py --quick --validator-cmd \\
        "{python} benchmarks/baseline.py {path} --parser msgspec"

For every dataset (generated on first use into ``benchmarks/.data/``, which is gitignored) it
runs, each in its own subprocess:

* ``validator``     ``python -m bedrock_tuner_cli.main validate FILE --model M --json
                    --no-progress``, pinned to one CPU with ``taskset -c 0`` when available;
* ``validator-2w``  the same with ``--workers 2``, not pinned;
* ``msgspec`` / ``orjson``  the parse-only baselines of ``benchmarks/baseline.py``, pinned.

Each command is started by ``_launch.py``, a fresh ~8 MB Python process that takes
``perf_counter`` around spawn + ``os.wait4`` (wall seconds) and reads ``ru_maxrss`` from that
``wait4`` (peak RSS of the command - or, if it forks workers and reaps them, of its largest
process: Linux reports a max, not a sum). The launcher exists because a child forked straight
from this runner would inherit the runner's high-water RSS into its ``ru_maxrss``.
``tree RSS`` is the peak of the *sum* of RSS over the command and its descendants, sampled
every 50 ms from ``/proc`` (it over-counts pages shared after ``fork``).
MB means MiB (2**20 bytes) throughout. The page cache is warmed before a file's runs.

The validator's exit status 0 (valid) and 1 (invalid: the 1 GB files exceed the models'
record-count maxima) both count as a successful run provided stdout holds the JSON report;
exit 2, a signal, or missing/garbled JSON is a failed run. Targets, checked at the end:
validator >= 400 MB/s on the 1 GB conversation file with one worker; peak RSS <= 128 MB for
every validator run; 2-worker speed-up >= 1.6x on the 1 GB files (process start-up dominates smaller ones).
Exit status: 0 when every target that could be checked passed and no run failed, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

BENCH_DIR: Final = Path(__file__).resolve().parent
REPO_ROOT: Final = BENCH_DIR.parent
DEFAULT_DATA_DIR: Final = BENCH_DIR / ".data"
DEFAULT_RESULTS: Final = BENCH_DIR / "results.json"
LAUNCHER: Final = BENCH_DIR / "_launch.py"
sys.path.insert(0, str(BENCH_DIR))

from generate import FORMATS, GENERATOR_VERSION, MIB, MODELS, generate  # noqa: E402

DEFAULT_VALIDATOR_CMD: Final = (
    "{python} -m bedrock_tuner_cli.main validate {path} --model {model} --json --no-progress"
    " {workers_args}"
)
BASELINE_CMD: Final = (
    "{python} " + shlex.quote(str(BENCH_DIR / "baseline.py")) + " {path} --parser {parser}"
)
TOOLS: Final = ("validator", "validator-2w", "msgspec", "orjson")
VALIDATOR_TOOLS: Final = ("validator", "validator-2w")

TARGET_MB_S: Final = 400.0
TARGET_RSS_MB: Final = 128.0
TARGET_SPEEDUP: Final = 1.6
SPEEDUP_MIN_FILE_MB: Final = 1000  # the target is set on the 1 GB files; below, start-up dominates
SAMPLE_SECONDS: Final = 0.05


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    format: str
    size_mb: int
    path: Path
    bytes: int
    records: int
    model: str
    generated_now: bool
    generate_mb_s: float | None

    @property
    def mb(self) -> float:
        return self.bytes / MIB


def ensure_dataset(data_dir: Path, fmt: str, size_mb: int, seed: int) -> Dataset:
    """Generate ``<fmt>-<size>mb.jsonl`` unless an up-to-date copy (per its .meta.json) exists."""
    path = data_dir / f"{fmt}-{size_mb}mb.jsonl"
    meta_path = path.with_name(path.name + ".meta.json")
    want = {"generator_version": GENERATOR_VERSION, "format": fmt, "size_mb": size_mb, "seed": seed}
    meta: dict[str, Any] = {}
    if path.is_file() and meta_path.is_file():
        with contextlib.suppress(ValueError, OSError):
            meta = json.loads(meta_path.read_text())
    fresh = (
        bool(meta)
        and all(meta.get(k) == v for k, v in want.items())
        and meta.get("bytes") == path.stat().st_size
    )
    speed: float | None = None
    if not fresh:
        _log(f"generating {path.name} ({size_mb} MB, seed {seed}) ...")
        result = generate(fmt, size_mb * MIB, path, seed)  # type: ignore[arg-type]
        speed = result.mb_per_s
        meta = want | {
            "records": result.records,
            "bytes": result.bytes,
            "long_records": result.long_records,
            "unicode_records": result.unicode_records,
            "generate_seconds": round(result.seconds, 3),
            "generate_mb_s": round(speed, 1),
        }
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        _log(f"  {result.records:,} records in {result.seconds:.1f} s ({speed:.0f} MB/s)")
    return Dataset(
        format=fmt,
        size_mb=size_mb,
        path=path,
        bytes=int(meta["bytes"]),
        records=int(meta["records"]),
        model=MODELS[fmt],
        generated_now=not fresh,
        generate_mb_s=speed,
    )


def warm_page_cache(path: Path) -> None:
    with open(path, "rb", buffering=0) as fh:
        while fh.read(8 * MIB):
            pass


# --------------------------------------------------------------------------------------------
# Measuring one subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    exit_code: int
    seconds: float
    max_rss_mb: float  # ru_maxrss from wait4
    tree_rss_mb: float  # sampled peak of the summed RSS of the process tree
    floor_mb: float  # the launcher's own peak RSS: ru_maxrss can't go below it
    stdout: str
    stderr_tail: str


_PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _tree_rss_bytes(root: int) -> int:
    """Sum of RSS over the descendants of ``root`` (not ``root`` itself), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # fields after the parenthesised command: state ppid ... rss is field 24 (1-based)
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * _PAGE_SIZE
    total = 0
    wanted = {root}
    # processes are few; iterate to a fixed point instead of building a child index
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted - {root}:
        total += rss.get(pid, 0)
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))


def measure(argv: Sequence[str], env: dict[str, str], timeout: float) -> Measurement:
    """Run ``argv`` through ``_launch.py``, which times it and ``os.wait4``s it.

    The launcher (a fresh, ~8 MB process) is what forks the command, so the command's
    ``ru_maxrss`` is not inflated by this runner's own memory (see ``_launch.py``).
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="bt-bench-") as tmp,
    ):
        result_path = Path(tmp) / "launch.json"
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), str(result_path), "--"]
        proc = subprocess.Popen(
            launcher + list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        try:
            launch = json.loads(result_path.read_text())
        except (OSError, ValueError):
            why = f"timed out after {timeout:.0f} s" if timed_out.is_set() else "launcher failed"
            launch = {"exit_code": -9, "seconds": 0.0, "maxrss_kb": 0, "floor_kb": 0}
            stderr += f"\n{why} (launcher exit status {proc.returncode})"
        return Measurement(
            exit_code=int(launch["exit_code"]),
            seconds=float(launch["seconds"]),
            max_rss_mb=launch["maxrss_kb"] / 1024,  # KiB on Linux
            tree_rss_mb=sampler.peak / MIB,
            floor_mb=launch["floor_kb"] / 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr_tail=stderr[-2000:],
        )


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    file: str
    format: str
    nominal_mb: int  # the size asked for (--sizes); the file is a few bytes smaller
    size_mb: float  # actual size in MiB
    file_records: int
    tool: str
    command: str
    ok: bool = False
    error: str | None = None
    exit_code: int | None = None
    records: int | None = None
    seconds: float | None = None  # best of the repeats
    all_seconds: list[float] = field(default_factory=list)
    mb_s: float | None = None
    peak_rss_mb: float | None = None  # max over the repeats
    tree_rss_mb: float | None = None  # max over the repeats
    rss_floor_mb: float | None = None  # the launcher's peak RSS; ru_maxrss is never below it
    speedup: float | None = None  # validator-2w only: validator seconds / validator-2w seconds


def _pin_prefix(enabled: bool) -> list[str]:
    if not enabled or not shutil.which("taskset") or not hasattr(os, "sched_getaffinity"):
        return []
    cpus = sorted(os.sched_getaffinity(0))
    return ["taskset", "-c", str(0 if 0 in cpus else cpus[0])]


def command_for(
    tool: str, ds: Dataset, validator_template: str, pin: bool, python: str
) -> list[str]:
    values = {"python": shlex.quote(python), "path": shlex.quote(str(ds.path)), "model": ds.model}
    if tool in VALIDATOR_TOOLS:
        workers = "--workers 2" if tool == "validator-2w" else ""
        text = validator_template.format(**values, workers_args=workers)
    else:
        text = BASELINE_CMD.format(**values, parser=tool)
    prefix = _pin_prefix(pin) if tool != "validator-2w" else []
    return prefix + shlex.split(text)


def parse_records(stdout: str) -> int:
    """Record count from a tool's stdout: a validator report or a baseline's JSON."""
    data = json.loads(stdout)
    if not isinstance(data, dict):
        raise ValueError("stdout is not a JSON object")
    summary = data.get("summary")
    if isinstance(summary, dict) and isinstance(summary.get("records"), int):
        return int(summary["records"])
    if isinstance(data.get("records"), int):
        return int(data["records"])
    raise ValueError('no integer "summary.records" (or "records") in the JSON')


def run_tool(result: Result, argv: list[str], env: dict[str, str], timeout: float) -> None:
    m = measure(argv, env, timeout)
    ok_codes = (0, 1) if result.tool in VALIDATOR_TOOLS else (0,)
    result.exit_code = m.exit_code
    error = None
    if m.exit_code not in ok_codes:
        error = (
            f"killed by signal {-m.exit_code}" if m.exit_code < 0 else f"exit status {m.exit_code}"
        )
    else:
        try:
            records = parse_records(m.stdout)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            error = f"exit status {m.exit_code} but no usable JSON on stdout ({exc})"
        else:
            if result.records is not None and records != result.records:
                error = f"record count changed between repeats ({result.records} -> {records})"
            result.records = records
    if error:
        tail = m.stderr_tail.strip().splitlines()[-8:]
        result.error = error + ("\n      " + "\n      ".join(tail) if tail else "")
        result.ok = False
        return
    result.ok = True
    result.all_seconds.append(round(m.seconds, 4))
    result.seconds = min(result.all_seconds)
    result.mb_s = result.size_mb / result.seconds
    result.peak_rss_mb = max(result.peak_rss_mb or 0.0, m.max_rss_mb)
    result.tree_rss_mb = max(result.tree_rss_mb or 0.0, m.tree_rss_mb)
    result.rss_floor_mb = max(result.rss_floor_mb or 0.0, m.floor_mb)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(results: Sequence[Result]) -> str:
    head = (
        "| file | size MB | records | tool | seconds | MB/s | peak RSS MB | tree RSS MB "
        "| 2w speed-up |"
    )
    lines = [head, "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        if not r.ok:
            lines.append(
                f"| {r.file} | {r.size_mb:.0f} | {r.file_records:,} | {r.tool} "
                f"| FAILED: {_cell(r.error.splitlines()[0] if r.error else '?')} | | | | |"
            )
            continue
        records = f"{r.records:,}" if r.records is not None else "-"
        if r.records is not None and r.records != r.file_records:
            records += f" (file: {r.file_records:,})"
        speedup = f"{r.speedup:.2f}x" if r.speedup is not None else ""
        lines.append(
            f"| {r.file} | {r.size_mb:.0f} | {records} | {r.tool} | {_fmt(r.seconds, '.3f')} "
            f"| {_fmt(r.mb_s, '.0f')} | {_fmt(r.peak_rss_mb, '.1f')} "
            f"| {_fmt(r.tree_rss_mb, '.1f')} | {speedup} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    status: str  # PASS, FAIL, SKIP, WARN
    target: str
    detail: str

    def line(self) -> str:
        return f"{self.status}: {self.target} - {self.detail}"


def check_targets(results: Sequence[Result], datasets: Sequence[Dataset]) -> list[Check]:
    checks: list[Check] = []
    by_key = {(r.file, r.tool): r for r in results}
    # 1. throughput on the 1 GB conversation file, one worker
    name = f"validator >= {TARGET_MB_S:.0f} MB/s on the 1 GB conversation file (1 worker)"
    big = [d for d in datasets if d.format == "conversation" and d.size_mb >= 1024]
    if not big:
        checks.append(Check("SKIP", name, "no >= 1 GB conversation file in this run"))
    for d in big:
        r = by_key.get((d.path.name, "validator"))
        if r is None:
            checks.append(Check("SKIP", name, "validator not run"))
        elif not r.ok or r.mb_s is None:
            checks.append(Check("FAIL", name, f"{d.path.name}: run failed"))
        else:
            status = "PASS" if r.mb_s >= TARGET_MB_S else "FAIL"
            checks.append(Check(status, name, f"{d.path.name}: {r.mb_s:.0f} MB/s"))
    # 2. every tool saw every record
    for r in results:
        if r.ok and r.records is not None and r.records != r.file_records:
            checks.append(
                Check(
                    "WARN",
                    f"record count ({r.tool}, {r.file})",
                    f"{r.records:,} counted, the generator wrote {r.file_records:,}",
                )
            )
    # 3. memory of every validator run
    for r in results:
        if r.tool not in VALIDATOR_TOOLS:
            continue
        name = f"peak RSS <= {TARGET_RSS_MB:.0f} MB ({r.tool}, {r.file})"
        if not r.ok or r.peak_rss_mb is None:
            checks.append(Check("FAIL", name, "run failed"))
            continue
        status = "PASS" if r.peak_rss_mb <= TARGET_RSS_MB else "FAIL"
        checks.append(Check(status, name, f"{r.peak_rss_mb:.1f} MB (ru_maxrss)"))
        if r.tree_rss_mb is not None and r.tree_rss_mb > TARGET_RSS_MB:
            checks.append(
                Check(
                    "WARN",
                    f"process-tree RSS ({r.tool}, {r.file})",
                    f"sampled sum {r.tree_rss_mb:.1f} MB > {TARGET_RSS_MB:.0f} MB "
                    "(counts pages shared by forked workers more than once)",
                )
            )
    # 4. speed-up of 2 workers
    for r in results:
        if r.tool != "validator-2w":
            continue
        name = f"2-worker speed-up >= {TARGET_SPEEDUP}x ({r.file})"
        one = by_key.get((r.file, "validator"))
        if one is None:
            checks.append(Check("SKIP", name, "1-worker validator not run"))
        elif r.speedup is None:
            checks.append(Check("FAIL", name, "a validator run failed"))
        elif r.nominal_mb < SPEEDUP_MIN_FILE_MB:
            checks.append(Check("SKIP", name, f"{r.speedup:.2f}x; file < {SPEEDUP_MIN_FILE_MB} MB"))
        else:
            status = "PASS" if r.speedup >= TARGET_SPEEDUP else "FAIL"
            checks.append(Check(status, name, f"{r.speedup:.2f}x"))
    return checks


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad --sizes {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError("--sizes needs positive integers (MB)")
    return sizes


def _names(allowed: Sequence[str]) -> Any:
    def parse(text: str) -> list[str]:
        names = [s.strip() for s in text.split(",") if s.strip()]
        bad = [n for n in names if n not in allowed]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return names

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Validator throughput/memory benchmark.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "--validator-cmd placeholders: {python} {path} {model} {workers_args} "
            "({workers_args} is '' for the 1-worker run and '--workers 2' for the 2-worker "
            "run; a template without it runs the same command twice)."
        ),
    )
    ap.add_argument("--sizes", type=_sizes, default=[100, 1024], help="MB, default 100,1024")
    ap.add_argument("--quick", action="store_true", help="20 MB files only (smoke test)")
    ap.add_argument(
        "--formats",
        type=_names(FORMATS),
        default=list(FORMATS),
        help=f"comma-separated, default {','.join(FORMATS)}",
    )
    ap.add_argument(
        "--tools",
        type=_names(TOOLS),
        default=list(TOOLS),
        help=f"comma-separated, default {','.join(TOOLS)}",
    )
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    ap.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default benchmarks/.data"
    )
    ap.add_argument(
        "--json",
        nargs="?",
        const=DEFAULT_RESULTS,
        type=Path,
        metavar="PATH",
        help=f"write results as JSON (default path {DEFAULT_RESULTS.relative_to(REPO_ROOT)})",
    )
    ap.add_argument(
        "--validator-cmd",
        default=DEFAULT_VALIDATOR_CMD,
        metavar="TEMPLATE",
        help="command template replacing the validator (see below)",
    )
    ap.add_argument("--no-taskset", action="store_true", help="do not pin to one CPU")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    try:
        args.validator_cmd.format(python="", path="", model="", workers_args="")
    except (KeyError, IndexError, ValueError) as exc:
        ap.error(f"--validator-cmd: bad template ({exc!r})")
    sizes: list[int] = [20] if args.quick else args.sizes
    pin = not args.no_taskset
    if "{workers_args}" not in args.validator_cmd and "validator-2w" in args.tools:
        _log("note: --validator-cmd has no {workers_args}: the 2-worker run is the same command")

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT / "layers" / "core"), env.get("PYTHONPATH", "")) if p
    )

    datasets = [
        ensure_dataset(args.data_dir, fmt, size, args.seed)
        for fmt in args.formats
        for size in sizes
    ]
    results: list[Result] = []
    for ds in datasets:
        warm_page_cache(ds.path)
        file_results = {
            tool: Result(
                file=ds.path.name,
                format=ds.format,
                nominal_mb=ds.size_mb,
                size_mb=ds.mb,
                file_records=ds.records,
                tool=tool,
                command=shlex.join(command_for(tool, ds, args.validator_cmd, pin, sys.executable)),
            )
            for tool in args.tools
        }
        for rep in range(args.repeat):
            for tool, result in file_results.items():
                if result.error:
                    continue  # failed once: do not retry
                argv_ = command_for(tool, ds, args.validator_cmd, pin, sys.executable)
                run_tool(result, argv_, env, args.timeout)
                status = (
                    f"{result.all_seconds[-1]:.3f} s, {result.peak_rss_mb:.1f} MB, "
                    f"exit {result.exit_code}"
                    if result.ok
                    else f"FAILED ({(result.error or '').splitlines()[0]})"
                )
                _log(f"[{ds.path.name} {rep + 1}/{args.repeat}] {tool}: {status}")
        one, two = file_results.get("validator"), file_results.get("validator-2w")
        if one and two and one.ok and two.ok and one.seconds and two.seconds:
            two.speedup = one.seconds / two.seconds
        results.extend(file_results.values())

    checks = check_targets(results, datasets)
    print(markdown_table(results))
    print()
    for c in checks:
        print(c.line())
    failed_runs = [r for r in results if not r.ok]
    for r in failed_runs:
        print(f"\nFAILED RUN: {r.tool} on {r.file}: {r.error}\n  command: {r.command}")
    if args.json:
        payload = {
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "affinity": sorted(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else None,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "taskset": _pin_prefix(pin),
            },
            "settings": {
                "sizes_mb": sizes,
                "formats": args.formats,
                "tools": args.tools,
                "repeat": args.repeat,
                "seed": args.seed,
                "validator_cmd": args.validator_cmd,
                "mb": "MiB (2**20 bytes)",
            },
            "datasets": [asdict(d) | {"path": str(d.path), "mb": round(d.mb, 2)} for d in datasets],
            "results": [asdict(r) for r in results],
            "checks": [asdict(c) for c in checks],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        _log(f"wrote {args.json}")
    return 1 if failed_runs or any(c.status == "FAIL" for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
