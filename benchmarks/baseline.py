"""Parse-only baselines: how fast can one process just decode every line of a JSONL file?

Usage::

    python benchmarks/baseline.py PATH --parser msgspec|orjson

Reads ``PATH`` in 4 MiB chunks cut at the last newline (the partial line is carried into the
next chunk; ``readinto`` a reused buffer, no copies) and decodes every line: ``msgspec``
decodes each whole chunk with ``msgspec.json.Decoder().decode_lines``; ``orjson`` calls
``orjson.loads`` on each line (a zero-copy ``memoryview`` slice).
Prints ``{"parser", "records", "bytes", "seconds"}`` as JSON on stdout. Blank lines are
skipped, not counted (for ``orjson``, a line that starts with whitespace counts as blank).

This is the floor a validator cannot beat: it reads and parses the same bytes but checks
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Final

import msgspec
import orjson

CHUNK_BYTES: Final = 4 * 1024 * 1024


def blocks(path: str, size: int = CHUNK_BYTES) -> Iterator[tuple[bytearray, int]]:
    """Yield ``(buffer, n)``: ``buffer[:n]`` holds whole lines (the last may lack a newline).

    Reads with ``readinto`` into one reusable buffer and moves only the partial last line to
    the front, so the bytes are not copied on their way to the parser. The buffer is reused:
    a block is only valid until the next one is requested.
    """
    buf = bytearray(size)
    view = memoryview(buf)
    carry = 0  # bytes of an unfinished line at the front of buf
    with open(path, "rb", buffering=0) as fh:
        while True:
            if carry == len(buf):  # one line longer than the buffer: use a bigger one
                bigger = bytearray(2 * len(buf))
                bigger[:carry] = buf
                buf, view = bigger, memoryview(bigger)
            n = fh.readinto(view[carry:])
            if not n:
                if carry:
                    yield buf, carry
                return
            end = carry + n
            cut = buf.rfind(b"\n", 0, end) + 1
            if cut == 0:
                carry = end
                continue
            yield buf, cut
            carry = end - cut
            buf[:carry] = bytes(view[cut:end])


def count_msgspec(path: str) -> int:
    decode_lines = msgspec.json.Decoder().decode_lines
    records = 0
    for buf, n in blocks(path):
        with memoryview(buf) as view:
            records += len(decode_lines(view[:n]))
    return records


def count_orjson(path: str) -> int:
    loads = orjson.loads
    records = 0
    for buf, n in blocks(path):
        find = buf.find
        with memoryview(buf) as view:
            pos = 0
            while pos < n:
                nl = find(b"\n", pos, n)
                if nl < 0:
                    nl = n
                if nl > pos and not buf[pos : pos + 1].isspace():
                    loads(view[pos:nl])
                    records += 1
                pos = nl + 1
    return records


PARSERS: Final[dict[str, Callable[[str], int]]] = {
    "msgspec": count_msgspec,
    "orjson": count_orjson,
}


def run(path: str, parser: str) -> dict[str, object]:
    start = time.perf_counter()
    records = PARSERS[parser](path)
    seconds = time.perf_counter() - start
    return {
        "parser": parser,
        "records": records,
        "bytes": os.path.getsize(path),
        "seconds": round(seconds, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Parse-only JSONL baseline.")
    ap.add_argument("path")
    ap.add_argument("--parser", choices=sorted(PARSERS), default="msgspec")
    args = ap.parse_args(argv)
    try:
        result = run(args.path, args.parser)
    except OSError as exc:
        print(f"baseline: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
