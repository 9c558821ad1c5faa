"""A load run under a fault plan: many uploads over a few pipelines at once, the reconciler
firing on a short schedule, and the figures issue 8 asks for.

Used by tests/faults/test_load.py (a short run in ``make test``) and by
``benchmarks/fault_load.py`` (40 uploads over 3 pipelines, printed).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bedrock_tuner_localcloud.faults import load_plan
from faults.harness import (
    BROKEN,
    GOOD,
    MAX_JOBS,
    TEMPLATE,
    TERMINAL_RUN,
    Harness,
    SettleReport,
    check_invariants,
    spec,
)

# A queue of jobs two at a time takes a while: no timeout or heartbeat may fire on a run
# that is only waiting its turn (the sweeps send heartbeats, as in production).
LOAD_PARAMETERS = {"JobTimeoutSeconds": "120", "JobHeartbeatSeconds": "60"}
DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "examples" / "faults" / "transient.yaml"


@dataclass
class LoadFigures:
    uploads: int
    valid_uploads: int
    pipelines: int
    wall_s: float = 0.0
    runs: int = 0
    run_statuses: dict[str, int] = field(default_factory=dict)
    versions: int = 0
    valid_uploads_registered_once: int = 0
    jobs_started: int = 0
    max_jobs_at_once: int = 0
    max_concurrent_jobs: int = MAX_JOBS
    jobs_in_progress_at_end: int = 0
    runs_not_terminal_at_end: int = 0
    slots_held_at_end: int = 0
    faults_injected: int = 0
    faults_by_call: dict[str, int] = field(default_factory=dict)
    sweeps: int = 0
    failed_sweeps: int = 0
    notifications: dict[str, int] = field(default_factory=dict)
    duplicate_notifications: int = 0
    invariant_violations: list[str] = field(default_factory=list)

    def text(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _dataset(index: int, valid: bool) -> bytes:
    """A distinct object per upload (its own bytes, so no two runs share a lineage)."""
    if not valid:
        return BROKEN.read_bytes()
    lines = GOOD.read_bytes().splitlines()
    record = json.loads(lines[0])
    record["messages"][0]["content"][0]["text"] += f" (ticket {index})"
    return b"\n".join([json.dumps(record).encode(), *lines[1:]]) + b"\n"


def run_load(
    harness: Harness,
    *,
    uploads: int = 40,
    pipelines: int = 3,
    invalid_every: int = 10,
    plan: Path = DEFAULT_PLAN,
    sweep_every_s: float = 2.0,
    timeout_s: float = 600.0,
) -> LoadFigures:
    """Upload ``uploads`` datasets (every ``invalid_every``-th one invalid) round-robin over
    ``pipelines`` pipelines under ``plan``, sweep every ``sweep_every_s`` until every run
    ended, and measure."""
    cloud = harness.cloud
    injector = harness.arm(load_plan(plan, template=TEMPLATE))
    names = [f"load-{chr(ord('a') + i)}" for i in range(pipelines)]
    for name in names:
        harness.put_spec(name, spec())
    figures = LoadFigures(
        uploads=uploads,
        valid_uploads=sum(1 for i in range(uploads) if (i + 1) % invalid_every),
        pipelines=pipelines,
    )
    stop = threading.Event()
    sweeps = {"fired": 0, "failed": 0}

    def schedule() -> None:  # the reconciler's rate, scaled down
        while not stop.wait(sweep_every_s):
            sweeps["fired"] += 1
            try:
                if not harness.sweep(timeout=60):
                    sweeps["failed"] += 1
            except TimeoutError:
                sweeps["failed"] += 1

    t0 = time.monotonic()
    ticker = threading.Thread(target=schedule, name="load-schedule", daemon=True)
    ticker.start()
    try:
        for index in range(uploads):
            valid = bool((index + 1) % invalid_every)
            harness.upload(names[index % pipelines], _dataset(index, valid), name=f"d{index}.jsonl")
            time.sleep(0.05)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            runs = harness.runs()
            started = len(harness.executions())
            if (
                len(runs) >= uploads
                and all(str(r.get("status")) in TERMINAL_RUN for r in runs.values())
                and not harness.running()
                and started >= figures.valid_uploads
            ):
                break
            time.sleep(0.5)
    finally:
        stop.set()
        ticker.join(timeout=60)
    report: SettleReport = harness.settle(quiet_s=2.0, timeout=60)
    figures.wall_s = round(time.monotonic() - t0, 1)
    figures.sweeps = sweeps["fired"] + report.sweeps + 2
    figures.failed_sweeps = sweeps["failed"] + report.failed_sweeps

    world = harness.world()
    figures.runs = len(world.runs)
    figures.run_statuses = dict(Counter(str(r.get("status")) for r in world.runs.values()))
    figures.versions = len(world.versions)
    by_upload: Counter[tuple[str, Any]] = Counter(
        (str(v["dataset"]["uri"]).split("/", 3)[-1], v["dataset"].get("versionId"))
        for v in world.versions
    )
    valid = [u for u in world.uploads if u.body != BROKEN.read_bytes()]
    figures.valid_uploads_registered_once = sum(
        1 for u in valid if by_upload[(u.key, u.version_id)] == 1
    )
    figures.jobs_started = len(world.jobs)
    figures.max_jobs_at_once = world.peak_jobs
    figures.jobs_in_progress_at_end = sum(
        1 for j in cloud.bedrock.jobs() if j.status == "InProgress"
    )
    figures.runs_not_terminal_at_end = sum(
        1 for r in world.runs.values() if str(r.get("status")) not in TERMINAL_RUN
    )
    figures.slots_held_at_end = len(world.slot_holders)
    figures.faults_injected = len(injector.injected)
    figures.faults_by_call = dict(
        Counter(f"{i.function} {i.service}:{i.operation} {i.error}" for i in injector.injected)
    )
    kinds = Counter(
        (n.body.get("run_id"), n.kind) for n in world.notifications if isinstance(n.body, dict)
    )
    figures.notifications = dict(Counter(n.kind or "?" for n in world.notifications))
    figures.duplicate_notifications = sum(n - 1 for n in kinds.values() if n > 1)
    report.recovery_sweeps = 0  # sweeps ran on a schedule here: I7 is checked in the scenarios
    figures.invariant_violations = check_invariants(world, report)
    return figures
