"""Run identity, the run record and the budget decision."""

from __future__ import annotations

import hashlib

import pytest

from bedrock_tuner.pipeline.runs import (
    EXECUTION_NAME_MAX,
    DatasetRef,
    Run,
    RunStatus,
    decide_budget,
    execution_name_for,
    run_id_for,
    run_id_from_execution_name,
)


def test_run_id_is_the_documented_hash() -> None:
    expected = "r" + hashlib.sha256(b"bkt/datasets/a/t.jsonl#v1").hexdigest()[:12]
    assert run_id_for("bkt", "datasets/a/t.jsonl", "v1") == expected


def test_run_id_ignores_etag_quotes_and_differs_per_version() -> None:
    key = "datasets/a/t.jsonl"
    assert run_id_for("b", key, '"abc"') == run_id_for("b", key, "abc")
    assert run_id_for("b", key, "v1") != run_id_for("b", key, "v2")
    assert len(run_id_for("b", key, "v1")) == 13


def test_execution_name_fits_and_ends_with_the_run_id() -> None:
    run_id = run_id_for("b", "k", "v")
    assert execution_name_for("support-bot", run_id) == f"support-bot-{run_id}"
    long_name = execution_name_for("x" * 200, run_id)
    assert len(long_name) == EXECUTION_NAME_MAX
    assert long_name.endswith(run_id)
    assert run_id_from_execution_name(long_name) == run_id
    assert run_id_from_execution_name("no-run-id-here") is None


def test_steps_timeline_appends() -> None:
    run = Run(
        run_id="r000000000001",
        pipeline="p",
        dataset=DatasetRef(bucket="b", key="datasets/p/t.jsonl"),
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
    )
    later = run.with_step("validate", "ok", at="2026-01-01T00:01:00.000Z", detail="fine")
    assert run.steps == []
    assert [(s.name, s.status, s.detail) for s in later.steps] == [("validate", "ok", "fine")]
    assert later.updated_at == "2026-01-01T00:01:00.000Z"
    assert later.execution_name == "p-r000000000001"
    assert not later.terminal
    assert later.model_copy(update={"status": RunStatus.SUCCEEDED}).terminal


@pytest.mark.parametrize(
    ("cost", "auto", "maximum", "needs", "over"),
    [
        (10.0, None, None, False, False),  # the stack default (25) applies
        (30.0, None, None, True, False),
        (30.0, 50.0, None, False, False),
        (30.0, 10.0, 100.0, True, False),
        (300.0, 10.0, 100.0, False, True),
        (25.0, None, 25.0, False, False),  # equal is within
        (None, None, None, True, False),  # unknown price: a person decides
        (None, 10.0, 100.0, True, False),
    ],
)
def test_budget_decision(
    cost: float | None, auto: float | None, maximum: float | None, needs: bool, over: bool
) -> None:
    decision = decide_budget(
        cost, auto_approve_usd=auto, max_usd=maximum, default_auto_approve_usd=25.0
    )
    assert (decision.needs_approval, decision.over_max) == (needs, over)
    assert decision.reason


def test_unknown_price_says_why() -> None:
    decision = decide_budget(None, auto_approve_usd=None, max_usd=None, default_auto_approve_usd=5)
    assert "no training price" in decision.reason
