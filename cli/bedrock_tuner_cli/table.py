"""A tiny aligned-table renderer for the CLI's human output (no dependencies)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def cell(value: Any) -> str:
    """A value as table text: ``-`` for missing, ``yes``/``no``, numbers as given."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value) or "-"
    return " ".join(str(value).split())  # one line per row


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns left-aligned to their widest cell, two spaces apart; a trailing newline."""
    text_rows = [[cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in text_rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], len(value))
    lines = []
    for row in [list(headers), *text_rows]:
        padded = [value.ljust(width) for value, width in zip(row, widths, strict=False)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines) + "\n"


def render_pairs(pairs: Sequence[tuple[str, Any]]) -> str:
    """``label  value`` lines, labels aligned (for one object)."""
    if not pairs:
        return ""
    width = max(len(label) for label, _ in pairs)
    return "".join(f"{label.ljust(width)}  {cell(value)}\n" for label, value in pairs)
