"""A short load run under the transient fault plan (benchmarks/fault_load.py runs the full one:
40 uploads over 3 pipelines): every valid upload ends registered exactly once, never more
than MaxConcurrentJobs jobs at once, nothing left running, I1-I7 hold."""

from __future__ import annotations

import pytest

from faults.harness import Harness
from faults.load import run_load


@pytest.mark.slow
def test_a_burst_of_uploads_under_transient_faults_registers_each_valid_one_once(
    harness: Harness,
) -> None:
    figures = run_load(harness, uploads=10, pipelines=3, invalid_every=5, timeout_s=240)
    assert figures.faults_injected > 0, figures.text()
    assert figures.valid_uploads_registered_once == figures.valid_uploads == 8, figures.text()
    assert figures.run_statuses == {"SUCCEEDED": 8, "INVALID": 2}, figures.text()
    assert figures.max_jobs_at_once <= figures.max_concurrent_jobs, figures.text()
    assert figures.jobs_in_progress_at_end == 0 and figures.runs_not_terminal_at_end == 0
    assert figures.duplicate_notifications == 0, figures.text()
    assert figures.invariant_violations == [], figures.text()
