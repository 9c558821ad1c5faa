"""Every command block of README.md and docs/*.md runs as written (issue 7, "make drift
impossible"): the doc-test runner (``docblocks.py``) runs each page's `run` blocks in one
terminal, on the example data or on a `bedrock-tuner local up` of its own, and compares the
outputs the page shows with what the commands print. ``DOCTEST_UPDATE=1`` rewrites the shown
outputs from the real ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from docblocks import ROOT, doc_files, parse_blocks, problems, rewrite, run_page

DOCS = doc_files()
UPDATE = os.environ.get("DOCTEST_UPDATE") == "1"
SKIPPED = [
    (block.where, block.marker.reason)
    for path in DOCS
    for block in parse_blocks(path)
    if block.marker is not None and block.kind == "skip"
]


def test_every_block_says_how_it_is_tested() -> None:
    found = [problem for path in DOCS for problem in problems(parse_blocks(path))]
    assert not found, "\n".join(found)


def test_the_pages_have_blocks_to_run() -> None:
    # The runner finds the pages and their marked blocks (a parse that found nothing would
    # make every page test pass)
    assert {p.name for p in DOCS} >= {"README.md", "cli.md", "local-cloud.md"}
    runnable = [b for p in DOCS for b in parse_blocks(p) if b.kind == "run"]
    assert len(runnable) >= 10, runnable


@pytest.mark.parametrize(("where", "reason"), SKIPPED, ids=[w for w, _ in SKIPPED])
def test_not_run_here(where: str, reason: str) -> None:
    pytest.skip(f"{where}: {reason}")


@pytest.mark.slow
@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_block_of_the_page_runs_as_written(
    path: Path, tmp_path: Path, doc_reports: dict[str, object]
) -> None:
    report = run_page(path, tmp_path, update=UPDATE)
    doc_reports[str(path.relative_to(ROOT))] = report
    if UPDATE and report.rewrites:
        rewrite(path, report.rewrites)
    assert not report.failures, "\n\n".join(report.failures)
