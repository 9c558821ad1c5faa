"""The fault tier: every AWS call site the functions make, failed once and for good, on the
real template and workflow (the local cloud), with the invariants I1-I7 checked after each run.

One cloud is deployed for the tier (``harness``) with short timings; each test starts from a
reset stack (``fresh``). The tier runs in a process of its own (``make faults``). See
tests/faults/harness.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="the fault tier needs the 'local' extra (moto)")
pytest.importorskip("samtranslator", reason="the fault tier needs the 'local' extra")

from faults.harness import Harness, started_cloud


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    log: Path = tmp_path_factory.mktemp("faults") / "handlers.log"
    with started_cloud(log) as started:
        yield started


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "harness" in request.fixturenames:
        request.getfixturevalue("harness").reset()
