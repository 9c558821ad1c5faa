"""Aliases: the pure parts — version comparison, the auto-promotion decision, names."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_tuner.errors import UsageError
from bedrock_tuner.registry.aliases import (
    AliasChange,
    AliasState,
    auto_promotion_decision,
    diff_versions,
    parameter_name,
)
from bedrock_tuner.registry.metrics import MetricsSummary
from bedrock_tuner.registry.versions import DatasetLineage, ModelVersion


def version(number: int, *, loss: float | None, **changes: Any) -> ModelVersion:
    values: dict[str, Any] = {
        "family": "support-bot",
        "version": number,
        "model_arn": f"arn:aws:bedrock:us-east-1:123456789012:custom-model/m{number}",
        "pipeline": "support-bot",
        "run_id": f"run-{number}",
        "job_arn": f"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/j{number}",
        "base_model": "amazon.titan-text-express-v1:0:8k",
        "customization_type": "FINE_TUNING",
        "hyperparameters": {"epochCount": "2", "learningRate": "0.00001"},
        "dataset": DatasetLineage(uri="s3://b/datasets/train.jsonl", version_id="v1", records=100),
        "metrics": MetricsSummary(training_loss=1.0, validation_loss=loss),
        "cost_usd": 3.5,
        "registered_at": "2026-11-28T05:00:00.000Z",
    }
    values.update(changes)
    return ModelVersion(**values)


def test_comparison_metrics_have_deltas_and_only_differences_are_listed() -> None:
    a = version(1, loss=0.9)
    b = version(
        2,
        loss=0.6,
        hyperparameters={"epochCount": "3", "learningRate": "0.00001", "batchSize": "8"},
        dataset=DatasetLineage(uri="s3://b/datasets/train.jsonl", version_id="v2", records=150),
        cost_usd=4.0,
    )
    result = diff_versions(a, b)
    assert (result.a, result.b, result.better) == (1, 2, 2)
    assert result.metrics["validationLoss"].a == 0.9
    assert result.metrics["validationLoss"].b == 0.6
    assert result.metrics["validationLoss"].delta == pytest.approx(-0.3)
    assert result.metrics["trainingLoss"].delta == 0
    assert result.metrics["costUsd"].delta == pytest.approx(0.5)
    assert set(result.dataset) == {"versionId", "records"}
    assert result.dataset["records"].delta == 50
    assert set(result.hyperparameters) == {"epochCount", "batchSize"}
    assert result.hyperparameters["batchSize"].a is None
    assert result.model == {}


def test_comparison_of_different_base_models_and_missing_losses() -> None:
    a = version(1, loss=None)
    b = version(2, loss=0.5, base_model="amazon.nova-lite-v1:0:300k")
    result = diff_versions(a, b)
    assert result.better is None
    assert result.metrics["validationLoss"].delta is None
    assert set(result.model) == {"baseModel"}


@pytest.mark.parametrize(
    ("new", "current", "has_target", "expected"),
    [
        (0.5, None, False, True),  # no target yet: always
        (None, None, False, True),
        (0.5, 0.6, True, True),
        (0.6, 0.6, True, False),  # not strictly better
        (0.7, 0.6, True, False),
        (None, 0.6, True, False),  # nothing to compare
        (0.5, None, True, False),
    ],
)
def test_auto_promotion_decision(
    new: float | None, current: float | None, has_target: bool, expected: bool
) -> None:
    go, reason = auto_promotion_decision(new, current, has_target=has_target)
    assert go is expected
    assert reason


def test_parameter_name_and_alias_models() -> None:
    assert parameter_name("support-bot", "production") == "/bedrock-tuner/support-bot/production"
    state = AliasState.model_validate(
        {"family": "f", "alias": "production", "version": 2, "revision": 3, "leaseId": "x"}
    )
    public = state.public()
    assert public["parameter"] == "/bedrock-tuner/f/production"
    assert "leaseId" not in public
    change = AliasChange(
        family="f",
        alias="production",
        version=2,
        model_arn="m",
        target_arn="m",
        revision=1,
        action="promote",
        by="alice",
        at="2026-11-28T05:00:00.000Z",
    )
    assert change.item()["by"] == "alice"
    assert "error" not in change.item()


def test_invalid_alias_names_are_refused() -> None:
    from bedrock_tuner.registry.aliases import _check_name

    for bad in ("", "prod/uction", "a#b", "-x", "x" * 65):
        with pytest.raises(UsageError):
            _check_name("alias", bad)
    _check_name("alias", "production")
    _check_name("family", "x" * 64)  # pipeline names go up to 64
