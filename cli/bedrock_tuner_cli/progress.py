"""A dependency-free progress bar on stderr, shown only on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Bytes-based progress: bar, percent, MB/s and ETA; redraws at most 10×/s."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        self.total = total or 0
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self.start = time.monotonic()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-6)
        rate = self.done / elapsed
        if self.total:
            frac = min(self.done / self.total, 1.0)
            width = 28
            filled = int(frac * width)
            eta = (self.total - self.done) / rate if rate > 0 else 0
            line = (
                f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {frac * 100:5.1f}% "
                f"{self.done / 1e6:,.0f}/{self.total / 1e6:,.0f} MB  {rate / 1e6:,.0f} MB/s  ETA {eta:4.0f}s"
            )
        else:
            line = f"\r{self.label} {self.done / 1e6:,.0f} MB  {rate / 1e6:,.0f} MB/s"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def wants_progress(flag_off: bool, stream: TextIO | None = None) -> bool:
    s = stream or sys.stderr
    return not flag_off and hasattr(s, "isatty") and s.isatty()
