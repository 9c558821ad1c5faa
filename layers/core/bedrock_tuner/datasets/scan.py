"""The streaming scan of one dataset file: framing, fast and slow paths, per-file state.

Fast path: a chunk of whole lines is pre-scanned once (Aho-Corasick) for reserved strings
and for framing oddities (blank lines, lines starting with whitespace), then decoded in one
call into the format's structs and checked record by record. Any surprise in a chunk
(a framing hit, a decode error) sends that chunk down the slow path: line by line, with
every problem explained. Line numbers are 1-based and count every line of the file.
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from bedrock_tuner.datasets.reader import BOM, OversizeLine, Piece
from bedrock_tuner.datasets.stats import Histogram, TopK
from bedrock_tuner.datasets.structure import (
    FORMAT_LABELS,
    customization_type_of,
    decode_generic,
    detect_format,
    diagnose_structure,
    json_type_name,
    same_family,
)

if TYPE_CHECKING:
    from bedrock_tuner.datasets.checks import Checker

_M64 = (1 << 64) - 1
FRAMING = (b"\n\n", b"\n\r", b"\n ", b"\n\t")
_FRAMING_STARTS = frozenset(b"\n\r \t")
# JSON writers may escape these (Go's encoding/json writes "<" as "\u003c").
_JSON_ESCAPES = {"<": ("\\u003c", "\\u003C"), ">": ("\\u003e", "\\u003E"), "&": ("\\u0026",)}


def _json_spellings(text: str) -> list[str]:
    """Every way ``text`` may appear inside a JSON string: literal, or with <, >, & escaped."""
    out = [""]
    for ch in text:
        options = (ch, *_JSON_ESCAPES.get(ch, ()))
        out = [prefix + option for prefix in out for option in options]
    return out


def build_automaton(reserved: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
    """One Aho-Corasick automaton for the framing patterns and every spelling of
    ``reserved``; returns it with the reserved string behind each non-framing pattern."""
    import ahocorasick_rs

    patterns = list(FRAMING)
    needles: list[str] = []
    for needle in reserved:
        for spelling in _json_spellings(needle):
            patterns.append(spelling.encode())
            needles.append(needle)
    automaton = ahocorasick_rs.BytesAhoCorasick(
        patterns, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
    )
    return automaton, tuple(needles)


_NONSTANDARD = re.compile(rb"\b(?:NaN|-?Infinity)\b")
DEDUP_CAP = 500_000  # the most distinct prompts ever tracked (the largest model maximum)


def dedup_cap_for(max_records: int | None) -> int:
    """Prompts to track: twice what the model accepts (at least 100k), at most DEDUP_CAP.

    Memory is ~110 bytes a prompt; a file far over the model's maximum is invalid anyway,
    and its first records are where duplicates matter while trimming it.
    """
    if max_records is None:
        return DEDUP_CAP
    return min(DEDUP_CAP, max(100_000, 2 * max_records))


@dataclass(slots=True)
class Example:
    file: str
    line: int | None
    path: str | None
    message: str
    related: int | None = None  # an earlier line this problem refers to


class Problems:
    """Counts per code and the first ``max_examples`` examples of each (all files)."""

    def __init__(self, max_examples: int) -> None:
        self.max_examples = max_examples
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[Example]] = {}

    def add(
        self,
        code: str,
        file: str,
        line: int | None,
        path: str | None,
        message: str,
        related: int | None = None,
    ) -> None:
        n = self.counts.get(code, 0)
        self.counts[code] = n + 1
        if n < self.max_examples:
            self.examples.setdefault(code, []).append(Example(file, line, path, message, related))

    def merge(self, other: Problems, line_offset: int) -> None:
        """Add ``other``'s problems, whose line numbers start ``line_offset`` lines later."""
        for code, count in other.counts.items():
            self.counts[code] = self.counts.get(code, 0) + count
            mine = self.examples.setdefault(code, [])
            for ex in other.examples.get(code, []):
                line = ex.line + line_offset if ex.line is not None else None
                related = ex.related + line_offset if ex.related is not None else None
                mine.append(Example(ex.file, line, ex.path, ex.message, related))
            mine.sort(key=lambda e: (e.file != "training", e.line or 0))
            del mine[self.max_examples :]


