"""The time every record carries: now, in UTC, and the ISO text items and payloads store."""

from __future__ import annotations

import datetime as dt

__all__ = ["iso", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """``2026-11-28T04:51:29.123Z`` (UTC, milliseconds: sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
