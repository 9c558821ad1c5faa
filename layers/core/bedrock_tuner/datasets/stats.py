"""Bounded-memory statistics over per-record token counts."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

# Buckets: exact below 64, then 32 sub-buckets per power of two (~2-3 % wide).
_SUB_BITS = 5


def bucket_of(n: int) -> int:
    if n < 64:
        return n
    b = n.bit_length()
    return (b << _SUB_BITS) | ((n >> (b - _SUB_BITS - 1)) & ((1 << _SUB_BITS) - 1))


def bucket_bounds(key: int) -> tuple[int, int]:
    """Inclusive [low, high] of the values that fall in bucket ``key``."""
    if key < 64:
        return key, key
    b = key >> _SUB_BITS
    sub = key & ((1 << _SUB_BITS) - 1)
    shift = b - _SUB_BITS - 1
    low = ((1 << _SUB_BITS) | sub) << shift
    return low, low + (1 << shift) - 1


class Histogram:
    """Counts per bucket; quantiles within a bucket's width; mergeable."""

    __slots__ = ("counts", "max", "n", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.n = 0
        self.total = 0
        self.max = 0

    def add(self, value: int) -> None:
        key = bucket_of(value)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        self.n += 1
        self.total += value
        self.max = max(self.max, value)

    def merge(self, other: Histogram) -> None:
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        self.n += other.n
        self.total += other.total
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> int:
        if not self.n:
            return 0
        rank = max(1, round(q * self.n))
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen >= rank:
                low, high = bucket_bounds(key)
                return min((low + high) // 2, self.max)
        return self.max

    def count_above(self, threshold: int) -> int:
        return sum(c for k, c in self.counts.items() if bucket_bounds(k)[0] > threshold)

    def coarse(self) -> list[tuple[int, int]]:
        """Counts per power-of-two bin: [(lt, count), ...], ``lt`` the bin's exclusive top."""
        out: dict[int, int] = {}
        for key, count in self.counts.items():
            _, high = bucket_bounds(key)
            edge = max(16, 1 << high.bit_length())
            out[edge] = out.get(edge, 0) + count
        return sorted(out.items())


class TopK:
    """The ``k`` largest (value, line) pairs seen; mergeable."""

    __slots__ = ("heap", "k")

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[int, int]] = []

    def floor(self) -> int:
        return self.heap[0][0] if len(self.heap) >= self.k else -1

    def add(self, value: int, line: int) -> None:
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, (value, line))
        elif value > self.heap[0][0]:
            heapq.heapreplace(self.heap, (value, line))

    def extend(self, items: Iterable[tuple[int, int]]) -> None:
        for value, line in items:
            self.add(value, line)

    def largest(self) -> list[tuple[int, int]]:
        return sorted(self.heap, reverse=True)