class DuplicateTracker:
    """First line and answer hash per prompt hash: finds duplicates and conflicting answers.

    A worker that does not scan the start of the file only *records* its keys in line
    order (``defer_duplicates``); the parent replays them through the tracker of the first
    range, so every record is compared with the first occurrence, exactly as in one pass.
    """

    __slots__ = ("cap", "full", "seen")

    def __init__(self, cap: int = DEDUP_CAP) -> None:
        self.seen: dict[int, int] = {}  # prompt hash -> line << 64 | answer hash
        self.cap = cap
        self.full = False

    def see(self, problems: Problems, file: str, line: int, key: int, answer: int) -> None:
        seen = self.seen
        prev = seen.get(key)
        if prev is None:
            if len(seen) < self.cap:
                seen[key] = (line << 64) | (answer & _M64)
            else:
                self.full = True
        elif (prev & _M64) == (answer & _M64):
            problems.add(
                "W_DUPLICATE", file, line, None, "same record as line {related}", prev >> 64
            )
        else:
            problems.add(
                "W_CONFLICTING_ANSWER",
                file,
                line,
                None,
                "same prompt as line {related}, different answer",
                prev >> 64,
            )


@dataclass
class FileStats:
    """What one scan of one file produced (picklable, mergeable across workers)."""

    role: str
    lines: int = 0
    records: int = 0
    blank_lines: int = 0
    invalid_records: int = 0
    bad_lines: int = 0
    bytes: int = 0
    exact_counted: int = 0
    crlf: bool = False
    bom: bool = False
    hist: Histogram = field(default_factory=Histogram)
    top: TopK = field(default_factory=lambda: TopK(16))
    duplicates: DuplicateTracker = field(default_factory=DuplicateTracker)
    # Deferred duplicate keys (workers after the first): prompt hash, answer hash, line.
    deferred: tuple[array[int], array[int], array[int]] = field(
        default_factory=lambda: (array("q"), array("q"), array("q"))
    )
    media_first_line: dict[str, int] = field(default_factory=dict)  # "image"/"video" -> line


