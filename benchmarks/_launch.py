"""Tiny launcher used by ``run.py``: spawn one command, ``os.wait4`` it, report timing and RSS.

Usage (internal)::

    python -I -S benchmarks/_launch.py RESULT.json -- COMMAND [ARGS...]

Why a separate process: on Linux, ``exec`` folds the *pre-exec* memory image's high-water RSS
into the new program's ``ru_maxrss``, and ``subprocess``/``posix_spawn`` start children from
the parent's memory (vfork), so a child of the benchmark runner - which has generated gigabytes
of data and holds results - would report at least the runner's own peak RSS. This launcher
imports only ``os``, ``sys`` and ``time`` (about 8 MB resident with ``-I -S``), so the
``ru_maxrss`` of the command it spawns is the command's own peak (floored at that ~8 MB).

The command inherits this process's stdin/stdout/stderr, cwd and environment. The result file
gets one JSON object: exit_code, seconds (perf_counter around spawn + wait4), maxrss_kb (the
command's ru_maxrss) and floor_kb (this launcher's own VmHWM at spawn time).
"""

import os
import sys
import time


def _vm_hwm_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write("usage: _launch.py RESULT.json -- COMMAND [ARGS...]\n")
        return 2
    result_path, argv = sys.argv[1], sys.argv[3:]
    floor = _vm_hwm_kb()
    start = time.perf_counter()
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ)
    except OSError as exc:
        sys.stderr.write(f"_launch.py: cannot start {argv[0]}: {exc}\n")
        return 127
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w", encoding="ascii") as fh:
        fh.write(
            f'{{"exit_code": {code}, "seconds": {seconds!r}, '
            f'"maxrss_kb": {usage.ru_maxrss}, "floor_kb": {floor}, "pid": {pid}}}\n'
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
