"""The fault tier: every AWS call site the functions make, failed once and for good, on the
real template and workflow (the local cloud), with the invariants I1-I7 checked after each run.

One cloud is deployed for the tier (``harness``, package scope) with short timings; each test
starts from a reset stack (``fresh``). See tests/faults/harness.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="the fault tier needs the 'local' extra (moto)")
pytest.importorskip("samtranslator", reason="the fault tier needs the 'local' extra")

from faults.harness import Harness, started_cloud

HERE = Path(__file__).parent
_RUNNING: list[contextlib.ExitStack] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)


def _stop() -> None:
    while _RUNNING:
        _RUNNING.pop().close()


@pytest.fixture(scope="package")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    log: Path = tmp_path_factory.mktemp("faults") / "handlers.log"
    stack = contextlib.ExitStack()
    _RUNNING.append(stack)
    yield stack.enter_context(started_cloud(log))
    _stop()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the cloud when the tier's last test ended: a "package" fixture of a directory
    without ``__init__.py`` lives until the session ends, and the e2e tier starts its own."""
    if nextitem is None or HERE not in Path(str(nextitem.path)).parents:
        _stop()


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "harness" in request.fixturenames:
        request.getfixturevalue("harness").reset()
