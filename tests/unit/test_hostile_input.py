"""Hostile and malformed files: the validator reports them (with exact line numbers) and
never crashes, whatever the bytes and wherever the chunk boundaries fall."""

from __future__ import annotations

import functools
import io
import json
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.datasets import reader
from bedrock_tuner.datasets import validate as validate_mod
from bedrock_tuner.datasets.reader import OversizeLine, iter_pieces
from factories import (
    NOVA_LITE,
    TITAN_LITE,
    codes,
    conversation,
    error_codes,
    error_lines,
    examples_of,
    lines_of,
    message,
    nova_record,
    prompt_completion,
    validate,
)

Maker = Callable[..., Path]
BOM = b"\xef\xbb\xbf"
PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "core"


def pcs(n: int) -> list[dict[str, Any]]:
    return [prompt_completion(i) for i in range(n)]


def dumps(record: Any) -> bytes:
    return json.dumps(record).encode()


# --------------------------------------------------------------------------- empty, BOM, CRLF
def test_empty_file(make_file: Maker) -> None:
    path = make_file([])
    assert path.stat().st_size == 0
    report = validate(path, TITAN_LITE)
    assert error_codes(report) == {"E_FILE_EMPTY": 1}
    assert report.summary.records == 0
    assert not report.summary.valid


def test_only_blank_lines_is_an_empty_file(make_file: Maker) -> None:
    report = validate(make_file(["", "  ", ""]), TITAN_LITE)
    assert error_codes(report) == {"E_FILE_EMPTY": 1, "E_BLANK_LINE": 3}
    assert report.summary.records == 0
    assert report.files[0].blank_lines == 3


def test_bom_only_file(make_file: Maker) -> None:
    report = validate(make_file([], prefix=BOM), TITAN_LITE)
    assert "E_FILE_EMPTY" in error_codes(report)
    assert "E_BOM" in error_codes(report)


def test_bom_is_reported_and_the_rest_still_validated(make_file: Maker) -> None:
    # Given a UTF-8 BOM before valid records, with a broken record on line 3
    records: list[Any] = pcs(5)
    records[2] = {"prompt": "q", "completion": ""}
    report = validate(make_file(records, prefix=BOM), TITAN_LITE)
    # Then the BOM is reported on line 1, the first record itself still decodes, and the
    # record on line 3 is still checked
    assert error_codes(report) == {"E_BOM": 1, "E_EMPTY_TEXT": 1}
    assert lines_of(report, "E_BOM") == [1]
    assert lines_of(report, "E_EMPTY_TEXT") == [3]
    assert report.summary.records == 5


def test_crlf_line_endings_warn_but_records_are_valid(make_file: Maker) -> None:
    report = validate(make_file(pcs(5), newline=b"\r\n"), TITAN_LITE)
    assert report.summary.valid, error_codes(report)
    assert "W_CRLF" in codes(report)
    assert report.summary.records == 5
    assert "W_CRLF" not in codes(validate(make_file(pcs(5)), TITAN_LITE))


def test_crlf_with_errors_keeps_line_numbers(make_file: Maker) -> None:
    records: list[Any] = pcs(6)
    records[1] = ""
    records[4] = {"prompt": " ", "completion": "x"}
    report = validate(make_file(records, newline=b"\r\n"), TITAN_LITE)
    assert lines_of(report, "E_BLANK_LINE") == [2]
    assert lines_of(report, "E_EMPTY_TEXT") == [5]


