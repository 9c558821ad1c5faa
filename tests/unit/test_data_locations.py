"""Tenancy rules that need no AWS: where a spec may read validation data from, and the
``family_writers`` list (issue 8, D6)."""

from __future__ import annotations

import pytest

from bedrock_tuner.errors import SpecError
from bedrock_tuner.pipeline.spec import check_data_locations, parse_spec

BUCKET = "data-bucket"
BASE = "base_model: amazon.titan-text-express-v1:0:8k\n"


def spec_with_file(where: str) -> str:
    return BASE + f"validation: {{file: '{where}'}}\n"


@pytest.mark.parametrize(
    "where",
    [
        "datasets/team-a/validation.jsonl",
        "datasets/team-a/eval/2026/validation.jsonl",
        f"s3://{BUCKET}/datasets/team-a/validation.jsonl",
        "datasets/shared-eval/golden.jsonl",  # the stack's allow-list
    ],
)
def test_validation_data_under_the_pipelines_prefix_or_the_allow_list_is_accepted(
    where: str,
) -> None:
    spec = parse_spec(spec_with_file(where), "team-a")
    check_data_locations(
        spec, "team-a", data_bucket=BUCKET, shared_prefixes=("datasets/shared-eval/",)
    )


@pytest.mark.parametrize(
    ("where", "needle"),
    [
        # another pipeline's private validation data (D6)
        ("datasets/team-b/private.jsonl", "datasets/team-a/"),
        (f"s3://{BUCKET}/datasets/team-b/private.jsonl", "datasets/team-a/"),
        # a prefix that merely starts like the pipeline's name
        ("datasets/team-ab/validation.jsonl", "datasets/team-a/"),
        # any other bucket
        ("s3://someone-elses-bucket/datasets/team-a/validation.jsonl", "another bucket"),
        # outside datasets/ altogether, and dot segments that name another folder
        ("work/team-b/r0123456789ab/validation.jsonl", "datasets/team-a/"),
        ("datasets/team-a/../team-b/private.jsonl", "'.' or '..'"),
    ],
)
def test_validation_data_anywhere_else_is_a_spec_error_naming_the_fix(
    where: str, needle: str
) -> None:
    spec = parse_spec(spec_with_file(where), "team-a")
    with pytest.raises(SpecError) as caught:
        check_data_locations(spec, "team-a", data_bucket=BUCKET, shared_prefixes=())
    error = caught.value
    assert error.path == "validation.file"
    assert needle in error.message + (error.fix or ""), error
    assert error.fix and "datasets/team-a/" in error.fix


def test_the_allow_list_does_not_open_its_neighbours() -> None:
    spec = parse_spec(spec_with_file("datasets/shared-evaluation/x.jsonl"), "team-a")
    with pytest.raises(SpecError, match="shared-eval"):
        check_data_locations(
            spec, "team-a", data_bucket=BUCKET, shared_prefixes=("datasets/shared-eval",)
        )


def test_a_split_needs_no_location_check() -> None:
    spec = parse_spec(BASE + "validation: {split_ratio: 0.1}\n", "team-a")
    check_data_locations(spec, "team-a", data_bucket=BUCKET, shared_prefixes=())


def test_family_writers_are_pipeline_names() -> None:
    spec = parse_spec(BASE + "family_writers: [team-b, team-c, team-b]\n", "team-a")
    assert spec.family_writers == ("team-b", "team-c")
    with pytest.raises(SpecError) as caught:
        parse_spec(BASE + "family_writers: ['-bad']\n", "team-a")
    assert caught.value.path.startswith("family_writers")
