"""Metrics CSVs: columns by header, final/min losses, the overfitting rule."""

from __future__ import annotations

from bedrock_tuner.registry.metrics import (
    LossPoint,
    parse_loss_csv,
    summarize_metrics,
)

TRAINING = """step_number,epoch_number,training_loss,perplexity
1,0,2.50,12.18
2,0,2.10,8.17
3,1,1.70,5.47
4,1,1.30,3.67
5,2,0.90,2.46
6,2,0.50,1.65
"""


def points(*losses: float, steps: bool = True) -> list[LossPoint]:
    return [LossPoint(loss=v, step=(i + 1) * 2 if steps else None) for i, v in enumerate(losses)]


def test_training_csv() -> None:
    parsed = parse_loss_csv(TRAINING, kind="training")
    assert [p.loss for p in parsed] == [2.5, 2.1, 1.7, 1.3, 0.9, 0.5]
    assert parsed[0].step == 1 and parsed[-1].epoch == 2


def test_validation_columns_found_by_header_in_any_order() -> None:
    text = "Validation Perplexity, Validation Loss ,Epoch\n3.1,1.13,1\n2.9,1.06,2\n"
    parsed = parse_loss_csv(text, kind="validation")
    assert [(p.loss, p.epoch) for p in parsed] == [(1.13, 1), (1.06, 2)]


def test_bad_rows_and_bom_are_skipped() -> None:
    text = "\ufeffstep_number,validation_loss\n1,\n2,nan\n3,abc\n4,0.7\nshort\n"
    assert [p.loss for p in parse_loss_csv(text, kind="validation")] == [0.7]


def test_no_loss_column_or_empty() -> None:
    assert parse_loss_csv("a,b\n1,2\n", kind="validation") == []
    assert parse_loss_csv("", kind="training") == []


def test_summary_of_a_healthy_run() -> None:
    summary = summarize_metrics(points(2.0, 1.5, 1.0, 0.8), points(1.2, 1.0, 0.9))
    assert summary.training_loss == 0.8
    assert summary.validation_loss == 0.9
    assert summary.min_validation_loss == 0.9
    assert not summary.overfitting and summary.overfitting_reason is None


def test_rising_validation_while_training_falls_is_overfitting() -> None:
    training = points(2.0, 1.6, 1.2, 0.9, 0.6, 0.3)
    validation = points(1.00, 0.98, 0.99, 1.00)  # within 10 % of the minimum
    summary = summarize_metrics(training, validation)
    assert summary.overfitting
    assert "rose at each of its last 3" in (summary.overfitting_reason or "")


def test_final_far_above_the_minimum_is_overfitting() -> None:
    summary = summarize_metrics(points(1.0, 0.5), points(0.5, 0.9))
    assert summary.overfitting
    assert "1.1×" in (summary.overfitting_reason or "")


def test_rising_validation_with_rising_training_is_not_flagged_by_the_trend() -> None:
    summary = summarize_metrics(points(0.5, 0.6, 0.7), points(1.00, 1.01, 1.02))
    assert not summary.overfitting


def test_without_steps_the_rule_uses_positions() -> None:
    training = points(2.0, 1.5, 1.0, 0.5, steps=False)
    validation = points(1.0, 1.02, 1.05, steps=False)
    assert summarize_metrics(training, validation).overfitting


def test_one_evaluation_flags_nothing_and_no_data_is_fine() -> None:
    assert not summarize_metrics(points(1.0), points(0.8)).overfitting
    empty = summarize_metrics([], [])
    assert empty.training_loss is None and empty.validation_loss is None
    assert not empty.overfitting


def test_unsorted_steps_are_sorted() -> None:
    training = [LossPoint(loss=0.5, step=3), LossPoint(loss=1.0, step=1)]
    assert summarize_metrics(training, []).training_loss == 0.5