# --------------------------------------------------------------------------- blank lines
def test_blank_lines_of_every_kind_are_reported_on_their_lines(make_file: Maker) -> None:
    # Given blank lines: empty, "\r" (a CRLF blank line), spaces, a tab, and a last empty line
    lines: list[Any] = [
        dumps(prompt_completion(0)),  # 1
        b"",  # 2
        dumps(prompt_completion(2)),  # 3
        b"\r",  # 4
        b"   ",  # 5
        dumps({"prompt": "", "completion": "x"}),  # 6 (bad record)
        b"\t",  # 7
        dumps(prompt_completion(8)),  # 8
        b" \t \r",  # 9
        dumps(prompt_completion(10)),  # 10
        b"",  # 11
    ]
    full = validate(make_file(lines), TITAN_LITE, max_examples=100)
    # Then each blank line is reported on its own line, and the records are still checked
    assert lines_of(full, "E_BLANK_LINE") == [2, 4, 5, 7, 9, 11]
    assert lines_of(full, "E_EMPTY_TEXT") == [6]
    assert error_codes(full) == {"E_BLANK_LINE": 6, "E_EMPTY_TEXT": 1}
    assert full.summary.records == 5
    assert full.files[0].blank_lines == 6
    assert full.files[0].lines == 11
    assert full.summary.invalid_records == 1


def test_blank_first_line(make_file: Maker) -> None:
    report = validate(make_file(["", *map(dumps, pcs(3))]), TITAN_LITE)
    assert error_codes(report) == {"E_BLANK_LINE": 1}
    assert lines_of(report, "E_BLANK_LINE") == [1]
    assert report.summary.records == 3


# --------------------------------------------------------------------------- broken JSON
def test_truncated_last_line(make_file: Maker) -> None:
    # Given a file whose last record was cut off mid-way (no newline)
    lines = [*map(dumps, pcs(4)), b'{"prompt": "What is the capital of Fra']
    report = validate(make_file(lines, trailing=False), TITAN_LITE)
    # Then the last line is invalid JSON and the message suggests a truncated upload
    assert error_codes(report) == {"E_JSON_INVALID": 1}
    [example] = examples_of(report, "E_JSON_INVALID")
    assert example.line == 5
    assert "cut short" in example.message or "truncat" in example.message
    assert "upload" in example.message


def test_record_cut_in_the_middle_of_the_file(make_file: Maker) -> None:
    lines = [dumps(prompt_completion(0)), b'{"prompt": "a", "comp', dumps(prompt_completion(2))]
    report = validate(make_file(lines), TITAN_LITE)
    [example] = examples_of(report, "E_JSON_INVALID")
    assert example.line == 2
    assert "upload" not in example.message  # not the last line: not an upload problem


@pytest.mark.parametrize(
    "line",
    [
        b'{"prompt": NaN, "completion": "x"}',
        b'{"prompt": "x", "completion": "y", "score": Infinity}',
        b'{"prompt": "x", "completion": "y", "score": -Infinity}',
    ],
)
def test_nan_and_infinity_are_nonstandard(line: bytes, make_file: Maker) -> None:
    report = validate(make_file([dumps(prompt_completion(0)), line]), TITAN_LITE)
    assert error_codes(report) == {"E_JSON_NONSTANDARD": 1}
    assert lines_of(report, "E_JSON_NONSTANDARD") == [2]


def test_nan_inside_a_string_is_fine(make_file: Maker) -> None:
    report = validate(
        make_file([{"prompt": "Is NaN a number? Infinity?", "completion": "No."}]), TITAN_LITE
    )
    assert report.summary.valid, error_codes(report)


@pytest.mark.parametrize(
    "line",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["arrays", "objects"],
)
def test_deep_nesting_is_reported_not_raised(line: bytes, make_file: Maker) -> None:
    report = validate(
        make_file([dumps(prompt_completion(0)), line, dumps(prompt_completion(2))]), TITAN_LITE
    )
    errors = error_codes(report)
    assert set(errors) <= {"E_JSON_TOO_DEEP", "E_JSON_INVALID"}
    assert sum(errors.values()) == 1
    assert error_lines(report) == {2}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b"[1, 2, 3]", "array"),
        (b'"a string"', "string"),
        (b"42", "integer"),
        (b"3.5", "number"),
        (b"null", "null"),
        (b"true", "boolean"),
    ],
)
def test_json_that_is_not_an_object(line: bytes, kind: str, make_file: Maker) -> None:
    report = validate(make_file([dumps(prompt_completion(0)), line]), TITAN_LITE)
    assert error_codes(report) == {"E_NOT_OBJECT": 1}
    [example] = examples_of(report, "E_NOT_OBJECT")
    assert example.line == 2
    assert kind in example.message


