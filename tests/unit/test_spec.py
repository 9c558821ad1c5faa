"""The pipeline spec: structure, catalog checks, every problem at once, key routing."""

from __future__ import annotations

import pytest

from bedrock_tuner.catalog.types import CustomizationType
from bedrock_tuner.errors import SpecError
from bedrock_tuner.pipeline.spec import (
    PipelineSpec,
    check_pipeline_name,
    parse_spec,
    pipeline_name_for_key,
    spec_keys_for,
)

FULL = """
base_model: amazon.nova-lite-v1:0:300k
customization_type: FINE_TUNING
hyperparameters: {epochCount: "2", learningRate: "0.00001"}
validation:
  file: datasets/support-bot/validation.jsonl
budget:
  auto_approve_usd: 25
  max_usd: 500
notify:
  emails: [ml-team@example.com]
  slack: true
tags: {team: support, cost-center: "4711"}
custom_model_name: "{pipeline}-{date}-{run}"
model_family: support-bot
promotion: manual
"""


def problems_of(text: str, name: str = "support-bot") -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, name)
    return caught.value


def paths(error: SpecError) -> list[str]:
    return [path for path, _, _ in error.problems]


# --------------------------------------------------------------------------- valid specs


def test_the_documented_example_parses() -> None:
    spec = parse_spec(FULL, "support-bot")
    assert spec.base_model == "amazon.nova-lite-v1:0:300k"
    assert spec.customization_type is CustomizationType.FINE_TUNING
    assert spec.hyperparameters == {"epochCount": "2", "learningRate": "0.00001"}
    assert spec.validation is not None
    assert spec.validation.file_uri("bkt") == "s3://bkt/datasets/support-bot/validation.jsonl"
    assert spec.budget.max_usd == 500
    assert spec.tags == {"team": "support", "cost-center": "4711"}
    assert spec.family("support-bot") == "support-bot"


def test_minimal_spec_gets_defaults_and_the_catalog_id() -> None:
    spec = parse_spec("base_model: amazon.nova-lite-v1:0\n", "bot")
    assert spec.base_model == "amazon.nova-lite-v1:0:300k"  # suffix-less id resolved
    assert spec.customization_type is CustomizationType.FINE_TUNING
    assert spec.model_family == "bot"
    assert spec.promotion == "manual"
    assert spec.notify.slack is True
    assert spec.budget.auto_approve_usd is None  # the stack's default applies


def test_base_model_arn_and_type_alias_are_accepted() -> None:
    spec = parse_spec(
        "base_model: arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1:0:4k\n"
        "customization_type: continued-pre-training\n",
        "cpt",
    )
    assert spec.base_model == "amazon.titan-text-lite-v1:0:4k"
    assert spec.customization_type is CustomizationType.CONTINUED_PRE_TRAINING


def test_numbers_become_strings_for_hyperparameters_and_tags() -> None:
    spec = parse_spec(
        "base_model: amazon.nova-lite-v1:0:300k\n"
        "hyperparameters: {epochCount: 3, learningRate: 0.00002}\n"
        "tags: {cost-center: 4711}\n",
        "bot",
    )
    assert spec.hyperparameters == {"epochCount": "3", "learningRate": "2e-05"}
    assert spec.tags == {"cost-center": "4711"}


def test_snapshot_round_trips() -> None:
    spec = parse_spec(FULL, "support-bot")
    again = PipelineSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec


def test_split_ratio_with_seed() -> None:
    spec = parse_spec(
        "base_model: amazon.nova-lite-v1:0:300k\nvalidation: {split_ratio: 0.2, seed: 7}\n", "b"
    )
    assert spec.validation is not None
    assert spec.validation.split_ratio == 0.2
    assert spec.validation.seed == 7


def test_distillation_needs_and_takes_a_teacher() -> None:
    spec = parse_spec(
        "base_model: amazon.nova-lite-v1:0:300k\ncustomization_type: DISTILLATION\n"
        "distillation: {teacher_model: amazon.nova-premier-v1:0}\n",
        "distill",
    )
    assert spec.distillation is not None
    assert spec.distillation.teacher_model == "amazon.nova-premier-v1:0:1000k"
    error = problems_of(
        "base_model: amazon.nova-lite-v1:0:300k\ncustomization_type: DISTILLATION\n"
    )
    assert paths(error) == ["distillation"]


# --------------------------------------------------------------------------- problems


