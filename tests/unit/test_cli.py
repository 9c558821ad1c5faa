"""The command line: exit codes, error lines, JSON output, sources (file, stdin; S3 in
tests/integration/test_cli_s3.py), parallel workers, estimate, split and catalog."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bedrock_tuner.catalog import get_model, load_catalog
from bedrock_tuner.datasets import reader
from bedrock_tuner.datasets import validate as validate_mod
from bedrock_tuner.datasets.report import report_json_schema
from bedrock_tuner_cli.main import main
from factories import (
    CLAUDE_HAIKU,
    NOVA_LITE,
    NOVA_MICRO,
    TITAN_EXPRESS,
    TITAN_LITE,
    claude_record,
    conversation,
    limits_override,
    message,
    nova_record,
    prompt_completion,
)

Maker = Callable[..., Path]
PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "core"
SOURCE_ROOTS = [str(PACKAGE_ROOT), str(PACKAGE_ROOT.parents[1] / "cli")]
SCHEMA_FILE = PACKAGE_ROOT / "bedrock_tuner" / "datasets" / "report.schema.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pcs(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [prompt_completion(i) for i in range(start, start + n)]


def problems_of(doc: dict[str, Any]) -> dict[str, list[int | None]]:
    return {p["code"]: [e["line"] for e in p["examples"]] for p in doc["problems"]}


@pytest.fixture
def valid_file(make_file: Maker) -> Path:
    return make_file(pcs(5))


@pytest.fixture
def invalid_file(make_file: Maker) -> Path:
    records: list[Any] = pcs(5)
    records[1] = {"prompt": "", "completion": "x"}
    records[3] = "not json"
    return make_file(records)


# --------------------------------------------------------------------------- exit codes
def test_valid_dataset_exits_0(capsys: pytest.CaptureFixture[str], valid_file: Path) -> None:
    code, out, err = run(capsys, "validate", str(valid_file), "--model", TITAN_LITE)
    assert code == 0
    assert out.startswith("VALID")
    assert "Traceback" not in err


def test_invalid_dataset_exits_1_and_shows_fixes(
    capsys: pytest.CaptureFixture[str], invalid_file: Path
) -> None:
    code, out, _ = run(capsys, "validate", str(invalid_file), "--model", TITAN_LITE)
    assert code == 1
    assert out.startswith("INVALID")
    assert "E_EMPTY_TEXT" in out and "E_JSON_INVALID" in out
    assert "training:2 $.prompt" in out
    assert "fix:" in out


def test_unknown_model_exits_2_with_code_and_fix(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, out, err = run(
        capsys, "validate", str(valid_file), "--model", "amazon.titan-text-lite-v2"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error [BT_UNKNOWN_MODEL]")
    assert "\nfix: " in err
    assert "amazon.titan-text-lite-v1:0:4k" in err  # the fix suggests the close id


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path / "nope.jsonl"), "--model", TITAN_LITE)
    assert code == 2
    assert err.startswith("error [BT_SOURCE]")
    assert "nope.jsonl" in err


def test_directory_instead_of_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path), "--model", TITAN_LITE)
    assert code == 2
    assert "directory" in err


@pytest.mark.parametrize("pair", ["epochCount", "=2", "epochCount:2"])
def test_bad_hyperparameter_syntax_exits_2(
    pair: str, capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, out, err = run(
        capsys, "validate", str(valid_file), "--model", TITAN_LITE, "--hyperparameters", pair
    )
    assert code == 2
    assert err.startswith("error [BT_USAGE]")
    assert "name=value" in err
    assert out == ""


def test_bad_hyperparameter_value_is_a_dataset_error(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, out, _ = run(
        capsys,
        "validate",
        str(valid_file),
        "--model",
        TITAN_LITE,
        "--hyperparameters",
        "epochCount=99",
        "--json",
    )
    assert code == 1
    assert "E_HP_RANGE" in problems_of(json.loads(out))


def test_unsupported_customization_type_exits_2(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, _, err = run(
        capsys, "validate", str(valid_file), "--model", TITAN_LITE, "--type", "DISTILLATION"
    )
    assert code == 2
    assert err.startswith("error [BT_UNSUPPORTED_TYPE]")
    assert "FINE_TUNING" in err  # says what the model does support


def test_unknown_customization_type_exits_2(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, _, err = run(
        capsys, "validate", str(valid_file), "--model", TITAN_LITE, "--type", "FINE_TUNNING"
    )
    assert code == 2
    assert "FINE_TUNING" in err


def test_customization_type_alias(capsys: pytest.CaptureFixture[str], make_file: Maker) -> None:
    path = make_file([{"input": f"text {i}"} for i in range(3)])
    code, out, _ = run(
        capsys, "validate", str(path), "--model", TITAN_LITE, "--type", "cpt", "--json"
    )
    assert code == 0
    assert json.loads(out)["model"]["customizationType"] == "CONTINUED_PRE_TRAINING"


def test_negative_max_examples_exits_2(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    code, _, err = run(
        capsys, "validate", str(valid_file), "--model", TITAN_LITE, "--max-examples", "-1"
    )
    assert code == 2
    assert "--max-examples" in err


def test_missing_required_argument_is_an_argparse_usage_error(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(valid_file)])
    assert exc.value.code == 2
    assert "--model" in capsys.readouterr().err


def test_subprocess_has_no_traceback_and_right_exit_codes(
    tmp_path: Path, valid_file: Path, invalid_file: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS), "NO_COLOR": "1"}
    env.pop("BEDROCK_TUNER_CATALOG", None)

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bedrock_tuner_cli.main", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    ok = cli("validate", str(valid_file), "--model", TITAN_LITE, "--no-progress")
    bad = cli("validate", str(invalid_file), "--model", TITAN_LITE, "--no-progress")
    missing = cli("validate", str(tmp_path / "missing.jsonl"), "--model", TITAN_LITE)
    unknown = cli("validate", str(valid_file), "--model", "no-such-model")
    assert [ok.returncode, bad.returncode, missing.returncode, unknown.returncode] == [0, 1, 2, 2]
    for done in (ok, bad, missing, unknown):
        assert "Traceback" not in done.stderr
    assert missing.stderr.startswith("error [BT_SOURCE]")
    assert unknown.stderr.startswith("error [BT_UNKNOWN_MODEL]")


# --------------------------------------------------------------------------- JSON output
def test_committed_schema_matches() -> None:
    # The committed report.schema.json is what report_json_schema() generates
    assert SCHEMA_FILE.exists(), "report.schema.json is not committed"
    assert json.loads(SCHEMA_FILE.read_text()) == report_json_schema()


@pytest.mark.parametrize("which", ["valid", "invalid"])
def test_json_output_validates_against_the_schema(
    which: str, capsys: pytest.CaptureFixture[str], valid_file: Path, invalid_file: Path
) -> None:
    path = valid_file if which == "valid" else invalid_file
    code, out, _ = run(capsys, "validate", str(path), "--model", TITAN_LITE, "--json")
    doc = json.loads(out)
    schema = json.loads(SCHEMA_FILE.read_text()) if SCHEMA_FILE.exists() else report_json_schema()
    jsonschema.validate(doc, schema)
    assert doc["summary"]["valid"] is (code == 0)
    assert doc["schema"] == "bedrock-tuner/validation-report"
    assert doc["files"][0]["uri"] == str(path)


def test_schema_rejects_a_broken_report(
    capsys: pytest.CaptureFixture[str], valid_file: Path
) -> None:
    # The schema is strict enough to catch a missing or mistyped field
    _, out, _ = run(capsys, "validate", str(valid_file), "--model", TITAN_LITE, "--json")
    doc = json.loads(out)
    del doc["summary"]["valid"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, report_json_schema())


def test_max_examples_limits_the_examples_not_the_counts(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    records: list[Any] = pcs(20)
    for i in range(0, 20, 2):
        records[i] = {"prompt": f"q{i}", "completion": " "}
    code, out, _ = run(
        capsys,
        "validate",
        str(make_file(records)),
        "--model",
        TITAN_LITE,
        "--json",
        "--max-examples",
        "2",
    )
    assert code == 1
    [p] = [p for p in json.loads(out)["problems"] if p["code"] == "E_EMPTY_TEXT"]
    assert p["count"] == 10
    assert [e["line"] for e in p["examples"]] == [1, 3]


def test_report_out_writes_the_json_report(
    capsys: pytest.CaptureFixture[str], invalid_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        capsys, "validate", str(invalid_file), "--model", TITAN_LITE, "--report-out", str(target)
    )
    assert code == 1
    assert out.startswith("INVALID")  # the text report still goes to stdout
    doc = json.loads(target.read_text())
    jsonschema.validate(doc, report_json_schema())
    assert problems_of(doc)["E_EMPTY_TEXT"] == [2]
    assert problems_of(doc)["E_JSON_INVALID"] == [4]


# --------------------------------------------------------------------------- stdin
class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    records: list[Any] = pcs(4)
    records[2] = {"prompt": "q", "completion": ""}
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    code, out, _ = run(capsys, "validate", "-", "--model", TITAN_LITE, "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["files"][0]["uri"] == "<stdin>"
    assert doc["summary"]["records"] == 4
    assert doc["files"][0]["bytes"] == len(data)
    assert problems_of(doc)["E_EMPTY_TEXT"] == [3]


def test_stdin_valid_and_workers_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"".join(json.dumps(r).encode() + b"\n" for r in pcs(3))
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    code, _, _ = run(capsys, "validate", "-", "--model", TITAN_LITE, "--workers", "2")
    assert code == 0


# --------------------------------------------------------------------------- workers
def _multi_chunk_dataset(make_file: Maker) -> Path:
    records: list[Any] = [nova_record(i) for i in range(400)]
    for i in range(3, 400, 37):
        records[i] = conversation(
            i, messages=[message("user", f"q{i}"), message("assistant", "  ")]
        )
    for i in range(10, 400, 53):
        records[i] = "{broken"
    for i in range(25, 400, 71):
        records[i] = ""
    for i in range(30, 400, 97):
        records[i] = conversation(
            i, messages=[message("user", f"User: {i}"), message("assistant", "ok")]
        )
    records[399] = nova_record(7)  # a duplicate far from its original
    return make_file(records)


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything in a report but its timestamp and notes."""
    return {
        "summary": doc["summary"],
        "files": doc["files"],
        "problems": doc["problems"],
        "cost": doc["cost"],
    }


