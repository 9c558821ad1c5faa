"""Dataset sources and the line-aligned chunk reader.

A source is a local path, ``-`` (stdin) or ``s3://bucket/key``. The reader hands out chunks
of whole lines (a few MiB each) so memory stays bounded whatever the file size; a line
longer than :data:`MAX_LINE_BYTES` is skipped while streaming and reported, never buffered.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from bedrock_tuner.errors import DatasetSourceError
from bedrock_tuner.models.sources import DataSource, Readable

CHUNK_BYTES = 4 << 20
# No Bedrock record comes near this: 32k tokens of text is ~130 KB, ~800 KB fully escaped.
MAX_LINE_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"


def open_source(uri: str, *, open_remote: Callable[[str], DataSource] | None = None) -> DataSource:
    """Resolve ``uri`` into a :class:`DataSource`: a local path, ``-`` (stdin), or an
    ``s3://`` URI through ``open_remote`` (the caller's S3 adapter, such as
    :func:`bedrock_tuner.aws.s3.s3_source`: this package reads bytes, it never calls AWS)."""
    if uri == "-":
        stdin = sys.stdin.buffer

        def open_stdin(start: int, end: int | None) -> Readable:
            return stdin

        return DataSource(uri="<stdin>", size=None, bucket=None, opener=open_stdin, seekable=False)
    if uri.startswith("s3://"):
        if open_remote is None:
            raise DatasetSourceError(
                f"cannot read {uri} here: no S3 reader was given",
                fix="Pass open_remote=bedrock_tuner.aws.s3.s3_source, or a local path.",
            )
        return open_remote(uri)
    path = os.path.expanduser(uri)
    if not os.path.exists(path):
        raise DatasetSourceError(
            f"no such file: {uri}", fix="Check the path, or use s3://bucket/key or - for stdin."
        )
    if os.path.isdir(path):
        raise DatasetSourceError(f"{uri} is a directory", fix="Pass a .jsonl file.")
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise DatasetSourceError(f"cannot read {uri}: {exc.strerror}") from exc

    def open_local(start: int, end: int | None) -> Readable:
        try:
            fh: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as exc:
            raise DatasetSourceError(
                f"cannot open {uri}: {exc.strerror}", fix="Check the file's permissions."
            ) from exc
        if start:
            fh.seek(start)
        return _Bounded(fh, end - start) if end is not None else fh

    return DataSource(uri=uri, size=size, bucket=None, opener=open_local)


class _Bounded:
    """A stream that stops after ``limit`` bytes (worker ranges of a local file)."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self._fh = fh
        self._left = limit

    def read(self, n: int = -1, /) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if n < 0 else min(n, self._left)
        data = self._fh.read(want)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()


@dataclass(frozen=True, slots=True)
class OversizeLine:
    """A line longer than MAX_LINE_BYTES that was skipped (``length`` bytes, no newline)."""

    length: int


Piece = memoryview | OversizeLine


def iter_pieces(
    stream: Readable,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_line: int = MAX_LINE_BYTES,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Piece]:
    """Yield chunks of whole lines, and an :class:`OversizeLine` for each skipped line.

    Chunks are zero-copy views into one reused buffer: a view is valid only until the next
    item is requested (copy it with ``bytes(view)`` to keep it). Every chunk ends with
    ``\n`` except possibly the last one of the stream (a final line without newline).
    """
    chunk_bytes = min(chunk_bytes, max_line)  # a line inside one read is then never over max_line
    buf = bytearray(max_line + chunk_bytes)
    view = memoryview(buf)
    readinto = getattr(stream, "readinto", None)
    have = 0  # bytes of an unfinished line kept at buf[0:have]
    skipping = 0  # > 0 while inside an oversize line: its length so far
    while True:
        if readinto is not None:
            n = readinto(view[have : have + chunk_bytes]) or 0
        else:
            block = stream.read(chunk_bytes)
            n = len(block)
            view[have : have + n] = block
        if not n:
            break
        if on_bytes is not None:
            on_bytes(n)
        end = have + n
        start = 0
        if have and not skipping:
            # The unfinished line carried over may end here, over the limit.
            nl = buf.find(b"\n", have, end)
            if nl > max_line:
                yield OversizeLine(nl)
                start = nl + 1
        if skipping:
            nl = buf.find(b"\n", 0, end)
            if nl < 0:
                skipping += n
                continue
            yield OversizeLine(skipping + nl)
            skipping = 0
            start = nl + 1
        cut = buf.rfind(b"\n", start, end)
        if cut < 0:
            pending = end - start
            if pending > max_line:
                skipping, have = pending, 0
            else:
                if start:
                    view[0:pending] = bytes(view[start:end])
                have = pending
            continue
        yield view[start : cut + 1]
        have = end - cut - 1
        if have:
            view[0:have] = bytes(view[cut + 1 : end])
    if skipping:
        yield OversizeLine(skipping)
    elif have:
        yield view[0:have]


def align_ranges(source: DataSource, parts: int) -> list[tuple[int, int]]:
    """Split a local or S3 file into ``parts`` byte ranges that start at line starts."""
    size = source.size or 0
    if parts <= 1 or size < parts * CHUNK_BYTES or not source.seekable:
        return [(0, size)]
    bounds = [0]
    for k in range(1, parts):
        guess = size * k // parts
        stream = source.open(guess, min(size, guess + MAX_LINE_BYTES))
        try:
            head = stream.read(MAX_LINE_BYTES)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        nl = head.find(b"\n")
        start = guess + nl + 1 if nl >= 0 else size
        if start > bounds[-1] and start < size:
            bounds.append(start)
    bounds.append(size)
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