def test_every_problem_is_listed_with_its_path_and_a_fix() -> None:
    error = problems_of(
        """
base_model: amazon.nova-lite-v1:0:300k
hyperparameters: {epochCount: "9", lerningRate: "0.1"}
validation: {file: datasets/b/v.jsonl, split_ratio: 0.1}
budget: {auto_approve_usd: 50, max_usd: 10}
notfy: {slack: true}
custom_model_name: "{pipline}-x"
promotion: always
tags: {"aws:team": x}
"""
    )
    assert set(paths(error)) == {
        "hyperparameters.epochCount",
        "hyperparameters.lerningRate",
        "validation",
        "budget",
        "notfy",
        "custom_model_name",
        "promotion",
        "tags",
    }
    text = str(error)
    assert "has 8 problems" in text
    assert "did you mean 'notify'" in text
    assert "did you mean {pipeline}" in text
    assert "did you mean 'learningRate'" in text
    for _, message, fix in error.problems:
        assert message and fix


def test_unknown_base_model_is_one_problem_with_suggestions() -> None:
    error = problems_of("base_model: amazon.nova-lite\n")
    assert paths(error) == ["base_model"]
    assert error.path == "base_model"
    assert "did you mean" in (error.fix or "")


def test_unsupported_customization_type() -> None:
    error = problems_of(
        "base_model: amazon.nova-lite-v1:0:300k\ncustomization_type: CONTINUED_PRE_TRAINING\n"
    )
    assert paths(error) == ["customization_type"]
    assert "supports FINE_TUNING" in str(error)


def test_unknown_customization_type_name() -> None:
    error = problems_of("base_model: amazon.nova-lite-v1:0:300k\ncustomization_type: FINETUNE\n")
    assert paths(error) == ["customization_type"]


@pytest.mark.parametrize(
    ("text", "path", "needle"),
    [
        ("validation: {split_ratio: 1.5}", "validation.split_ratio", "below 1"),
        ("validation: {split_ratio: 0}", "validation.split_ratio", "above 0"),
        ("validation: {}", "validation", "exactly one"),
        ("validation: {file: v.jsonl, seed: 3}", "validation", "seed"),
        ("validation: {file: /abs/v.jsonl}", "validation.file", "leading slash"),
        ("validation: {file: v.csv}", "validation.file", ".jsonl"),
        ("budget: {max_usd: -1}", "budget.max_usd", "above 0"),
        ("budget: {max_usd: lots}", "budget.max_usd", "number"),
        ("notify: {emails: [not-an-email]}", "notify.emails", "example.com"),
        ("notify: {slack: maybe}", "notify.slack", "true or false"),
        ("custom_model_name: 'model-{date}'", "custom_model_name", "{run}"),
        ("custom_model_name: 'my model {run}'", "custom_model_name", "letters, digits"),
        ("custom_model_name: '{run:>5}'", "custom_model_name", "placeholder"),
        ("model_family: '-bad'", "model_family", "start with a letter"),
        ("tags: {team: 'a|b'}", "tags", "256"),
        ("tags: {'bedrock-tuner:run': x}", "tags", "reserved"),
        ("hyperparameters: {epochCount: true}", "hyperparameters", "boolean"),
        ("hyperparameters: [1, 2]", "hyperparameters", "mapping"),
        ("rft: {grader_lambda_arn: nope}", "rft", "REINFORCEMENT_FINE_TUNING"),
    ],
)
def test_single_problems(text: str, path: str, needle: str) -> None:
    error = problems_of(f"base_model: amazon.nova-lite-v1:0:300k\n{text}\n")
    assert path in paths(error), error.problems
    assert needle in str(error)


def test_validation_file_for_a_model_that_takes_none() -> None:
    error = problems_of(
        "base_model: amazon.titan-image-generator-v2:0\nvalidation: {file: datasets/x/v.jsonl}\n"
    )
    assert paths(error) == ["validation"]


def test_missing_base_model() -> None:
    error = problems_of("promotion: manual\n")
    assert paths(error) == ["base_model"]
    assert "add `base_model:`" in str(error)


def test_yaml_syntax_error_names_line_and_column() -> None:
    error = problems_of("base_model: amazon.nova-lite-v1:0:300k\nbudget: {max_usd: 5\n")
    assert "line 3" in str(error) or "line 2" in str(error)
    assert "column" in str(error)


def test_duplicate_keys_are_refused() -> None:
    error = problems_of("base_model: a\nbase_model: amazon.nova-lite-v1:0:300k\n")
    assert "duplicate key 'base_model'" in str(error)
    assert "line 2" in str(error)


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_spec(text: str) -> None:
    assert "is empty" in str(problems_of(text))


def test_spec_that_is_not_a_mapping() -> None:
    assert "must be a mapping" in str(problems_of("- base_model: x\n"))


