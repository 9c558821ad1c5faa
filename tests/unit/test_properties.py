"""Property-based tests (hypothesis): the validator never crashes, counts lines exactly,
and the chunker reproduces its input."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bedrock_tuner.datasets import reader
from bedrock_tuner.datasets import validate as validate_mod
from bedrock_tuner.datasets.reader import OversizeLine, iter_pieces
from bedrock_tuner.datasets.report import Report
from factories import NOVA_MICRO, conversation, message, validate

_BASE = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(n: int) -> settings:
    return settings(_BASE, max_examples=n)


# --------------------------------------------------------------------------- (a) random bytes
@examples(300)
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_crash(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("bytes") / "data.jsonl"
    path.write_bytes(data)
    report = validate(path, NOVA_MICRO, max_examples=3)
    assert isinstance(report, Report)
    assert report.files[0].bytes == len(data)
    if not data.strip():
        assert not report.summary.valid


@examples(200)
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.text(max_size=60).map(str.encode),
            st.sampled_from(
                [b"{", b"}", b"[]", b"null", b'{"messages": []}', b"\xef\xbb\xbf{}", b"NaN"]
            ),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                lambda kids: (
                    st.lists(kids, max_size=3)
                    | st.dictionaries(st.text(max_size=12), kids, max_size=3)
                ),
                max_leaves=8,
            ).map(lambda v: json.dumps(v).encode()),
        ),
        max_size=20,
    )
)
def test_random_json_ish_lines_never_crash(
    lines: list[bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("lines") / "data.jsonl"
    path.write_bytes(b"\n".join(lines))
    report = validate(path, NOVA_MICRO, max_examples=3)
    assert isinstance(report, Report)


# --------------------------------------------------------------------------- (b) mixed files
def _valid(i: int) -> bytes:
    return json.dumps(
        conversation(
            i, messages=[message("user", f"question {i}?"), message("assistant", f"answer {i}.")]
        )
    ).encode()


BAD_KINDS = {
    "invalid_json": lambda i: b'{"schemaVersion": "bedrock-conversation-2024", "messages": [',
    "wrong_role": lambda i: json.dumps(
        conversation(
            i, messages=[message("user", f"q{i}"), message("robot", "r"), message("assistant", "a")]
        )
    ).encode(),
    "empty_text": lambda i: json.dumps(
        conversation(i, messages=[message("user", " "), message("assistant", "a")])
    ).encode(),
    "missing_key": lambda i: json.dumps(
        {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": f"s{i}"}]}
    ).encode(),
    "not_object": lambda i: b"[1, 2, 3]",
    "first_assistant": lambda i: json.dumps(
        conversation(
            i,
            messages=[
                message("assistant", "a"),
                message("user", f"q{i}"),
                message("assistant", "b"),
            ],
        )
    ).encode(),
}
BLANKS = [b"", b"   ", b"\t", b"\r"]

line_kinds = st.one_of(
    st.just(("valid", None)),
    st.tuples(st.just("bad"), st.sampled_from(sorted(BAD_KINDS))),
    st.tuples(st.just("blank"), st.sampled_from(range(len(BLANKS)))),
)


@examples(300)
@given(
    kinds=st.lists(line_kinds, min_size=1, max_size=40),
    trailing=st.booleans(),
    chunk_bytes=st.sampled_from([None, 1, 50, 300, 2000]),
)
def test_mixed_file_counts_and_lines_are_exact(
    kinds: list[tuple[str, Any]],
    trailing: bool,
    chunk_bytes: int | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Given a file built from a random mix of valid records, bad lines and blank lines
    raw: list[bytes] = []
    valid_lines: set[int] = set()
    bad_lines: set[int] = set()
    blank_lines: set[int] = set()
    for index, (kind, which) in enumerate(kinds):
        line = index + 1
        if kind == "valid":
            raw.append(_valid(index))
            valid_lines.add(line)
        elif kind == "bad":
            raw.append(BAD_KINDS[which](index))
            bad_lines.add(line)
        else:
            raw.append(BLANKS[which])
            blank_lines.add(line)
    # (a last blank line without a newline is no line at all)
    assume(trailing or kinds[-1][0] != "blank")
    path = tmp_path_factory.mktemp("mixed") / "data.jsonl"
    path.write_bytes(b"\n".join(raw) + (b"\n" if trailing else b""))
    # When it is validated with room for every example (and, for some, tiny read chunks)
    if chunk_bytes is None:
        report = validate(path, NOVA_MICRO, max_examples=10_000)
    else:
        small = functools.partial(reader.iter_pieces, chunk_bytes=chunk_bytes)
        with mock.patch.object(validate_mod, "iter_pieces", small):
            report = validate(path, NOVA_MICRO, max_examples=10_000)
    # Then the counts are exact
    assert report.files[0].lines == len(kinds)
    assert report.summary.records == len(kinds) - len(blank_lines)
    assert report.files[0].blank_lines == len(blank_lines)
    assert report.summary.invalid_records == len(bad_lines)
    # And every bad or blank line is named by an error, and no valid line is
    reported: set[int] = set()
    for p in report.problems:
        if p.severity != "error":
            continue
        for e in p.examples:
            if e.line is not None:
                reported.add(e.line)
    assert bad_lines | blank_lines <= reported
    assert not (reported & valid_lines)
    assert set(p.count for p in report.problems if p.code == "E_BLANK_LINE") <= {len(blank_lines)}


# --------------------------------------------------------------------------- (c) the chunker
lines_strategy = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30)


def _pieces(data: bytes, chunk_bytes: int, max_line: int) -> list[bytes | OversizeLine]:
    out: list[bytes | OversizeLine] = []
    for piece in iter_pieces(io.BytesIO(data), chunk_bytes=chunk_bytes, max_line=max_line):
        out.append(piece if isinstance(piece, OversizeLine) else bytes(piece))
    return out


def _split_lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return parts


@examples(500)
@given(
    lines=lines_strategy,
    trailing=st.booleans(),
    chunk_bytes=st.integers(min_value=1, max_value=50),
    max_line=st.integers(min_value=1, max_value=60),
)
def test_chunker_reproduces_input_and_skips_only_long_lines(
    lines: list[bytes], trailing: bool, chunk_bytes: int, max_line: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    pieces = _pieces(data, chunk_bytes, max_line)
    # Every chunk is whole lines (only the stream's last one may lack its newline)
    chunks = [p for p in pieces if isinstance(p, bytes)]
    assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])
    assert b"" not in chunks
    # Rebuilding the lines: chunks split into lines, an oversize line stands for one line
    rebuilt: list[bytes | OversizeLine] = []
    for p in pieces:
        if isinstance(p, OversizeLine):
            rebuilt.append(p)
        else:
            rebuilt.extend(_split_lines(p))
    original = _split_lines(data)
    assert len(rebuilt) == len(original)
    for got, want in zip(rebuilt, original, strict=True):
        if isinstance(got, OversizeLine):
            # an oversize line is reported only for a line over max_line, with its length
            assert len(want) > max_line
            assert got.length == len(want)
        else:
            assert got == want
    # Without oversize lines the chunks are the input, byte for byte
    if not any(isinstance(p, OversizeLine) for p in pieces):
        assert b"".join(chunks) == data


@examples(200)
@given(
    lines=lines_strategy,
    chunk_bytes=st.integers(min_value=1, max_value=50),
    max_line=st.integers(min_value=1, max_value=60),
)
def test_chunker_reports_every_line_over_max_line(
    lines: list[bytes], chunk_bytes: int, max_line: int
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    pieces = _pieces(data, chunk_bytes, max_line)
    too_long = [len(line) for line in lines if len(line) > max_line]
    assert [p.length for p in pieces if isinstance(p, OversizeLine)] == too_long


def test_mixed_file_example(tmp_path: Path) -> None:
    """One hand-written instance of the mixed-file property (documents the expectation)."""
    raw = [_valid(0), b"", BAD_KINDS["wrong_role"](2), b"  ", _valid(4), BAD_KINDS["not_object"](5)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(raw) + b"\n")
    report = validate(path, NOVA_MICRO, max_examples=100)
    assert report.summary.records == 4
    assert report.files[0].blank_lines == 2
    assert report.summary.invalid_records == 2


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=1, max_size=200))
def test_hot_path_histogram_matches_histogram_add(values: list[int]) -> None:
    # Given the scan's inlined histogram update and the reference Histogram.add
    from bedrock_tuner.catalog import load_catalog
    from bedrock_tuner.datasets.checks import make_checker
    from bedrock_tuner.datasets.scan import FileScan, Problems
    from bedrock_tuner.datasets.stats import Histogram
    from bedrock_tuner.datasets.validate import resolve_target

    target = resolve_target("amazon.titan-embed-image-v1:0", catalog=load_catalog())
    from bedrock_tuner.datasets.checks import CheckContext

    ctx = CheckContext(
        model=target.model,
        support=target.support,
        fmt=target.support.formats[0],
        token_limit=None,
        batch_size=None,
    )
    scan = FileScan("training", make_checker(ctx), Problems(3), reserved=())
    reference = Histogram()
    # When the same token counts go through both
    for line, value in enumerate(values, 1):
        scan.finish_record(line, value, key=line, answer=0, rec=None)
        reference.add(value)
    stats = scan.finish()
    # Then buckets, totals and maximum agree
    assert stats.hist.counts == reference.counts
    assert (stats.hist.n, stats.hist.total, stats.hist.max) == (
        reference.n,
        reference.total,
        reference.max,
    )