class FileScan:
    """Scans one file (or one worker's byte range of it) with one checker."""

    def __init__(
        self,
        role: str,
        checker: Checker,
        problems: Problems,
        *,
        reserved: tuple[str, ...],
        first_piece_is_file_start: bool = True,
        defer_duplicates: bool = False,
        dedup_cap: int = DEDUP_CAP,
        top_k: int = 16,
    ) -> None:
        self.role = role
        self.checker = checker
        self.problems = problems
        self.stats = FileStats(role=role, top=TopK(top_k))
        self._automaton, self._reserved = build_automaton(reserved)
        self._n_framing = len(FRAMING)
        self._file_start = first_piece_is_file_start
        self._bad: set[int] = set()
        # One decoder per struct the checker offers, narrowest first (e.g. text-only
        # conversations before the general one); the last one that worked is tried first.
        self._decoders = [msgspec.json.Decoder(t) for t in checker.structs]
        self._preferred = 0
        self._exact_threshold = checker.exact_threshold
        self._top_floor = -1
        self._defer = defer_duplicates
        self._dedup_cap = dedup_cap
        self.stats.duplicates.cap = dedup_cap
        self._seen = self.stats.duplicates.seen
        self._hist_counts = self.stats.hist.counts
        self._tokens_total = 0
        self.line = 0  # lines consumed so far
        self._last_piece_unterminated = False

    # -- reporting --------------------------------------------------------------------
    def err(self, code: str, line: int, path: str | None, message: str) -> None:
        self.problems.add(code, self.role, line, path, message)
        self._bad.add(line)

    def warn(self, code: str, line: int | None, path: str | None, message: str) -> None:
        self.problems.add(code, self.role, line, path, message)

    def finish_record(self, line: int, tokens: int, key: int, answer: int, rec: Any) -> None:
        """Token limit, stats and duplicate tracking for a record that decoded (hot path)."""
        if tokens > self._exact_threshold:
            tokens = self._exact(line, rec)
        counts = self._hist_counts
        if tokens < 64:
            bucket = tokens
        else:
            bits = tokens.bit_length()
            bucket = (bits << 5) | ((tokens >> (bits - 6)) & 31)  # == stats.bucket_of(tokens)
        counts[bucket] = counts.get(bucket, 0) + 1
        self._tokens_total += tokens
        if tokens > self._top_floor:
            top = self.stats.top
            top.add(tokens, line)
            self._top_floor = top.floor()
        if self._defer:
            keys, answers, lines = self.stats.deferred
            if len(keys) < self._dedup_cap:
                keys.append(key)
                answers.append(answer)
                lines.append(line)
            else:
                self.stats.duplicates.full = True
            return
        prev = self._seen.get(key)
        if prev is None:
            if len(self._seen) < self._dedup_cap:
                self._seen[key] = (line << 64) | (answer & _M64)
            else:
                self.stats.duplicates.full = True
        else:
            self.stats.duplicates.see(self.problems, self.role, line, key, answer)

    def finish(self) -> FileStats:
        """Close the scan: fold the hot-path counters into the stats and return them."""
        st = self.stats
        hist = st.hist
        hist.n = sum(hist.counts.values())
        hist.total = self._tokens_total
        largest = st.top.largest()
        hist.max = largest[0][0] if largest else 0
        st.invalid_records = st.bad_lines - st.blank_lines
        return st

    def _exact(self, line: int, rec: Any) -> int:
        checker = self.checker
        tokens = checker.exact_tokens(rec)
        self.stats.exact_counted += 1
        limit = checker.token_limit
        if limit is not None and tokens > limit:
            self.err("E_TOKENS_OVER_LIMIT", line, None, checker.token_limit_message(tokens))
        return tokens

    def saw_media(self, kind: str, line: int) -> None:
        self.stats.media_first_line.setdefault(kind, line)

    # -- the scan ---------------------------------------------------------------------
    def feed(self, piece: Piece) -> None:
        if isinstance(piece, OversizeLine):
            self.line += 1
            self.stats.lines += 1
            self.stats.records += 1
            self.err(
                "E_LINE_TOO_LONG",
                self.line,
                None,
                f"line of {piece.length:,} bytes skipped (no record is near that size)",
            )
            self._close_chunk()
            return
        chunk = piece
        if self._file_start:
            self._file_start = False
            if chunk[:3] == BOM:
                self.stats.bom = True
                # A file-level problem: line 1's record is still checked on its own merits.
                self.warn("E_BOM", 1, None, "the file begins with bytes EF BB BF (a UTF-8 BOM)")
                chunk = chunk[len(BOM) :]
            if b"\r\n" in bytes(chunk[:65536]):
                self.stats.crlf = True
                self.warn("W_CRLF", None, None, "lines end with CR LF")
            if not chunk:
                return
        self._last_piece_unterminated = chunk[-1] != 10
        hits: list[tuple[int, int, int]] = self._automaton.find_matches_as_indexes(chunk)
        framing = chunk[0] in _FRAMING_STARTS
        reserved_hits: list[tuple[int, int]] = []
        for pattern, start, _end in hits:
            if pattern < self._n_framing:
                framing = True
            else:
                reserved_hits.append((pattern - self._n_framing, start))
        first_line = self.line + 1
        records: list[Any] | None = None
        if not framing:
            records = self._decode_chunk(chunk)
        if records is not None:
            check = self.checker.check
            line = first_line
            for rec in records:
                check(rec, line, self)
                line += 1
            n = len(records)
            self.stats.records += n
        else:
            records = []
            n = self._slow_chunk(chunk, first_line, records)
        self.line += n
        self.stats.lines += n
        if reserved_hits:
            self._report_reserved(chunk, first_line, reserved_hits, records)
        self._close_chunk()

    def _decode_chunk(self, chunk: memoryview) -> list[Any] | None:
        decoders = self._decoders
        order = [self._preferred, *(i for i in range(len(decoders)) if i != self._preferred)]
        for i in order:
            try:
                records: list[Any] = decoders[i].decode_lines(chunk)
            except msgspec.ValidationError:
                continue
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                return None
            self._preferred = i
            return records
        return None

    def _close_chunk(self) -> None:
        self.stats.bad_lines += len(self._bad)
        self._bad.clear()

    def _slow_chunk(self, chunk: bytes | memoryview, first_line: int, decoded: list[Any]) -> int:
        chunk = bytes(chunk)
        lines = chunk.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        last_index = len(lines) - 1
        for i, raw in enumerate(lines):
            line = first_line + i
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if not raw.strip():
                self.stats.blank_lines += 1
                self.err("E_BLANK_LINE", line, None, "empty line")
                decoded.append(None)
                continue
            self.stats.records += 1
            truncated = i == last_index and self._last_piece_unterminated
            decoded.append(self._slow_line(raw, line, truncated))
        return len(lines)

    def _slow_line(self, raw: bytes, line: int, maybe_truncated: bool) -> Any:
        checker = self.checker
        for decoder in self._decoders:
            try:
                rec = decoder.decode(raw)
            except (
                msgspec.DecodeError,
                msgspec.ValidationError,
                UnicodeDecodeError,
                RecursionError,
            ):
                continue
            checker.check(rec, line, self)
            return rec
        try:
            obj = decode_generic(raw)
        except UnicodeDecodeError as exc:
            self.err("E_NOT_UTF8", line, None, f"invalid UTF-8 at byte {exc.start} of the line")
            return None
        except RecursionError:
            self.err("E_JSON_TOO_DEEP", line, None, "nesting deeper than the JSON parser allows")
            return None
        except msgspec.DecodeError as exc:
            self._explain_decode_error(raw, line, str(exc), maybe_truncated)
            return None
        if not isinstance(obj, dict):
            self.err("E_NOT_OBJECT", line, "$", f"expected an object, got {json_type_name(obj)}")
            return None
        found = detect_format(obj)
        if found is not None and not same_family(found, checker.fmt):
            self.err(
                "E_WRONG_FORMAT",
                line,
                "$",
                f"this looks like {FORMAT_LABELS[found]}; {checker.model_label} expects "
                f"{FORMAT_LABELS[checker.fmt]}{checker.other_type_hint(customization_type_of(found))}",
            )
            return None
        issues = diagnose_structure(obj, checker.struct)
        for issue in issues:
            self.err(issue.code, line, issue.path, issue.message)
        if issues:
            return None
        try:
            rec = msgspec.convert(obj, checker.struct)
        except msgspec.ValidationError as exc:
            self.err("E_SCHEMA", line, None, str(exc))
            return None
        checker.check(rec, line, self)
        return rec

    def _explain_decode_error(
        self, raw: bytes, line: int, detail: str, maybe_truncated: bool
    ) -> None:
        if b"\x00" in raw or _looks_binary(raw):
            self.err("E_JSON_INVALID", line, None, "binary data, not JSON text")
            return
        if _NONSTANDARD.search(raw):
            try:
                json.loads(raw)
            except (ValueError, RecursionError):
                pass
            else:
                self.err("E_JSON_NONSTANDARD", line, None, "NaN or Infinity literal")
                return
        if "truncated" in detail:
            why = (
                "the file looks truncated (was the upload cut short?)"
                if maybe_truncated
                else "a truncated record, or one split over two lines?"
            )
            self.err("E_JSON_INVALID", line, None, f"the JSON ends before the record does: {why}")
            return
        self.err("E_JSON_INVALID", line, None, detail.replace("JSON is malformed: ", ""))

    def _report_reserved(
        self,
        view: bytes | memoryview,
        first_line: int,
        hits: list[tuple[int, int]],
        records: list[Any],
    ) -> None:
        chunk = bytes(view)
        # Line of each hit: count newlines before it (few hits) or index all newlines.
        if len(hits) <= 8:
            offsets = [chunk.count(b"\n", 0, start) for _, start in hits]
        else:
            starts = [m.start() for m in re.finditer(b"\n", chunk)]
            import bisect

            offsets = [bisect.bisect_left(starts, start) for _, start in hits]
        reported: set[tuple[int, int]] = set()
        for (pattern, _start), offset in zip(hits, offsets, strict=True):
            if (pattern, offset) in reported:
                continue
            reported.add((pattern, offset))
            needle = self._reserved[pattern]
            rec = records[offset] if offset < len(records) else None
            path = self.checker.locate(rec, needle) if rec is not None else None
            if rec is not None and path is None:
                continue  # in a decoded record but outside its texts (e.g. a media URI)
            self.err("E_RESERVED_STRING", first_line + offset, path, f'contains "{needle}"')


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:512]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 10