def test_latin1_text_is_not_utf8(make_file: Maker) -> None:
    # Given a record written in Latin-1 (é as the single byte E9)
    line = '{"prompt": "Où est le café?", "completion": "Là."}'.encode("latin-1")
    report = validate(make_file([dumps(prompt_completion(0)), line]), TITAN_LITE)
    assert error_codes(report) == {"E_NOT_UTF8": 1}
    assert lines_of(report, "E_NOT_UTF8") == [2]


def test_nul_bytes_are_binary_data(make_file: Maker) -> None:
    report = validate(
        make_file([dumps(prompt_completion(0)), b"\x00\x01\x02PK\x03\x04" * 20]), TITAN_LITE
    )
    assert error_codes(report) == {"E_JSON_INVALID": 1}
    assert "binary" in examples_of(report, "E_JSON_INVALID")[0].message


@pytest.mark.parametrize("seed", range(5))
def test_random_binary_garbage(seed: int, make_file: Maker) -> None:
    # Given random bytes (NULs, invalid UTF-8, random newlines) after two good records
    rng = random.Random(seed)
    garbage = rng.randbytes(20_000)
    data = dumps(prompt_completion(0)) + b"\n" + dumps(prompt_completion(1)) + b"\n" + garbage
    path = make_file([data], trailing=False)
    # When validated, nothing raises and every garbage line is an error
    report = validate(path, TITAN_LITE, max_examples=100_000)
    assert not report.summary.valid
    assert set(error_codes(report)) <= {
        "E_NOT_UTF8",
        "E_JSON_INVALID",
        "E_BLANK_LINE",
        "E_NOT_OBJECT",
        "E_JSON_NONSTANDARD",
    }
    garbage_lines = garbage.split(b"\n")
    if garbage_lines and garbage_lines[-1] == b"":
        garbage_lines.pop()
    bad = {3 + i for i in range(len(garbage_lines))}
    assert error_lines(report) == bad
    assert report.files[0].lines == 2 + len(garbage_lines)


