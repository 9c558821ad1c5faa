"""Load run under a fault plan (issue 8): 40 uploads over 3 pipelines on the local cloud with
``examples/faults/transient.yaml`` armed (transient failures a retry survives), the reconciler
firing every 2 seconds. Prints the figures as JSON.

Usage::

    .venv/bin/python benchmarks/fault_load.py                 # 40 uploads, 3 pipelines
    .venv/bin/python benchmarks/fault_load.py --uploads 12 --plan examples/faults/lost-events.yaml

Exit status 0 when every valid upload was registered exactly once, no more than
MaxConcurrentJobs jobs ran at once, no job is still in progress, no run is unfinished and the
invariants I1-I7 hold; 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from faults.harness import started_cloud  # noqa: E402
from faults.load import DEFAULT_PLAN, LOAD_PARAMETERS, run_load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--pipelines", type=int, default=3)
    parser.add_argument("--plan", type=Path, default=DEFAULT_PLAN)
    parser.add_argument("--sweep-every", type=float, default=2.0, metavar="S")
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp(prefix="bt-fault-load-")) / "handlers.log"
    with started_cloud(log, parameters=LOAD_PARAMETERS) as harness:
        harness.reset()
        figures = run_load(
            harness,
            uploads=args.uploads,
            pipelines=args.pipelines,
            plan=args.plan,
            sweep_every_s=args.sweep_every,
        )
    print(figures.text())
    print(f"handler logs: {log}", file=sys.stderr)
    ok = (
        figures.valid_uploads_registered_once == figures.valid_uploads
        and figures.max_jobs_at_once <= figures.max_concurrent_jobs
        and figures.jobs_in_progress_at_end == 0
        and figures.runs_not_terminal_at_end == 0
        and not figures.invariant_violations
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
