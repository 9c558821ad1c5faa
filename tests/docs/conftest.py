"""The docs tier: the doc-test runner over README.md and docs/*.md (``test_docs.py``).

Its commands run in subprocesses (a copy of the checkout, a ``bedrock-tuner local up`` of
their own), so this tier changes nothing in the test process. At the end it prints, per
page, how many blocks ran, how many had their output compared, which were skipped (and why),
and how many commands the CLI printed in the transcripts were run as printed.
"""

from __future__ import annotations

from typing import Any

import pytest

_REPORTS: dict[str, Any] = {}


@pytest.fixture
def doc_reports() -> dict[str, Any]:
    return _REPORTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _REPORTS:
        return
    from docblocks import doc_files, parse_blocks

    terminalreporter.section("doc blocks")
    for path in doc_files():
        blocks = parse_blocks(path)
        name = next((n for n in _REPORTS if path.as_posix().endswith(n)), None)
        skipped = [b for b in blocks if b.kind == "skip"]
        if name is None:
            continue
        report = _REPORTS[name]
        line = (
            f"{name}: {len(report.ran)} run, {len(report.checked)} output-checked, "
            f"{len(skipped) + len(report.skipped)} skipped, "
            f"{len(report.followed)} commands the CLI printed run"
        )
        terminalreporter.write_line(line)
        for block in skipped:
            assert block.marker is not None
            terminalreporter.write_line(f"    skip {block.where}: {block.marker.reason}")
        for note in report.skipped:
            terminalreporter.write_line(f"    skip {note}")
