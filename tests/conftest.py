"""Shared fixtures: file and catalog-override factories, isolation from the user's setup."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.catalog import CATALOG_ENV_VAR, load_catalog
from bedrock_tuner.catalog.types import Catalog
from factories import Format, Line, write_jsonl


@pytest.fixture(autouse=True)
def _isolated_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a catalog override from the developer's environment leak into a test."""
    monkeypatch.delenv(CATALOG_ENV_VAR, raising=False)


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """``make_file(records_or_lines, **write_jsonl_kwargs)`` -> a new JSONL file in tmp_path."""
    counter = itertools.count()

    def make(records_or_lines: Iterable[Line], **kw: Any) -> Path:
        kw.setdefault("name", f"data-{next(counter)}.jsonl")
        return write_jsonl(tmp_path, records_or_lines, **kw)

    return make


@pytest.fixture
def make_dataset(make_file: Callable[..., Path]) -> Callable[..., Path]:
    """``make_dataset(fmt, n=None, bad={index: record_or_line})``: valid records of ``fmt``
    (the model's minimum by default) with some of them replaced by bad ones."""

    def make(
        fmt: Format, n: int | None = None, bad: dict[int, Line] | None = None, **kw: Any
    ) -> Path:
        items: list[Line] = list(fmt.records(n))
        for index, item in (bad or {}).items():
            items[index] = item
        return make_file(items, **kw)

    return make


@pytest.fixture
def override_catalog(tmp_path: Path) -> Callable[[list[dict[str, Any]]], tuple[Catalog, Path]]:
    """``override_catalog([{"id": ..., ...}])`` -> (catalog with the override, override path)."""
    counter = itertools.count()

    def make(models: list[dict[str, Any]]) -> tuple[Catalog, Path]:
        path = tmp_path / f"override-{next(counter)}.json"
        path.write_text(json.dumps({"models": models}))
        return load_catalog([path]), path

    return make


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region, and fresh boto3 clients before and after."""
    from bedrock_tuner.aws.clients import reset_clients

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    reset_clients()
    yield
    reset_clients()


# The tiers that start the local cloud in the test process (its environment, moto's backends
# and patches are process-wide): each runs in a process of its own (`make e2e`, `make faults`;
# `make test` runs every tier so). tests/docs runs its commands in subprocesses.
OWN_PROCESS_TIERS = frozenset({"e2e", "faults"})
TESTS = Path(__file__).resolve().parent


def _tier(item: pytest.Item) -> str:
    path = Path(str(item.path)).resolve()
    return path.relative_to(TESTS).parts[0] if TESTS in path.parents else ""


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse a run that mixes a local-cloud tier with another tier."""
    tiers = {_tier(item) for item in session.items}
    alone = sorted(tiers & OWN_PROCESS_TIERS)
    if alone and len(tiers) > 1:
        others = ", ".join(f"tests/{t}" for t in sorted(tiers - {alone[0]}))
        raise pytest.UsageError(
            f"[BT_TEST_TIERS] tests/{alone[0]} starts the local cloud in the test "
            f"process and runs in a process of its own, not with {others}\n"
            f"fix: make {alone[0]} (that tier), or make test (every tier, one process each)"
        )