# --------------------------------------------------------------------------- huge line
def test_100mb_single_line_is_skipped_with_bounded_memory(tmp_path: Path) -> None:
    # Given a file with a 100 MB line between two good records, written in streaming
    path = tmp_path / "huge.jsonl"
    block = b"x" * (1 << 20)
    with path.open("wb") as fh:
        fh.write(dumps(prompt_completion(0)) + b"\n")
        fh.write(b'{"prompt": "')
        for _ in range(100):
            fh.write(block)
        fh.write(b'", "completion": "y"}\n')
        fh.write(dumps({"prompt": "", "completion": "after the huge line"}) + b"\n")
    # When a fresh interpreter validates it (so its peak RSS belongs to this run alone)
    script = textwrap.dedent(
        f"""
        import json, resource, sys
        from bedrock_tuner.datasets.validate import validate_dataset
        from bedrock_tuner.datasets.report import report_json
        small = sys.argv[1] + ".small"
        open(small, "w").write(json.dumps({{"prompt": "a", "completion": "b"}}) + "\\n")
        validate_dataset(small, model_id="{TITAN_LITE}")  # warm up imports and caches
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = validate_dataset(sys.argv[1], model_id="{TITAN_LITE}")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"growth_kb": after - before, "report": json.loads(report_json(report))}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    out = json.loads(done.stdout)
    report = out["report"]
    found = {
        p["code"]: [e["line"] for e in p["examples"]]
        for p in report["problems"]
        if p["severity"] == "error"
    }
    # Then the huge line is reported (line 2), the record after it is still checked
    # (line 3), and memory grew far less than the line's size
    assert found == {"E_LINE_TOO_LONG": [2], "E_EMPTY_TEXT": [3]}
    assert report["summary"]["records"] == 3
    assert out["growth_kb"] < 40 * 1024, f"peak RSS grew by {out['growth_kb'] / 1024:.0f} MB"


def test_line_just_over_the_maximum_is_too_long(tmp_path: Path) -> None:
    # Given a line 1 KiB longer than MAX_LINE_BYTES (8 MiB) between two good records
    path = tmp_path / "long.jsonl"
    filler = reader.MAX_LINE_BYTES + 1024 - len(b'{"prompt": "", "completion": "y"}')
    with path.open("wb") as fh:
        fh.write(dumps(prompt_completion(0)) + b"\n")
        fh.write(b'{"prompt": "' + b"x " * (filler // 2) + b'", "completion": "y"}\n')
        fh.write(dumps(prompt_completion(2)) + b"\n")
    report = validate(path, TITAN_LITE)
    # Then it is skipped and reported like any line over the maximum
    assert lines_of(report, "E_LINE_TOO_LONG") == [2]


# --------------------------------------------------------------------------- chunk boundaries
def _chunker_lines(data: bytes, chunk_bytes: int, max_line: int) -> list[bytes | OversizeLine]:
    out: list[bytes | OversizeLine] = []
    for piece in iter_pieces(io.BytesIO(data), chunk_bytes=chunk_bytes, max_line=max_line):
        if isinstance(piece, OversizeLine):
            out.append(piece)
        else:
            out.extend(bytes(piece).splitlines(keepends=True))
    return out


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 8, 13, 64, 1000])
def test_iter_pieces_yields_whole_lines(chunk_bytes: int) -> None:
    # Given lines of assorted lengths, the last one without newline
    lines = [b"a" * n for n in (0, 1, 7, 8, 9, 20, 3, 0, 15)]
    data = b"\n".join(lines)
    # (a chunk is a view into a reused buffer: copy it before asking for the next one)
    pieces = [
        p if isinstance(p, OversizeLine) else bytes(p)
        for p in iter_pieces(io.BytesIO(data), chunk_bytes=chunk_bytes, max_line=64)
    ]
    chunks = [p for p in pieces if isinstance(p, bytes)]
    # Then the chunks reproduce the input and every chunk but the last ends with a newline
    assert b"".join(chunks) == data
    assert all(c.endswith(b"\n") for c in chunks[:-1])


def test_iter_pieces_skips_oversize_lines_at_chunk_edges() -> None:
    data = b"ok\n" + b"y" * 500 + b"\nfine\n" + b"z" * 300
    got = _chunker_lines(data, chunk_bytes=7, max_line=100)
    assert got == [b"ok\n", OversizeLine(500), b"fine\n", OversizeLine(300)]


def test_iter_pieces_works_without_readinto() -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self._io = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self._io.read(n)

    data = b"first\nsecond line\n" + b"q" * 50 + b"\nlast"
    pieces = [
        p if isinstance(p, OversizeLine) else bytes(p)
        for p in iter_pieces(ReadOnly(data), chunk_bytes=4, max_line=20)
    ]
    normal = b"".join(p for p in pieces if isinstance(p, bytes))
    assert normal == b"first\nsecond line\nlast"
    assert [p for p in pieces if isinstance(p, OversizeLine)] == [OversizeLine(50)]


def _nova_file_with_errors() -> tuple[list[Any], dict[str, list[int]]]:
    """Nova records with errors on known lines (some adjacent, some at the start/end)."""
    lines: list[Any] = [nova_record(i) for i in range(40)]
    expected: dict[str, list[int]] = {}

    def put(line: int, item: Any, code: str) -> None:
        lines[line - 1] = item
        expected.setdefault(code, []).append(line)

    put(
        1,
        conversation(
            1, messages=[message("user", "q"), message("user", "q2"), message("assistant", "a")]
        ),
        "E_ROLE_ORDER",
    )
    put(2, "{not json", "E_JSON_INVALID")
    put(3, "", "E_BLANK_LINE")
    put(
        7,
        conversation(7, messages=[message("user", "Bot: hi"), message("assistant", "ok")]),
        "E_RESERVED_STRING",
    )
    put(
        8,
        conversation(8, messages=[message("user", "x"), message("assistant", "")]),
        "E_EMPTY_TEXT",
    )
    put(9, "   ", "E_BLANK_LINE")
    put(15, "[1]", "E_NOT_OBJECT")
    put(
        16,
        conversation(16, messages=[message("user", "[EOS]"), message("assistant", "<video>")]),
        "E_RESERVED_STRING",
    )
    put(22, prompt_completion(22), "E_WRONG_FORMAT")
    put(23, nova_record(5), "W_DUPLICATE")
    put(31, "", "E_BLANK_LINE")
    put(32, "", "E_BLANK_LINE")
    put(
        39,
        conversation(39, messages=[message("user", "hi"), message("assistant", "User: x")]),
        "E_RESERVED_STRING",
    )
    put(40, conversation(40, messages=[]), "E_NO_MESSAGES")
    expected["E_RESERVED_STRING"] = [7, 16, 16, 39]  # line 16 holds two reserved strings
    return lines, expected


def _summary(report: Any) -> tuple[Any, ...]:
    problems = sorted(
        (p.code, p.count, tuple((e.file, e.line, e.path, e.message) for e in p.examples))
        for p in report.problems
    )
    s = report.summary
    f = report.files[0]
    return (
        problems,
        s.records,
        s.invalid_records,
        s.training_tokens,
        f.lines,
        f.blank_lines,
        f.tokens.max,
        f.tokens.max_line,
    )


@pytest.mark.parametrize("chunk_bytes", [1, 17, 64, 300, 1024])
def test_validator_line_numbers_do_not_depend_on_chunk_size(
    chunk_bytes: int, make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file with errors at many places, some certainly at chunk edges
    lines, expected = _nova_file_with_errors()
    path = make_file(lines)
    baseline = validate(path, NOVA_LITE, max_examples=100)
    assert {code: lines_of(baseline, code) for code in expected} == expected
    # When the validator reads it in tiny chunks
    monkeypatch.setattr(
        validate_mod, "iter_pieces", functools.partial(reader.iter_pieces, chunk_bytes=chunk_bytes)
    )
    chunked = validate(path, NOVA_LITE, max_examples=100)
    # Then the report is the same, line for line
    assert _summary(chunked) == _summary(baseline)


def test_validator_with_oversize_lines_at_chunk_edges(
    make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given records around two long lines, and the validator reading 64 bytes at a time
    # with a 600-byte line maximum
    monkeypatch.setattr(
        validate_mod,
        "iter_pieces",
        functools.partial(reader.iter_pieces, chunk_bytes=64, max_line=600),
    )
    long = {"prompt": "p " * 1000, "completion": "c"}
    lines: list[Any] = [
        *pcs(3),
        long,
        prompt_completion(5),
        {"prompt": "", "completion": "x"},
        long,
    ]
    lines[6] = {"prompt": "q " * 2000, "completion": "d"}
    report = validate(make_file(lines), TITAN_LITE, max_examples=50)
    # Then both long lines are reported where they are, and the lines after them keep
    # their numbers
    assert lines_of(report, "E_LINE_TOO_LONG") == [4, 7]
    assert lines_of(report, "E_EMPTY_TEXT") == [6]
    assert report.summary.records == 7


def test_crlf_detected_with_tiny_chunks(make_file: Maker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        validate_mod, "iter_pieces", functools.partial(reader.iter_pieces, chunk_bytes=5)
    )
    records: list[Any] = pcs(4)
    records[2] = ""
    report = validate(make_file(records, newline=b"\r\n"), TITAN_LITE)
    assert "W_CRLF" in codes(report)
    assert lines_of(report, "E_BLANK_LINE") == [3]