def test_workers_give_the_same_report(
    capsys: pytest.CaptureFixture[str], make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a file that spans many small chunks and two worker ranges
    path = _multi_chunk_dataset(make_file)
    size = path.stat().st_size
    monkeypatch.setattr(reader, "CHUNK_BYTES", size // 5)  # align_ranges splits at >= 2 chunks
    monkeypatch.setattr(
        validate_mod, "iter_pieces", functools.partial(reader.iter_pieces, chunk_bytes=2048)
    )
    src = reader.open_source(str(path))
    assert len(reader.align_ranges(src, 2)) == 2
    # When validated with one and with two workers
    args = ["validate", str(path), "--model", NOVA_LITE, "--json", "--max-examples", "1000"]
    code1, out1, _ = run(capsys, *args, "--workers", "1")
    code2, out2, _ = run(capsys, *args, "--workers", "2")
    # Then the reports agree on counts, line numbers and examples
    one, two = json.loads(out1), json.loads(out2)
    assert code1 == code2 == 1
    assert _comparable(one) == _comparable(two)
    assert one["summary"]["records"] == 400 - len(range(25, 400, 71))
    assert problems_of(one)["E_JSON_INVALID"] == list(range(11, 401, 53))


def test_workers_with_few_examples_keep_the_first_ones(
    capsys: pytest.CaptureFixture[str], make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _multi_chunk_dataset(make_file)
    monkeypatch.setattr(reader, "CHUNK_BYTES", path.stat().st_size // 5)
    monkeypatch.setattr(
        validate_mod, "iter_pieces", functools.partial(reader.iter_pieces, chunk_bytes=4096)
    )
    args = ["validate", str(path), "--model", NOVA_LITE, "--json", "--max-examples", "2"]
    _, out1, _ = run(capsys, *args)
    _, out2, _ = run(capsys, *args, "--workers", "2")
    assert _comparable(json.loads(out1)) == _comparable(json.loads(out2))


def test_workers_agree_on_duplicates_across_ranges(
    capsys: pytest.CaptureFixture[str], make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a prompt answered "A" on line 1, then (in the second half) "B" on 151 and "A" on 161
    records: list[Any] = pcs(200, start=1000)
    records[0] = {"prompt": "same prompt", "completion": "A"}
    records[150] = {"prompt": "same prompt", "completion": "B"}
    records[160] = {"prompt": "same prompt", "completion": "A"}
    path = make_file(records)
    monkeypatch.setattr(reader, "CHUNK_BYTES", path.stat().st_size // 3)
    args = ["validate", str(path), "--model", TITAN_LITE, "--json", "--max-examples", "100"]
    _, out1, _ = run(capsys, *args)
    _, out2, _ = run(capsys, *args, "--workers", "2")
    one, two = json.loads(out1), json.loads(out2)
    # Sequentially: 151 conflicts with line 1, 161 duplicates line 1
    assert problems_of(one)["W_CONFLICTING_ANSWER"] == [151]
    assert problems_of(one)["W_DUPLICATE"] == [161]
    # In parallel it should be the same
    assert one["problems"] == two["problems"]


def test_workers_duplicate_messages_cite_file_line_numbers(
    capsys: pytest.CaptureFixture[str], make_file: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a record on line 161 repeating line 151, both in the second half of the file
    records: list[Any] = pcs(200, start=1000)
    records[160] = records[150]
    path = make_file(records)
    monkeypatch.setattr(reader, "CHUNK_BYTES", path.stat().st_size // 3)
    args = ["validate", str(path), "--model", TITAN_LITE, "--json"]
    _, out1, _ = run(capsys, *args)
    _, out2, _ = run(capsys, *args, "--workers", "2")
    [seq] = [p for p in json.loads(out1)["problems"] if p["code"] == "W_DUPLICATE"]
    [par] = [p for p in json.loads(out2)["problems"] if p["code"] == "W_DUPLICATE"]
    assert seq["examples"][0]["line"] == par["examples"][0]["line"] == 161
    assert "line 151" in seq["examples"][0]["message"]
    # The parallel run names the same earlier line
    assert par["examples"][0]["message"] == seq["examples"][0]["message"]


# --------------------------------------------------------------------------- estimate
def _price(model_id: str) -> float:
    model = get_model(load_catalog(), model_id)
    assert model.price is not None and model.price.training_per_1k_tokens is not None
    return model.price.training_per_1k_tokens


def _default_epochs(model_id: str) -> int:
    model = get_model(load_catalog(), model_id)
    [spec] = [
        h
        for h in model.customization[next(iter(model.customization))].hyperparameters
        if h.name == "epochCount"
    ]
    assert spec.default is not None
    return int(spec.default)


def test_estimate_with_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000000", "--json"
    )
    doc = json.loads(out)
    epochs = _default_epochs(TITAN_EXPRESS)
    assert code == 0
    assert doc["cost"]["epochs"] == epochs
    assert doc["cost"]["billedTokens"] == 1_000_000 * epochs
    assert doc["cost"]["trainingUsd"] == pytest.approx(
        1_000_000 * epochs / 1000 * _price(TITAN_EXPRESS)
    )
    assert doc["breakEven"] is None


def test_estimate_epochs_from_hyperparameters(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys,
        "estimate",
        "--model",
        TITAN_EXPRESS,
        "--tokens",
        "2000",
        "--hyperparameters",
        "epochCount=2",
        "--json",
    )
    cost = json.loads(out)["cost"]
    assert cost["epochs"] == 2 and cost["billedTokens"] == 4000


def test_estimate_with_a_file(capsys: pytest.CaptureFixture[str], make_file: Maker) -> None:
    path = make_file(pcs(50))
    _, out, _ = run(capsys, "validate", str(path), "--model", TITAN_EXPRESS, "--json")
    tokens = json.loads(out)["summary"]["trainingTokens"]
    code, out, _ = run(capsys, "estimate", str(path), "--model", TITAN_EXPRESS, "--json")
    cost = json.loads(out)["cost"]
    assert code == 0
    assert tokens > 0
    assert cost["trainingTokens"] == tokens
    assert cost["billedTokens"] == tokens * cost["epochs"]


def test_estimate_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "estimate", "--model", NOVA_MICRO, "--tokens", "5000")
    assert code == 0
    assert "unknown" in out  # Nova Micro has no training price in the catalog
    assert "5,000 tokens" in out


def test_break_even(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000000", "--json",
        "--saved-prompt-tokens", "500", "--requests-per-month", "100000", "--input-price-per-1k", "0.001",
    ]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    doc = json.loads(out)
    be, cost = doc["breakEven"], doc["cost"]
    savings = 500 * 100_000 / 1000 * 0.001
    storage = cost["storageUsdPerMonth"]
    assert code == 0
    assert storage is not None and savings > storage
    assert be["monthlySavingsUsd"] == pytest.approx(savings)
    assert be["months"] == pytest.approx(cost["trainingUsd"] / (savings - storage), abs=1e-3)
    assert "pays back" in be["verdict"]


def test_break_even_never_pays_back(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000000", "--json",
        "--saved-prompt-tokens", "10", "--requests-per-month", "100", "--input-price-per-1k", "0.001",
    ]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    be = json.loads(out)["breakEven"]
    assert code == 0
    assert be["months"] is None
    assert "never" in be["verdict"]
    assert be["netMonthlyUsd"] < 0


def test_break_even_text(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000000",
        "--saved-prompt-tokens", "500", "--requests-per-month", "100000", "--input-price-per-1k", "0.001",
    ]  # fmt: skip
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "break-even" in out and "months" in out


@pytest.mark.parametrize(
    "extra",
    [
        ["--saved-prompt-tokens", "500"],
        ["--saved-prompt-tokens", "500", "--requests-per-month", "10"],
        ["--input-price-per-1k", "0.001"],
    ],
)
def test_break_even_needs_all_three_arguments(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000", *extra)
    assert code == 2
    assert err.startswith("error [BT_USAGE]")
    assert "--saved-prompt-tokens" in err
    assert out == ""


def test_break_even_without_a_price_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate", "--model", NOVA_MICRO, "--tokens", "1000",
        "--saved-prompt-tokens", "5", "--requests-per-month", "5", "--input-price-per-1k", "0.1",
    ]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "price" in err and "fix:" in err


def test_estimate_needs_a_file_or_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "estimate", "--model", TITAN_EXPRESS)
    assert code == 2
    assert "--tokens" in err


# --------------------------------------------------------------------------- split
def _split(
    capsys: pytest.CaptureFixture[str], path: Path, out_dir: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, "split", str(path), "--out-dir", str(out_dir), "--json", *extra)
    return code, (json.loads(out) if code == 0 else {"err": err})


def _lines(path: str | Path) -> list[bytes]:
    return Path(path).read_bytes().splitlines()


def test_split_ratio_and_every_record_once(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    # Given 200 distinct records and two blank lines
    records: list[Any] = pcs(200)
    records.insert(50, "")
    records.insert(120, "   ")
    path = make_file(records)
    code, result = _split(
        capsys, path, tmp_path / "out", "--validation-ratio", "0.1", "--seed", "7"
    )
    # Then 10 % go to validation, the rest to training, each record exactly once
    assert code == 0
    assert (result["trainRecords"], result["validationRecords"]) == (180, 20)
    assert result["droppedBlankLines"] == 2
    train, val = _lines(result["trainPath"]), _lines(result["validationPath"])
    assert (len(train), len(val)) == (180, 20)
    original = [line for line in _lines(path) if line.strip()]
    assert Counter(train + val) == Counter(original)
    # And training keeps the original order
    assert train == [line for line in original if line in set(train)]


def test_split_is_reproducible_with_a_seed(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    path = make_file(pcs(100))
    _, a = _split(capsys, path, tmp_path / "a", "--validation-ratio", "0.2", "--seed", "1")
    _, b = _split(capsys, path, tmp_path / "b", "--validation-ratio", "0.2", "--seed", "1")
    _, c = _split(capsys, path, tmp_path / "c", "--validation-ratio", "0.2", "--seed", "2")
    assert Path(a["validationPath"]).read_bytes() == Path(b["validationPath"]).read_bytes()
    assert Path(a["trainPath"]).read_bytes() == Path(b["trainPath"]).read_bytes()
    assert Path(a["validationPath"]).read_bytes() != Path(c["validationPath"]).read_bytes()
    assert len(_lines(c["validationPath"])) == 20


def test_split_respects_the_model_validation_maximum(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path, override_catalog: Any
) -> None:
    # Given Claude 3 Haiku with its validation maximum lowered from 1,000 to 10
    _, override = override_catalog([limits_override(CLAUDE_HAIKU, validation_records_max=10)])
    path = make_file([claude_record(i) for i in range(100)])
    code, result = _split(
        capsys,
        path,
        tmp_path / "o",
        "--validation-ratio",
        "0.5",
        "--model",
        CLAUDE_HAIKU,
        "--catalog",
        str(override),
    )
    # Then the validation file is capped at 10 and the note says why
    assert code == 0
    assert result["validationRecords"] == 10
    assert result["trainRecords"] == 90
    assert "10" in result["adjusted"]
    # And the pieces validate for the model
    code, out, _ = run(
        capsys, "validate", result["trainPath"], "--validation", result["validationPath"],
        "--model", CLAUDE_HAIKU, "--catalog", str(override), "--json",
    )  # fmt: skip
    assert code == 0, out


def test_split_keeps_the_training_minimum(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    # Claude needs 32 training records: half of 40 would leave 20
    path = make_file([claude_record(i) for i in range(40)])
    code, result = _split(
        capsys, path, tmp_path / "o", "--validation-ratio", "0.5", "--model", CLAUDE_HAIKU
    )
    assert code == 0
    assert result["trainRecords"] == 32
    assert result["validationRecords"] == 8
    assert result["adjusted"]


def test_split_refuses_a_model_without_validation(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    path = make_file([nova_record(i) for i in range(10)])
    code, result = _split(
        capsys,
        path,
        tmp_path / "o",
        "--validation-ratio",
        "0.2",
        "--model",
        "amazon.nova-2-lite-v1:0:256k",
    )
    assert code == 2
    assert "validation" in result["err"]


def test_split_rejects_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b'{"prompt": "a", "completion": "b"}\n'))
    code, out, err = run(
        capsys, "split", "-", "--validation-ratio", "0.5", "--out-dir", str(tmp_path / "o")
    )
    assert code == 2
    assert err.startswith("error [BT_USAGE]")
    assert "stdin" in err
    assert out == ""


@pytest.mark.parametrize("ratio", ["0", "1", "1.5", "-0.1"])
def test_split_ratio_must_be_between_0_and_1(
    ratio: str, capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    code, result = _split(capsys, make_file(pcs(10)), tmp_path / "o", "--validation-ratio", ratio)
    assert code == 2
    assert "between 0 and 1" in result["err"]


def test_split_default_out_dir_is_beside_the_input(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    path = make_file(pcs(10), name="mydata.jsonl")
    code, out, _ = run(capsys, "split", str(path), "--validation-ratio", "0.3")
    assert code == 0
    assert (path.parent / "mydata.train.jsonl").exists()
    assert len(_lines(path.parent / "mydata.validation.jsonl")) == 3
    assert "mydata.train.jsonl" in out


# --------------------------------------------------------------------------- catalog
def test_catalog_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog")
    assert code == 0
    assert "Nova Lite" in out and TITAN_LITE in out


# --------------------------------------------------------------------------- issue 7
def test_estimate_refuses_data_it_cannot_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given random bytes named like a dataset
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(bytes(range(256)) * 12)
    # When estimating, then it fails like validate (exit 1, a coded error, a fix), no "$0.00"
    code, out, err = run(capsys, "estimate", str(garbage), "--model", TITAN_EXPRESS)
    assert code == 1
    assert out == "" and "$0.00" not in err
    error, fix = err.splitlines()[-2:]
    assert error.startswith("error [BT_INVALID_DATASET]: ") and "E_JSON_INVALID" in error
    assert fix.startswith("fix: ")
    assert err.startswith("warning: ") and "LEGACY" in err  # the same lifecycle warning
    assert f"bedrock-tuner validate {garbage} --model {TITAN_EXPRESS}" in err


def test_estimate_refuses_another_models_format(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    path = make_file([claude_record(i) for i in range(40)])
    code, out, err = run(capsys, "estimate", str(path), "--model", TITAN_EXPRESS, "--json")
    assert code == 1 and out == ""
    error, fix = err.splitlines()[-2:]
    assert error.startswith("error [BT_INVALID_DATASET]: ") and "E_WRONG_FORMAT" in error
    assert fix.startswith("fix: ")


def test_estimate_shows_the_lifecycle_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    # Titan Text Express is LEGACY in the catalog: validate warns (W_MODEL_LIFECYCLE), so does estimate
    code, out, _ = run(capsys, "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000")
    assert code == 0
    assert any(line.startswith("warning: ") and "LEGACY" in line for line in out.splitlines())
    code, out, _ = run(capsys, "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000", "--json")
    assert any("LEGACY" in text for text in json.loads(out)["warnings"])


def test_one_epoch_is_singular(capsys: pytest.CaptureFixture[str], make_file: Maker) -> None:
    code, out, _ = run(
        capsys, "estimate", "--model", TITAN_EXPRESS, "--tokens", "1000",
        "--hyperparameters", "epochCount=1",
    )  # fmt: skip
    assert code == 0
    assert "× 1 epoch = " in out and "1 epochs" not in out
    path = make_file(pcs(5))
    _, out, _ = run(
        capsys, "validate", str(path), "--model", TITAN_EXPRESS, "--hyperparameters", "epochCount=1"
    )
    assert "× 1 epoch = " in out and "1 epochs" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--model", TITAN_EXPRESS, "--tokens", "1000", "--saved-prompt-tokens", "5"],
        ["estimate", "--model", TITAN_EXPRESS, "--tokens", "-1"],
        ["validate", "x.jsonl", "--model", TITAN_EXPRESS, "--workers", "0"],
        ["validate", "x.jsonl", "--model", TITAN_EXPRESS, "--workers", "many"],
        ["validate", "x.jsonl"],
        ["split", "x.jsonl", "--validation-ratio", "2"],
    ],
    ids=["break-even", "tokens", "workers-0", "workers-text", "no-model", "ratio"],
)
def test_every_usage_error_has_a_fix(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("error [BT_USAGE]: "), err
    assert lines[-1].startswith("fix: ") and len(lines[-1]) > len("fix: ") + 5, err


@pytest.mark.parametrize("command", ["validate", "estimate"])
@pytest.mark.parametrize(
    "flags",
    [
        ["--hyperparameters", "epochCount=2"],
        ["--hyperparameters", "epochCount=2,learningRate=0.00001"],
        ["--hyperparameters", "epochCount=2 learningRate=0.00001"],
        ["-p", "epochCount=2", "-p", "learningRate=0.00001"],
        ["--hyperparameter", "epochCount=2", "--hyperparameters", "learningRate=0.00001"],
    ],
    ids=["one", "comma-list", "space-list", "repeated-p", "mixed"],
)
def test_hyperparameters_never_swallow_the_dataset(
    command: str, flags: list[str], capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    # Given the hyperparameters written BEFORE the dataset path
    path = make_file(pcs(5))
    code, out, err = run(capsys, command, *flags, str(path), "--model", TITAN_EXPRESS, "--json")
    # Then the path is still the dataset, and every pair is applied
    assert code in (0, 1), err
    doc = json.loads(out)
    if command == "validate":
        assert doc["files"][0]["uri"] == str(path)
        hps = doc["model"]["hyperparameters"]
        assert hps["epochCount"] == "2"
        if len(flags) > 2 or "," in flags[1] or " " in flags[1]:
            assert hps["learningRate"] == "0.00001"
    cost = doc["cost"]
    assert cost["billedTokens"] > 0
    assert cost["epochs"] == 2


# --------------------------------------------------------------------------- JSON casing
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def snake_keys(document: Any, path: str = "$") -> list[str]:
    """Paths of every snake_case key in a JSON document (data keys such as FINE_TUNING,
    model ids and hyperparameter names are not snake_case)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if SNAKE.match(str(key)):
                found.append(f"{path}.{key}")
            found.extend(snake_keys(value, f"{path}.{key}"))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.extend(snake_keys(value, f"{path}[{index}]"))
    return found


def test_every_cli_json_is_camel_case(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    path = make_file(pcs(40))
    _, out, _ = run(capsys, "validate", str(path), "--model", TITAN_EXPRESS, "--json")
    report = json.loads(out)
    assert report["schemaVersion"] == "2.0" and report["summary"]["trainingTokens"] > 0
    assert report["model"]["customizationType"] == "FINE_TUNING"
    assert report["cost"]["billedTokens"] == report["cost"]["trainingTokens"] * 5
    _, out, _ = run(
        capsys, "estimate", str(path), "--model", TITAN_EXPRESS, "--json",
        "--saved-prompt-tokens", "500", "--requests-per-month", "100000", "--input-price-per-1k", "0.001",
    )  # fmt: skip
    estimate = json.loads(out)
    assert estimate["customizationType"] == "FINE_TUNING"
    assert estimate["cost"]["pricePer1kTokens"] is not None
    assert estimate["breakEven"]["monthlySavingsUsd"] == pytest.approx(50.0)
    _, out, _ = run(
        capsys, "split", str(path), "--validation-ratio", "0.1", "--out-dir", str(tmp_path / "o"),
        "--json",
    )  # fmt: skip
    split = json.loads(out)
    assert split["trainRecords"] == 36 and split["validationPath"].endswith(".validation.jsonl")
    _, out, _ = run(capsys, "catalog", "--json")
    catalog = json.loads(out)
    assert catalog["schemaVersion"] == 2 and catalog["readOn"]
    claude = next(m for m in catalog["models"] if m["id"] == CLAUDE_HAIKU)
    assert claude["customization"]["FINE_TUNING"]["limits"]["trainRecordsMax"] == 10000
    for document in (report, estimate, split, catalog):
        assert snake_keys(document) == []


# --------------------------------------------------------------------------- issue 7: hints
def _messages(doc: dict[str, Any], code: str) -> list[str]:
    return [e["message"] for p in doc["problems"] if p["code"] == code for e in p["examples"]]


def test_continued_pre_training_data_is_named(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    # Given {"input"} records validated for Titan's default type (FINE_TUNING)
    path = make_file([{"input": f"some text {i}"} for i in range(5)])
    code, out, _ = run(capsys, "validate", str(path), "--model", TITAN_EXPRESS, "--json")
    # Then the report says which type the data is for, and how to ask for it
    assert code == 1
    [first, *_] = _messages(json.loads(out), "E_WRONG_FORMAT")
    assert "CONTINUED_PRE_TRAINING" in first and "--type CONTINUED_PRE_TRAINING" in first


def test_distillation_prompts_are_named(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    # Given conversations with no assistant answer (distillation prompts) for Nova Micro's FT
    prompts = [
        conversation(i, messages=[message("user", f"question {i}")], system=None) for i in range(5)
    ]
    code, out, _ = run(capsys, "validate", str(make_file(prompts)), "--model", NOVA_MICRO, "--json")
    assert code == 1
    [first, *_] = _messages(json.loads(out), "E_ROLE_LAST")
    assert "DISTILLATION" in first and "--type DISTILLATION" in first
    # And a conversation that has an answer but ends on a question is not called that
    mixed = [
        conversation(
            0,
            messages=[message("user", "q"), message("assistant", "a"), message("user", "q2")],
            system=None,
        )
    ]
    _, out, _ = run(capsys, "validate", str(make_file(mixed)), "--model", NOVA_MICRO, "--json")
    assert all("DISTILLATION" not in text for text in _messages(json.loads(out), "E_ROLE_LAST"))


def test_a_misspelt_hyperparameter_gets_did_you_mean(
    capsys: pytest.CaptureFixture[str], make_file: Maker
) -> None:
    path = make_file(pcs(5))
    code, out, _ = run(
        capsys, "validate", str(path), "--model", TITAN_EXPRESS, "-p", "learningrate=0.00001"
    )
    assert code == 1
    assert "did you mean 'learningRate'?" in out


def test_binary_garbage_is_not_called_a_small_dataset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make_file: Maker
) -> None:
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(bytes(range(256)) * 12)
    _, out, _ = run(capsys, "validate", str(garbage), "--model", TITAN_EXPRESS, "--json")
    codes = [p["code"] for p in json.loads(out)["problems"]]
    assert "E_JSON_INVALID" in codes and "W_SMALL_DATASET" not in codes
    # while a small dataset of good records still gets the warning
    _, out, _ = run(capsys, "validate", str(make_file(pcs(5))), "--model", TITAN_EXPRESS, "--json")
    assert "W_SMALL_DATASET" in [p["code"] for p in json.loads(out)["problems"]]


def test_split_never_overwrites_silently(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    path = make_file(pcs(20))
    out_dir = tmp_path / "o"
    code, first = _split(capsys, path, out_dir, "--validation-ratio", "0.2")
    assert code == 0
    before = Path(first["trainPath"]).read_bytes()
    # A second split into the same place refuses, names the file and the fix, changes nothing
    code, second = _split(capsys, path, out_dir, "--validation-ratio", "0.5")
    assert code == 2
    assert second["err"].startswith("error [BT_USAGE]") and "--force" in second["err"]
    assert first["trainPath"] in second["err"]
    assert Path(first["trainPath"]).read_bytes() == before
    # --force replaces them
    code, third = _split(capsys, path, out_dir, "--validation-ratio", "0.5", "--force")
    assert code == 0 and third["validationRecords"] == 10


def test_split_checks_the_format_against_the_model(
    capsys: pytest.CaptureFixture[str], make_file: Maker, tmp_path: Path
) -> None:
    # Given Claude-format records split for Titan (prompt/completion)
    path = make_file([claude_record(i) for i in range(20)])
    out_dir = tmp_path / "o"
    code, result = _split(
        capsys, path, out_dir, "--validation-ratio", "0.2", "--model", TITAN_EXPRESS
    )
    # Then split refuses like validate (exit 1), saying what the data looks like, writes nothing
    assert code == 1
    error, fix = result["err"].splitlines()[-2:]
    assert error.startswith("error [BT_INVALID_DATASET]") and "Claude messages" in error
    assert fix.startswith("fix: ")
    assert not out_dir.exists() or not any(out_dir.iterdir())


@pytest.mark.parametrize(
    ("error", "fix_words"),
    [
        ("DatasetSourceError", "path"),
        ("TransientError", "again"),
        ("BedrockTunerError", "bedrock-tuner validate --help"),
    ],
)
def test_an_error_without_its_own_fix_still_gets_one(
    error: str, fix_words: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bedrock_tuner_cli.main as cli_main
    from bedrock_tuner import errors

    def fails(args: Any) -> int:
        raise getattr(errors, error)("cannot read s3://b/k: something odd")

    monkeypatch.setitem(cli_main.COMMANDS, "validate", fails)
    code, _, err = run(capsys, "validate", "x.jsonl", "--model", TITAN_LITE)
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("error [") and lines[-1].startswith("fix: ")
    assert fix_words in lines[-1]