def test_bad_pipeline_name() -> None:
    with pytest.raises(SpecError) as caught:
        check_pipeline_name("has space")
    assert caught.value.path == "pipeline"


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("datasets/support-bot/train.jsonl", "support-bot"),
        ("datasets/support-bot/2026/11/train.jsonl", "support-bot"),
        ("datasets/support-bot/train.jsonl.report.json", None),
        ("datasets/support-bot/readme.txt", None),
        ("datasets/train.jsonl", None),
        ("datasets//train.jsonl", None),
        ("work/support-bot/r1/train.jsonl", None),
        ("outputs/support-bot/r1/x.jsonl", None),
        ("pipelines/support-bot.yaml", None),
        ("datasets/support-bot/.jsonl", None),
    ],
)
def test_pipeline_name_for_key(key: str, name: str | None) -> None:
    assert pipeline_name_for_key(key) == name


def test_spec_keys() -> None:
    assert spec_keys_for("bot") == ("pipelines/bot.yaml", "pipelines/bot.yml")


def test_every_spec_example_in_the_docs_parses() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "pipeline.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    for block in blocks:
        named = re.match(r"# pipelines/([\w.-]+)\.yaml", block)
        parse_spec(block, named.group(1) if named else "support-bot")


# --------------------------------------------------------------------------- promotion


def test_auto_if_better_without_a_validation_set_is_refused_with_the_choices() -> None:
    error = problems_of("base_model: amazon.nova-lite-v1:0:300k\npromotion: auto_if_better\n")
    assert paths(error) == ["promotion"]
    _, message, fix = error.problems[0]
    assert "validation loss" in message and "no validation" in message
    assert "split_ratio" in fix and "promotion_metric: training_loss" in fix


def test_auto_if_better_on_a_model_without_validation_data_names_the_only_metric() -> None:
    error = problems_of("base_model: amazon.nova-2-lite-v1:0:256k\npromotion: auto_if_better\n")
    _, message, fix = error.problems[0]
    assert "takes no validation data" in message
    assert "promotion_metric: training_loss" in fix and "split_ratio" not in fix


def test_auto_if_better_decides_by_the_metric_the_spec_names() -> None:
    with_split = parse_spec(
        "base_model: amazon.nova-lite-v1:0:300k\npromotion: auto_if_better\n"
        "validation: {split_ratio: 0.1}\n",
        "p",
    )
    assert with_split.decisive_metric == "validation_loss"
    by_training = parse_spec(
        "base_model: amazon.nova-2-lite-v1:0:256k\npromotion: auto_if_better\n"
        "promotion_metric: training_loss\n",
        "p",
    )
    assert by_training.decisive_metric == "training_loss"


def test_promotion_metric_without_auto_promotion_is_a_mistake() -> None:
    error = problems_of("base_model: amazon.nova-lite-v1:0:300k\npromotion_metric: training_loss\n")
    assert paths(error) == ["promotion_metric"]


# --------------------------------------------------------------------------- hostile specs (D10-D12)


def test_deeply_nested_yaml_is_a_spec_error_not_a_recursion_error() -> None:
    deep = "base_model: amazon.nova-lite-v1:0:300k\ntags: " + "[" * 20000 + "]" * 20000 + "\n"
    error = problems_of(deep)
    assert "nesting deeper than" in error.message


def test_yaml_aliases_are_refused() -> None:
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nbase_model: amazon.nova-lite-v1:0:300k\n"
    assert "aliases" in problems_of(bomb).message


def test_a_spec_over_the_size_limit_is_refused_before_parsing() -> None:
    from bedrock_tuner.pipeline.spec import SPEC_MAX_BYTES

    big = "base_model: amazon.nova-lite-v1:0:300k\n" + "# padding\n" * (SPEC_MAX_BYTES // 10)
    error = problems_of(big)
    assert "over the limit" in error.message and error.fix


@pytest.mark.parametrize("value", ['"1e400"', '"nan"', '"inf"', ".inf", ".nan", '"-Infinity"'])
def test_non_finite_hyperparameters_are_spec_errors_even_without_catalog_ranges(
    value: str,
) -> None:
    # Titan Image Generator's ranges are not in the catalog: only finiteness can be checked
    error = problems_of(
        f"base_model: amazon.titan-image-generator-v2:0\nhyperparameters: {{epochCount: {value}}}\n"
    )
    assert paths(error) == ["hyperparameters.epochCount"]
    assert "finite" in error.problems[0][1]


@pytest.mark.parametrize("field", ["max_usd", "auto_approve_usd"])
def test_an_infinite_budget_is_refused(field: str) -> None:
    error = problems_of(f"base_model: amazon.nova-lite-v1:0:300k\nbudget: {{{field}: .inf}}\n")
    assert paths(error) == [f"budget.{field}"]


def test_an_unknown_or_impossible_cost_never_auto_approves() -> None:
    from bedrock_tuner.pipeline.runs import decide_budget

    for cost in (float("nan"), float("inf")):
        decision = decide_budget(
            cost, auto_approve_usd=25, max_usd=None, default_auto_approve_usd=25
        )
        assert decision.needs_approval and not decision.over_max
        assert decision.estimated_cost_usd is None
