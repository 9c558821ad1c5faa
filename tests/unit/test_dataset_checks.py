"""Dataset-level checks: record counts, validation files, file sizes, hyperparameters,
warnings about the data as a whole, and how problems are counted and exemplified."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.datasets.report import render_text
from factories import (
    CLAUDE_HAIKU,
    COHERE,
    FORMATS,
    LLAMA_32_1B,
    NOVA_2_LITE,
    NOVA_LITE,
    NOVA_MICRO,
    TITAN_EXPRESS,
    TITAN_IMAGE,
    TITAN_LITE,
    claude_record,
    codes,
    conversation,
    error_codes,
    examples_of,
    image_caption,
    limits_override,
    lines_of,
    message,
    nova_record,
    prompt_completion,
    validate,
    warning_codes,
)

Maker = Callable[..., Path]
Override = Callable[[list[dict[str, Any]]], Any]


def pcs(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [prompt_completion(i) for i in range(start, start + n)]


# --------------------------------------------------------------------------- record counts
def test_claude_needs_32_training_records(make_file: Maker) -> None:
    # Given 31 Claude 3 Haiku records (the documented minimum is 32)
    report = validate(make_file([claude_record(i) for i in range(31)]), CLAUDE_HAIKU)
    # Then the only error is the record count, with the minimum in the message
    assert error_codes(report) == {"E_RECORDS_TOO_FEW": 1}
    [example] = examples_of(report, "E_RECORDS_TOO_FEW")
    assert "31" in example.message and "32" in example.message
    assert example.line is None


def test_too_many_records_with_a_lowered_maximum(
    make_file: Maker, override_catalog: Override
) -> None:
    # Given an override that lowers Nova Micro's training maximum to 10 records
    catalog, path = override_catalog([limits_override(NOVA_MICRO, train_records_max=10)])
    assert str(path) in catalog.override_files
    # When 11 records are validated with it
    report = validate(make_file([nova_record(i) for i in range(11)]), NOVA_MICRO, catalog=catalog)
    # Then the dataset is over the maximum
    assert error_codes(report) == {"E_RECORDS_TOO_MANY": 1}
    assert "10" in examples_of(report, "E_RECORDS_TOO_MANY")[0].message
    # And 10 records are fine with the same override, while the bundled catalog allows 11
    assert validate(
        make_file([nova_record(i) for i in range(10)]), NOVA_MICRO, catalog=catalog
    ).summary.valid
    assert validate(make_file([nova_record(i) for i in range(11)]), NOVA_MICRO).summary.valid


def test_override_keeps_the_other_limits_of_the_model(
    make_file: Maker, override_catalog: Override
) -> None:
    # Given an override that only changes Nova Micro's maximum
    catalog, _ = override_catalog([limits_override(NOVA_MICRO, train_records_max=10)])
    # Then the minimum of 8 (from the bundled catalog) still applies
    report = validate(make_file([nova_record(i) for i in range(7)]), NOVA_MICRO, catalog=catalog)
    assert error_codes(report) == {"E_RECORDS_TOO_FEW": 1}


def test_validation_records_too_many_for_cohere(make_file: Maker) -> None:
    # Given a Cohere validation file of 1,001 records (the maximum is 1,000)
    train = make_file(pcs(20))
    val = make_file(pcs(1001, start=100), name="val.jsonl")
    report = validate(train, COHERE, validation=str(val))
    # Then the validation count is reported, in the validation file
    assert error_codes(report) == {"E_VALIDATION_RECORDS_TOO_MANY": 1}
    [example] = examples_of(report, "E_VALIDATION_RECORDS_TOO_MANY")
    assert example.file == "validation"
    assert report.summary.validation_records == 1001
    # And 1,000 validation records are accepted
    ok = make_file(pcs(1000, start=100), name="val-ok.jsonl")
    assert validate(train, COHERE, validation=str(ok)).summary.valid


def test_validation_records_limits_from_an_override(
    make_file: Maker, override_catalog: Override
) -> None:
    # Given Claude 3 Haiku with validation limits lowered/raised to 5..6 by an override
    catalog, _ = override_catalog(
        [limits_override(CLAUDE_HAIKU, validation_records_min=5, validation_records_max=6)]
    )
    train = make_file([claude_record(i) for i in range(32)])
    few = make_file([claude_record(i) for i in range(100, 104)], name="few.jsonl")
    many = make_file([claude_record(i) for i in range(100, 107)], name="many.jsonl")
    ok = make_file([claude_record(i) for i in range(100, 105)], name="ok.jsonl")
    # Then 4 are too few, 7 too many and 5 fine
    assert error_codes(validate(train, CLAUDE_HAIKU, validation=str(few), catalog=catalog)) == {
        "E_VALIDATION_RECORDS_TOO_FEW": 1
    }
    assert error_codes(validate(train, CLAUDE_HAIKU, validation=str(many), catalog=catalog)) == {
        "E_VALIDATION_RECORDS_TOO_MANY": 1
    }
    assert validate(train, CLAUDE_HAIKU, validation=str(ok), catalog=catalog).summary.valid


def test_llama_total_of_training_and_validation(make_file: Maker) -> None:
    # Given Llama 3.2 data: 9,990 training + 11 validation records (total maximum 10,000)
    train = make_file([conversation(i) for i in range(9990)])
    val = make_file([conversation(i) for i in range(20000, 20011)], name="val.jsonl")
    report = validate(train, LLAMA_32_1B, validation=str(val))
    # Then the total is reported once, neither file alone being over a limit
    assert error_codes(report) == {"E_TOTAL_RECORDS_TOO_MANY": 1}
    assert "10,001" in examples_of(report, "E_TOTAL_RECORDS_TOO_MANY")[0].message
    # And 10 validation records (total 10,000) pass
    val_ok = make_file([conversation(i) for i in range(20000, 20010)], name="val-ok.jsonl")
    assert validate(train, LLAMA_32_1B, validation=str(val_ok)).summary.valid


@pytest.mark.parametrize(
    ("model", "records"),
    [
        (NOVA_2_LITE, [nova_record(i) for i in range(8)]),
        (TITAN_IMAGE, [image_caption(i) for i in range(5)]),
    ],
    ids=["nova2-lite", "titan-image"],
)
def test_validation_file_not_accepted(
    model: str, records: list[dict[str, Any]], make_file: Maker
) -> None:
    # Given a valid training file and a validation file for a model that takes none
    train = make_file(records)
    val = make_file(records[:2], name="val.jsonl")
    report = validate(train, model, validation=str(val))
    # Then the validation file is refused (and not counted)
    assert error_codes(report) == {"E_VALIDATION_NOT_ACCEPTED": 1}
    assert report.summary.validation_records is None
    assert [f.role for f in report.files] == ["training"]


def test_file_too_large_with_lowered_byte_limits(
    make_file: Maker, override_catalog: Override
) -> None:
    # Given Titan Text Lite with byte limits lowered to 2,000 (training) and 500 (validation)
    catalog, _ = override_catalog(
        [limits_override(TITAN_LITE, train_file_max_bytes=2000, validation_file_max_bytes=500)]
    )
    train = make_file(pcs(40))
    val = make_file(pcs(10, start=100), name="val.jsonl")
    assert train.stat().st_size > 2000 and val.stat().st_size > 500
    report = validate(train, TITAN_LITE, validation=str(val), catalog=catalog)
    # Then both files are too large, each reported with its size
    assert error_codes(report) == {"E_FILE_TOO_LARGE": 2}
    by_file = {e.file: e.message for e in examples_of(report, "E_FILE_TOO_LARGE")}
    assert set(by_file) == {"training", "validation"}
    assert f"{train.stat().st_size:,}" in by_file["training"]
    # And a file at the limit is fine
    small = make_file(pcs(3))
    assert small.stat().st_size <= 2000
    assert "E_FILE_TOO_LARGE" not in codes(validate(small, TITAN_LITE, catalog=catalog))


# --------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize(
    ("hp", "code"),
    [
        ({"epochs": "2"}, "E_HP_UNKNOWN"),
        ({"EpochCount": "2"}, "E_HP_UNKNOWN"),
        ({"epochCount": "two"}, "E_HP_TYPE"),
        ({"epochCount": "2.5"}, "E_HP_TYPE"),
        ({"learningRate": "fast"}, "E_HP_TYPE"),
        ({"epochCount": "6"}, "E_HP_RANGE"),
        ({"epochCount": "0"}, "E_HP_RANGE"),
        ({"learningRate": "0.01"}, "E_HP_RANGE"),
        ({"learningRateWarmupSteps": "101"}, "E_HP_RANGE"),
    ],
)
def test_bad_hyperparameters(hp: dict[str, str], code: str, make_file: Maker) -> None:
    # Given a valid Nova Lite dataset and one bad hyperparameter
    report = validate(make_file([nova_record(i) for i in range(8)]), NOVA_LITE, hyperparameters=hp)
    # Then exactly that hyperparameter is reported, with its name
    assert error_codes(report) == {code: 1}
    [example] = examples_of(report, code)
    assert example.file == "hyperparameters"
    assert example.path == f"hyperParameters.{next(iter(hp))}"


def test_good_hyperparameters_become_effective(make_file: Maker) -> None:
    report = validate(
        make_file([nova_record(i) for i in range(8)]),
        NOVA_LITE,
        hyperparameters={"epochCount": "5", "learningRate": "0.0001"},
    )
    assert report.summary.valid
    assert report.model.hyperparameters["epochCount"] == "5"
    assert report.model.hyperparameters["learningRateWarmupSteps"] == "10"  # catalog default
    assert report.cost is not None and report.cost.epochs == 5


def test_all_hyperparameter_problems_in_one_pass(make_file: Maker) -> None:
    report = validate(
        make_file([nova_record(i) for i in range(8)]),
        NOVA_LITE,
        hyperparameters={"epochz": "1", "epochCount": "x", "learningRate": "1"},
    )
    assert error_codes(report) == {"E_HP_UNKNOWN": 1, "E_HP_TYPE": 1, "E_HP_RANGE": 1}


# --------------------------------------------------------------------------- warnings
def test_duplicates_and_conflicting_answers(make_file: Maker) -> None:
    # Given line 4 repeating line 1 and line 5 re-asking line 2 with another answer
    records = pcs(3)
    records.append(prompt_completion(0))
    records.append({"prompt": prompt_completion(1)["prompt"], "completion": "Something else."})
    report = validate(make_file(records), TITAN_LITE)
    # Then both are warnings (the dataset stays valid) pointing at the earlier line
    assert report.summary.valid
    assert warning_codes(report)["W_DUPLICATE"] == 1
    assert warning_codes(report)["W_CONFLICTING_ANSWER"] == 1
    [dup] = examples_of(report, "W_DUPLICATE")
    [conflict] = examples_of(report, "W_CONFLICTING_ANSWER")
    assert dup.line == 4 and "line 1" in dup.message
    assert conflict.line == 5 and "line 2" in conflict.message


def test_conversation_duplicates_compare_whole_records(make_file: Maker) -> None:
    # Same question, different system prompt: not a duplicate; same everything: duplicate
    records = [nova_record(i) for i in range(8)]
    records.append(conversation(0, system="Another system prompt."))
    records.append(nova_record(3))
    report = validate(make_file(records), NOVA_LITE)
    assert lines_of(report, "W_DUPLICATE") == [10]
    assert "W_CONFLICTING_ANSWER" not in codes(report)


def test_long_outlier(make_file: Maker) -> None:
    # Given short records and one about 100 times longer (but under the token limit)
    records = pcs(30)
    records[17] = {"prompt": "Summarise:" + " apple" * 2000, "completion": "Apples."}
    report = validate(make_file(records), TITAN_LITE)
    # Then that record is flagged as an outlier, and nothing else
    assert report.summary.valid
    assert lines_of(report, "W_LONG_OUTLIER") == [18]


def test_no_outlier_in_uniform_data(make_file: Maker) -> None:
    report = validate(make_file(pcs(30)), TITAN_LITE)
    assert "W_LONG_OUTLIER" not in codes(report)


def test_small_dataset_warning(make_file: Maker) -> None:
    small = validate(make_file(pcs(10)), TITAN_LITE)
    assert small.summary.valid
    assert warning_codes(small).get("W_SMALL_DATASET") == 1
    assert "W_SMALL_DATASET" not in codes(validate(make_file(pcs(150)), TITAN_LITE))


def test_small_dataset_not_doubled_with_too_few(make_file: Maker) -> None:
    report = validate(make_file([claude_record(i) for i in range(5)]), CLAUDE_HAIKU)
    assert "E_RECORDS_TOO_FEW" in codes(report)
    assert "W_SMALL_DATASET" not in codes(report)


def test_legacy_model_warns(make_file: Maker) -> None:
    # Given a valid dataset for Titan Text Express (LEGACY in the catalog)
    report = validate(make_file(pcs(150)), TITAN_EXPRESS)
    # Then the model's lifecycle is a warning, not an error
    assert report.summary.valid
    assert warning_codes(report) == {"W_MODEL_LIFECYCLE": 1}
    assert "LEGACY" in examples_of(report, "W_MODEL_LIFECYCLE")[0].message
    # And an ACTIVE model gets no such warning
    assert "W_MODEL_LIFECYCLE" not in codes(
        validate(make_file([nova_record(i) for i in range(8)]), NOVA_LITE)
    )


def test_end_of_life_near_warns(make_file: Maker, override_catalog: Override) -> None:
    # Given an ACTIVE model whose end of life is 30 days after "today"
    catalog, _ = override_catalog(
        [{"id": NOVA_LITE, "lifecycle": {"end_of_life_time": "2030-01-31"}}]
    )
    data = make_file([nova_record(i) for i in range(8)])
    near = validate(data, NOVA_LITE, catalog=catalog, today=dt.date(2030, 1, 1))
    far = validate(data, NOVA_LITE, catalog=catalog, today=dt.date(2029, 1, 1))
    # Then only the near date warns
    assert "2030-01-31" in examples_of(near, "W_MODEL_LIFECYCLE")[0].message
    assert "W_MODEL_LIFECYCLE" not in codes(far)


# --------------------------------------------------------------------------- counting
def test_counts_and_first_examples(make_file: Maker) -> None:
    # Given 12 records with an empty completion spread over 40 lines
    records = pcs(40)
    bad_lines = [2, 5, 6, 9, 12, 15, 20, 22, 30, 33, 38, 40]
    for line in bad_lines:
        records[line - 1] = {"prompt": f"q{line}", "completion": ""}
    path = make_file(records)
    # When at most 3 examples are kept
    report = validate(path, TITAN_LITE, max_examples=3)
    # Then all 12 are counted, the first 3 are shown, and the text says how many more
    assert error_codes(report) == {"E_EMPTY_TEXT": 12}
    assert lines_of(report, "E_EMPTY_TEXT") == bad_lines[:3]
    assert report.summary.errors == 12
    assert report.summary.invalid_records == 12
    assert "and 9 more" in render_text(report)
    # And with max_examples=0 the counts stay while no example is kept
    none = validate(path, TITAN_LITE, max_examples=0)
    assert error_codes(none) == {"E_EMPTY_TEXT": 12}
    assert lines_of(none, "E_EMPTY_TEXT") == []


def test_every_problem_is_found_in_one_pass(make_file: Maker) -> None:
    # Given one file with many different problems and an unknown hyperparameter
    records: list[Any] = [nova_record(i) for i in range(12)]
    records[0] = conversation(
        0, messages=[message("assistant", "Hi"), message("user", "?"), message("assistant", "!")]
    )
    records[2] = "not json"
    records[3] = ""
    records[4] = conversation(4, messages=[message("user", "User: hi"), message("assistant", "ok")])
    records[6] = prompt_completion(6)
    records[8] = conversation(8, messages=[message("user", "q"), message("assistant", " ")])
    records[10] = [1, 2, 3]
    records[11] = nova_record(1)
    report = validate(make_file(records), NOVA_LITE, hyperparameters={"epochs": "3"})
    # Then every problem is reported on its line
    expected = {
        "E_ROLE_FIRST": [1],
        "E_JSON_INVALID": [3],
        "E_BLANK_LINE": [4],
        "E_RESERVED_STRING": [5],
        "E_WRONG_FORMAT": [7],
        "E_EMPTY_TEXT": [9],
        "E_NOT_OBJECT": [11],
        "W_DUPLICATE": [12],
        "E_HP_UNKNOWN": [None],
    }
    assert {code: lines_of(report, code) for code in expected} == expected
    assert report.summary.records == 11
    assert report.files[0].blank_lines == 1
    assert report.summary.invalid_records == 6
    # Errors come before warnings in the report
    severities = [p.severity for p in report.problems]
    assert severities == sorted(severities, key=lambda s: s != "error")


def test_report_numbers_are_consistent(make_file: Maker) -> None:
    records: list[Any] = [nova_record(i) for i in range(10)]
    records[4] = "{broken"
    report = validate(make_file(records), NOVA_LITE)
    assert report.summary.errors == sum(p.count for p in report.problems if p.severity == "error")
    assert report.summary.warnings == sum(
        p.count for p in report.problems if p.severity == "warning"
    )
    assert report.files[0].records == report.summary.records == 10
    assert report.files[0].tokens.total == report.summary.training_tokens
    assert not report.summary.valid
    assert "INVALID" in render_text(report)


def test_titan_image_dataset_minimum(make_file: Maker) -> None:
    report = validate(make_file([image_caption(i) for i in range(4)]), TITAN_IMAGE)
    assert error_codes(report) == {"E_RECORDS_TOO_FEW": 1}
    assert FORMATS["titan_image"].min_records == 5


def test_empty_validation_file_is_reported(make_file: Maker) -> None:
    # Given a valid training file and an empty validation file
    train = make_file(pcs(20))
    val = make_file([], name="val.jsonl")
    report = validate(train, TITAN_LITE, validation=str(val))
    # Then the empty validation file is an error, like an empty training file
    assert not report.summary.valid
    assert "E_FILE_EMPTY" in error_codes(report)


@pytest.mark.parametrize("batch", ["0", "-3"])
def test_batch_size_below_range_is_an_hp_range_problem(batch: str, make_file: Maker) -> None:
    report = validate(make_file(pcs(5)), TITAN_LITE, hyperparameters={"batchSize": batch})
    assert error_codes(report) == {"E_HP_RANGE": 1}


def test_batch_size_above_range_is_an_hp_range_problem(make_file: Maker) -> None:
    report = validate(make_file(pcs(5)), TITAN_LITE, hyperparameters={"batchSize": "65"})
    assert error_codes(report) == {"E_HP_RANGE": 1}


def test_errors_in_the_validation_file_name_that_file(make_file: Maker) -> None:
    # Given a valid training file and a validation file with a broken record on line 2
    train = make_file(pcs(20))
    val_records: list[Any] = pcs(3, start=100)
    val_records[1] = {"prompt": "", "completion": "x"}
    val = make_file(val_records, name="val.jsonl")
    report = validate(train, TITAN_LITE, validation=str(val))
    # Then the error is reported in the validation file, on its own line numbering
    assert error_codes(report) == {"E_EMPTY_TEXT": 1}
    [example] = examples_of(report, "E_EMPTY_TEXT")
    assert (example.file, example.line) == ("validation", 2)
    assert report.files[1].invalid_records == 1
    assert report.summary.invalid_records == 0  # training records only
    assert report.summary.validation_records == 3


def test_training_examples_come_before_validation_examples(make_file: Maker) -> None:
    train_records: list[Any] = pcs(20)
    train_records[15] = {"prompt": "", "completion": "x"}
    val_records: list[Any] = pcs(5, start=100)
    val_records[0] = {"prompt": "", "completion": "y"}
    report = validate(
        make_file(train_records), TITAN_LITE, validation=str(make_file(val_records, name="v.jsonl"))
    )
    assert [(e.file, e.line) for e in examples_of(report, "E_EMPTY_TEXT")] == [
        ("training", 16),
        ("validation", 1),
    ]
