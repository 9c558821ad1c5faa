"""Where a dataset's bytes come from: a :class:`DataSource` and the stream it opens.

``datasets/`` reads any source; the S3 adapter (``aws/s3.py``) and ``datasets/reader.py``
(local files, stdin) make them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["DataSource", "ObjectHead", "Readable"]


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class DataSource:
    """Where a dataset comes from. ``open`` returns a fresh binary stream each call."""

    uri: str
    size: int | None
    bucket: str | None  # the S3 bucket holding the dataset (media must live there too)
    opener: Callable[[int, int | None], Readable]  # (start, end_exclusive) -> stream
    seekable: bool = True

    def open(self, start: int = 0, end: int | None = None) -> Readable:
        return self.opener(start, end)


@dataclass(frozen=True)
class ObjectHead:
    """What HeadObject says about an object (ETag without quotes)."""

    size: int
    etag: str
    version_id: str | None
