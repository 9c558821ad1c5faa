"""Unit tests for the model catalog (bedrock_tuner.catalog) and `bedrock-tuner catalog`.

The expected values are copied from the public AWS pages each model lists in its `sources`,
so a drift between those facts and the bundled YAML fails here.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bedrock_tuner.catalog import (
    CATALOG_ENV_VAR,
    BaseModel,
    Catalog,
    CustomizationType,
    Lifecycle,
    RecordFormat,
    TypeSupport,
    check_hyperparameters,
    clear_catalog_cache,
    default_customization_type,
    effective_hyperparameters,
    get_model,
    lifecycle_warnings,
    list_models,
    load_catalog,
    token_limit_for,
    type_support,
)
from bedrock_tuner.errors import (
    CatalogError,
    UnknownModelError,
    UnsupportedCustomizationError,
    UsageError,
)
from bedrock_tuner_cli import catalog_cmd

FT = CustomizationType.FINE_TUNING
CPT = CustomizationType.CONTINUED_PRE_TRAINING
DIST = CustomizationType.DISTILLATION
RFT = CustomizationType.REINFORCEMENT_FINE_TUNING

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0:200k"
MB = 1_000_000
GB = 1_000_000_000

# custom-model-fine-tuning.html, reinforcement-fine-tuning.html, nova customization.html.
EXPECTED_TYPES: dict[str, set[CustomizationType]] = {
    "amazon.nova-2-lite-v1:0:256k": {FT, DIST, RFT},
    "amazon.nova-micro-v1:0:128k": {FT, DIST},
    "amazon.nova-lite-v1:0:300k": {FT, DIST},
    "amazon.nova-pro-v1:0:300k": {FT, DIST},
    "amazon.nova-premier-v1:0:1000k": {DIST},
    "amazon.nova-canvas-v1:0": {FT},
    "amazon.titan-image-generator-v2:0": {FT},
    "amazon.titan-image-generator-v1:0": {FT},
    "amazon.titan-embed-image-v1:0": {FT},
    "amazon.titan-text-express-v1:0:8k": {FT, CPT},
    "amazon.titan-text-lite-v1:0:4k": {FT, CPT},
    "amazon.titan-text-premier-v1:0:32k": {FT},
    CLAUDE: {FT, DIST},
    "meta.llama3-1-8b-instruct-v1:0:128k": {FT},
    "meta.llama3-1-70b-instruct-v1:0:128k": {FT},
    "meta.llama3-2-1b-instruct-v1:0:128k": {FT},
    "meta.llama3-2-3b-instruct-v1:0:128k": {FT},
    "meta.llama3-2-11b-instruct-v1:0:128k": {FT},
    "meta.llama3-2-90b-instruct-v1:0:128k": {FT},
    "meta.llama3-3-70b-instruct-v1:0:128k": {FT},
    "cohere.command-text-v14:7:4k": {FT},
    "cohere.command-light-text-v14:7:4k": {FT},
    "openai.gpt-oss-20b": {RFT},
    "qwen.qwen3-32b": {RFT},
}
LEGACY = {
    "amazon.titan-text-express-v1:0:8k",
    "amazon.titan-text-lite-v1:0:4k",
    "amazon.titan-text-premier-v1:0:32k",
    "cohere.command-text-v14:7:4k",
    "cohere.command-light-text-v14:7:4k",
}
PROMPT_COMPLETION_MODELS = {
    "amazon.titan-text-express-v1:0:8k",
    "amazon.titan-text-lite-v1:0:4k",
    "amazon.titan-text-premier-v1:0:32k",
    "meta.llama3-1-8b-instruct-v1:0:128k",
    "meta.llama3-1-70b-instruct-v1:0:128k",
    "cohere.command-text-v14:7:4k",
    "cohere.command-light-text-v14:7:4k",
}
NOVA_RESERVED = {"User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]"}


@pytest.fixture(autouse=True)
def _isolated_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(CATALOG_ENV_VAR, raising=False)
    clear_catalog_cache()
    yield
    clear_catalog_cache()


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


def support_of(catalog: Catalog, model_id: str, kind: CustomizationType = FT) -> TypeSupport:
    return type_support(get_model(catalog, model_id), kind)


def hp(support: TypeSupport, name: str) -> tuple[float | None, float | None, str | None]:
    spec = next(item for item in support.hyperparameters if item.name == name)
    return spec.min, spec.max, spec.default


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- contents


def test_every_model_in_the_facts_is_present_with_its_types(catalog: Catalog) -> None:
    found = {model.id: set(model.customization) for model in catalog.models}
    assert found == EXPECTED_TYPES
    assert catalog.read_on == "2026-12-07"


def test_legacy_models_are_marked_and_the_rest_are_active(catalog: Catalog) -> None:
    for model in catalog.models:
        expected = "LEGACY" if model.id in LEGACY else "ACTIVE"
        assert model.lifecycle.status == expected, model.id


def test_formats_per_customization_type(catalog: Catalog) -> None:
    expected_ft = {
        "amazon.nova-lite-v1:0:300k": RecordFormat.CONVERSATION,
        "meta.llama3-2-1b-instruct-v1:0:128k": RecordFormat.CONVERSATION,
        "meta.llama3-3-70b-instruct-v1:0:128k": RecordFormat.CONVERSATION,
        "amazon.titan-text-lite-v1:0:4k": RecordFormat.PROMPT_COMPLETION,
        "cohere.command-text-v14:7:4k": RecordFormat.PROMPT_COMPLETION,
        "meta.llama3-1-8b-instruct-v1:0:128k": RecordFormat.PROMPT_COMPLETION,
        CLAUDE: RecordFormat.CLAUDE_MESSAGES,
        "amazon.titan-image-generator-v1:0": RecordFormat.IMAGE_CAPTION,
        "amazon.titan-embed-image-v1:0": RecordFormat.IMAGE_CAPTION,
        "amazon.nova-canvas-v1:0": RecordFormat.IMAGE_CAPTION,
    }
    for model_id, record_format in expected_ft.items():
        assert support_of(catalog, model_id).formats == (record_format,), model_id
    for model in catalog.models:
        for kind, support in model.customization.items():
            if kind is CPT:
                assert support.formats == (RecordFormat.CONTINUED_PRE_TRAINING,)
            if kind is DIST:
                assert support.formats == (RecordFormat.DISTILLATION,)
            if kind is RFT:
                assert support.formats == (RecordFormat.RFT,)


def test_chars_per_token_is_six_for_prompt_completion_models_only(catalog: Catalog) -> None:
    for model in catalog.models:
        expected = 6.0 if model.id in PROMPT_COMPLETION_MODELS else 4.0
        assert model.chars_per_token == expected, model.id


def test_titan_text_token_limits_depend_on_batch_size(catalog: Catalog) -> None:
    lite = support_of(catalog, "amazon.titan-text-lite-v1:0:4k")
    assert token_limit_for(lite.limits, 1) == 4096
    assert token_limit_for(lite.limits, 2) == 4096
    assert token_limit_for(lite.limits, 3) == 2048
    assert token_limit_for(lite.limits, 6) == 2048
    assert token_limit_for(lite.limits, 32) == 2048  # beyond the documented ranges
    express = support_of(catalog, "amazon.titan-text-express-v1:0:8k")
    assert token_limit_for(express.limits, 1) == 4096
    assert token_limit_for(express.limits, 2) == 2048
    assert token_limit_for(express.limits, 4) == 2048
    premier = support_of(catalog, "amazon.titan-text-premier-v1:0:32k")
    assert token_limit_for(premier.limits, 1) == 4096
    cpt = support_of(catalog, "amazon.titan-text-lite-v1:0:4k", CPT)
    assert token_limit_for(cpt.limits, 3) == 2048
    assert cpt.accepts_validation is True
    assert express.limits.train_file_max_bytes == 1 * GB
    assert express.limits.validation_file_max_bytes == 100 * MB


def test_token_limit_for_defaults_and_edges(catalog: Catalog) -> None:
    lite = support_of(catalog, "amazon.titan-text-lite-v1:0:4k")
    # With the TypeSupport, None means the batchSize default ("1").
    assert token_limit_for(lite) == 4096
    # With bare Limits, None means the most permissive limit at batch 1.
    assert token_limit_for(lite.limits, None) == 4096
    claude = support_of(catalog, CLAUDE)
    assert token_limit_for(claude) == 32000  # default batch 32 is covered by the open range
    cohere = support_of(catalog, "cohere.command-text-v14:7:4k")
    assert token_limit_for(cohere.limits, None) is None
    with pytest.raises(UsageError):
        token_limit_for(lite.limits, 0)


def test_claude_3_haiku_facts(catalog: Catalog) -> None:
    support = support_of(catalog, CLAUDE)
    limits = support.limits
    assert (limits.train_records_min, limits.train_records_max) == (32, 10000)
    assert limits.validation_records_max == 1000
    assert token_limit_for(limits, 32) == 32000
    assert limits.train_file_max_bytes == 10 * GB
    assert limits.validation_file_max_bytes == 1 * GB
    assert hp(support, "batchSize") == (4, 256, "32")
    assert hp(support, "epochCount") == (1, 10, "2")
    assert hp(support, "learningRateMultiplier") == (0.1, 2, "1")
    assert hp(support, "earlyStoppingThreshold") == (0, 0.1, "0.001")
    assert hp(support, "earlyStoppingPatience") == (1, 10, "2")
    student = support_of(catalog, CLAUDE, DIST)
    assert student.roles == ("student",)
    assert student.limits.multi_turn is False
    assert student.limits.train_records_max == 15000


def test_nova_understanding_models(catalog: Catalog) -> None:
    blocks = {
        "amazon.nova-micro-v1:0:128k": ("text",),
        "amazon.nova-lite-v1:0:300k": ("text", "image", "video"),
        "amazon.nova-pro-v1:0:300k": ("text", "image", "video"),
        "amazon.nova-2-lite-v1:0:256k": (
            "text",
            "image",
            "video",
            "document",
            "reasoningContent",
            "toolUse",
            "toolResult",
        ),
    }
    warmup = {
        "amazon.nova-micro-v1:0:128k": "640",
        "amazon.nova-lite-v1:0:300k": "160",
        "amazon.nova-pro-v1:0:300k": "320",
    }
    for model_id, expected_blocks in blocks.items():
        support = support_of(catalog, model_id)
        limits = support.limits
        assert limits.content_blocks == expected_blocks, model_id
        assert set(limits.reserved_strings) == NOVA_RESERVED, model_id
        assert (limits.train_records_min, limits.train_records_max) == (8, 20000)
        assert token_limit_for(limits, None) == 32000
        assert limits.media.nova_file_names is True
        if model_id in warmup:
            assert support.accepts_validation is True
            assert hp(support, "epochCount") == (1, 5, "2")
            assert hp(support, "learningRate") == (1e-6, 1e-4, "0.00001")
            assert hp(support, "learningRateWarmupSteps") == (0, 100, "10")
            spec = next(s for s in support.hyperparameters if s.name == "learningRateWarmupSteps")
            assert warmup[model_id] in spec.description
    lite = support_of(catalog, "amazon.nova-lite-v1:0:300k").limits.media
    assert lite.images_per_record_max == 10
    assert lite.image_max_bytes == 10 * MB


def test_nova_2_lite_keeps_documented_minimum_and_notes_the_validator(catalog: Catalog) -> None:
    support = support_of(catalog, "amazon.nova-2-lite-v1:0:256k")
    assert support.accepts_validation is False
    assert support.limits.train_records_min == 8
    assert "200" in support.notes
    media = support.limits.media
    assert media.videos_per_record_max == 1
    assert media.video_max_bytes == 50 * MB
    assert media.video_max_seconds == 15 * 60
    assert media.document_max_bytes == 10 * MB
    model = get_model(catalog, "amazon.nova-2-lite-v1:0:256k")
    assert model.price is not None
    assert model.price.training_per_1k_tokens == pytest.approx(0.00378)


def test_distillation_roles(catalog: Catalog) -> None:
    assert support_of(catalog, "amazon.nova-premier-v1:0:1000k", DIST).roles == ("teacher",)
    assert set(support_of(catalog, "amazon.nova-pro-v1:0:300k", DIST).roles) == {
        "teacher",
        "student",
    }
    nova_student = support_of(catalog, "amazon.nova-lite-v1:0:300k", DIST)
    assert nova_student.roles == ("student",)
    assert nova_student.limits.multi_turn is True
    assert nova_student.limits.train_records_max == 15000


def test_rft_limits_and_hyperparameters(catalog: Catalog) -> None:
    for model_id in ("openai.gpt-oss-20b", "qwen.qwen3-32b", "amazon.nova-2-lite-v1:0:256k"):
        support = support_of(catalog, model_id, RFT)
        assert support.limits.train_records_max == 20000
        assert hp(support, "epochCount")[:2] == (1, 50)
        assert hp(support, "batchSize")[:2] == (16, 512)
        assert hp(support, "learningRate")[:2] == (1e-7, 1e-3)
        assert hp(support, "trainingSamplePerPrompt")[:2] == (2, 16)
        assert hp(support, "evalInterval")[:2] == (1, 100)
        effort = next(s for s in support.hyperparameters if s.name == "reasoningEffort")
        assert effort.type == "enum"
        assert effort.choices == ("low", "medium", "high")


def test_image_models(catalog: Catalog) -> None:
    for model_id in ("amazon.titan-image-generator-v1:0", "amazon.titan-image-generator-v2:0"):
        support = support_of(catalog, model_id)
        limits = support.limits
        assert support.accepts_validation is False
        assert (limits.train_records_min, limits.train_records_max) == (5, 10000)
        assert (limits.caption_min_chars, limits.caption_max_chars) == (3, 1024)
        media = limits.media
        assert set(media.image_formats) == {"png", "jpeg"}
        assert media.image_max_bytes == 50 * MB
        assert (media.image_min_px, media.image_max_px) == (512, 4096)
        assert media.image_max_pixels == 12_582_912
        assert (media.aspect_ratio_min, media.aspect_ratio_max) == (0.25, 4.0)
    embed = support_of(catalog, "amazon.titan-embed-image-v1:0")
    assert (embed.limits.train_records_min, embed.limits.train_records_max) == (1000, 500000)
    assert embed.limits.caption_max_chars == 2560
    assert embed.limits.media.image_max_bytes == 5 * MB
    assert (embed.limits.media.image_min_px, embed.limits.media.image_max_px) == (128, 4096)
    assert hp(embed, "batchSize") == (256, 9216, "576")
    assert hp(embed, "learningRate") == (5e-8, 1, "0.00005")
    epochs = next(s for s in embed.hyperparameters if s.name == "epochCount")
    assert (epochs.min, epochs.max) == (1, 100)
    assert "Auto" in epochs.choices
    canvas = support_of(catalog, "amazon.nova-canvas-v1:0")
    assert hp(canvas, "stepCount") == (10, 20000, "500")
    assert hp(canvas, "batchSize") == (8, 192, "8")
    assert hp(canvas, "learningRate") == (1e-7, 1e-4, "0.00001")


def test_llama_limits(catalog: Catalog) -> None:
    for model in catalog.models:
        if not model.id.startswith("meta."):
            continue
        limits = type_support(model, FT).limits
        assert limits.train_records_min == 100, model.id
        assert limits.total_records_max == 10000, model.id
        expected_tokens = 10000 if "90b" in model.id else 16000
        assert token_limit_for(limits, 1) == expected_tokens, model.id
        vision = "11b" in model.id or "90b" in model.id
        assert limits.content_blocks == (("text", "image") if vision else ("text",)), model.id
        assert (limits.media.image_tokens == "llama_tiles") is vision, model.id
        if vision:
            assert set(limits.media.image_formats) == {"gif", "jpeg", "png", "webp"}
            assert (limits.media.image_min_px, limits.media.image_max_px) == (10, 8192)
            assert limits.media.image_max_bytes == 10 * MB
    llama31 = support_of(catalog, "meta.llama3-1-8b-instruct-v1:0:128k")
    assert hp(llama31, "epochCount") == (1, 10, "5")
    assert hp(llama31, "batchSize") == (1, 1, "1")
    assert hp(llama31, "learningRate") == (5e-6, 0.1, "0.0001")


def test_titan_text_and_cohere_hyperparameters(catalog: Catalog) -> None:
    express = support_of(catalog, "amazon.titan-text-express-v1:0:8k")
    assert hp(express, "epochCount") == (1, 10, "5")
    assert hp(express, "batchSize") == (1, 64, "1")
    assert hp(express, "learningRate") == (0, 1, "0.00001")
    assert hp(express, "learningRateWarmupSteps") == (0, 250, "5")
    premier = support_of(catalog, "amazon.titan-text-premier-v1:0:32k")
    assert hp(premier, "epochCount") == (1, 5, "2")
    assert hp(premier, "batchSize") == (1, 1, "1")
    assert hp(premier, "learningRate") == (1e-7, 1e-5, "0.000001")
    assert hp(premier, "learningRateWarmupSteps") == (0, 20, "5")
    cohere = support_of(catalog, "cohere.command-text-v14:7:4k")
    assert (cohere.limits.input_tokens_max, cohere.limits.output_tokens_max) == (4096, 2048)
    assert cohere.limits.train_records_max == 10000
    assert cohere.limits.validation_records_max == 1000
    assert hp(cohere, "epochCount") == (1, 100, "1")
    assert hp(cohere, "learningRate") == (5e-6, 0.1, "0.00001")
    assert hp(cohere, "earlyStoppingThreshold") == (0, 0.1, "0.01")


def test_prices_are_dated_and_sourced(catalog: Catalog) -> None:
    for model in catalog.models:
        assert model.price is not None, model.id
        assert date.fromisoformat(model.price.as_of)
        assert model.price.source, model.id
        assert model.sources, model.id
    express = get_model(catalog, "amazon.titan-text-express-v1:0:8k").price
    assert express is not None
    assert express.training_per_1k_tokens == pytest.approx(0.008)
    assert express.storage_per_month == pytest.approx(1.95)
    assert express.provisioned_throughput_per_hour == pytest.approx(20.50)
    assert "Price List API" in express.source
    haiku = get_model(catalog, CLAUDE).price
    assert haiku is not None
    assert haiku.training_per_1k_tokens is None


# --------------------------------------------------------------------------- overrides


def test_override_raises_a_quota_and_keeps_the_rest(tmp_path: Path) -> None:
    override = write(
        tmp_path / "quota.yaml",
        f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
        "        limits:\n          train_records_max: 50000\n",
    )
    catalog = load_catalog([override])
    support = support_of(catalog, CLAUDE)
    assert support.limits.train_records_max == 50000
    assert support.limits.train_records_min == 32  # untouched siblings survive the merge
    assert support.limits.validation_records_max == 1000
    assert hp(support, "batchSize") == (4, 256, "32")
    assert DIST in get_model(catalog, CLAUDE).customization
    assert catalog.override_files == (str(override),)
    # the bundled catalog itself is not changed by the override
    assert support_of(load_catalog(), CLAUDE).limits.train_records_max == 10000


def test_override_adds_a_new_model_from_json(tmp_path: Path) -> None:
    new_model = {
        "id": "acme.tiny-v1:0:8k",
        "name": "Acme Tiny",
        "provider": "Acme",
        "customization": {
            "FINE_TUNING": {
                "formats": ["prompt_completion"],
                "limits": {"tokens_per_record": [{"max_tokens": 2000}]},
                "hyperparameters": [
                    {"name": "epochCount", "type": "int", "min": 1, "max": 3, "default": "1"}
                ],
            }
        },
    }
    override = write(tmp_path / "new.json", json.dumps({"models": [new_model]}))
    catalog = load_catalog([override])
    model = get_model(catalog, "acme.tiny-v1:0")
    assert model.name == "Acme Tiny"
    assert token_limit_for(type_support(model, FT)) == 2000
    assert len(catalog.models) == len(EXPECTED_TYPES) + 1


def test_override_lists_replace_and_null_removes(tmp_path: Path) -> None:
    override = write(
        tmp_path / "o.yml",
        f"""
models:
  - id: {CLAUDE}
    regions: [eu-central-1]
    customization:
      DISTILLATION: null
      FINE_TUNING:
        hyperparameters:
          - {{name: epochCount, type: int, min: 1, max: 20, default: "2"}}
""",
    )
    model = get_model(load_catalog([override]), CLAUDE)
    assert model.regions == ("eu-central-1",)
    assert set(model.customization) == {FT}
    assert [spec.name for spec in model.customization[FT].hyperparameters] == ["epochCount"]


def test_env_var_files_apply_before_explicit_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def quota(name: str, value: int) -> Path:
        return write(
            tmp_path / name,
            f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
            f"        limits: {{train_records_max: {value}}}\n",
        )

    first, second, explicit = quota("a.yaml", 11000), quota("b.yaml", 12000), quota("c.yaml", 13000)
    monkeypatch.setenv(CATALOG_ENV_VAR, f"{first}{os.pathsep}{second}")
    from_env = load_catalog()
    assert support_of(from_env, CLAUDE).limits.train_records_max == 12000
    assert from_env.override_files == (str(first), str(second))
    both = load_catalog([explicit])
    assert support_of(both, CLAUDE).limits.train_records_max == 13000


def test_load_is_cached_per_override_tuple(tmp_path: Path) -> None:
    assert load_catalog() is load_catalog()
    override = write(tmp_path / "x.yaml", "models: []\n")
    assert load_catalog([override]) is load_catalog([str(override)])
    assert load_catalog([override]) is not load_catalog()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
            "        limits: {train_records_max: lots}\n",
            "customization.FINE_TUNING.limits.train_records_max",
        ),
        (
            f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
            "        limits: {train_record_max: 5}\n",
            "customization.FINE_TUNING.limits.train_record_max",
        ),
        (
            f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
            "        hyperparameters:\n"
            "          - {name: batchSize, type: int, min: 4, max: 256, default: '999'}\n",
            "customization.FINE_TUNING.hyperparameters[0].default",
        ),
        (
            f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNNING: {{}}\n",
            "customization.FINE_TUNNING",
        ),
        (
            f"models:\n  - id: {CLAUDE}\n    lifecycle: {{status: RETIRED}}\n",
            "lifecycle.status",
        ),
    ],
)
def test_bad_override_names_file_model_and_field(tmp_path: Path, text: str, expected: str) -> None:
    override = write(tmp_path / "bad.yaml", text)
    with pytest.raises(CatalogError) as caught:
        load_catalog([override])
    message = str(caught.value)
    assert str(override) in message
    assert CLAUDE in message
    assert expected in message
    assert caught.value.fix


def test_incomplete_new_model_points_at_the_existing_id(tmp_path: Path) -> None:
    override = write(
        tmp_path / "typo.yaml",
        "models:\n  - id: anthropic.claude-3-haiku-20240307-v1:0\n"
        "    customization:\n      FINE_TUNING: {limits: {train_records_max: 5}}\n",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog([override])
    assert caught.value.fix is not None
    assert CLAUDE in caught.value.fix


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken.yaml", "models: [\n  - x"),
        ("broken.json", '{"models": ['),
        ("wrong.json", '{"model": []}'),
        ("noid.yaml", "models:\n  - name: x\n"),
        ("override.txt", "models: []"),
    ],
)
def test_unreadable_override_files(tmp_path: Path, name: str, text: str) -> None:
    override = write(tmp_path / name, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog([override])
    assert str(override) in str(caught.value)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog([tmp_path / "nope.yaml"])


# --------------------------------------------------------------------------- lookups


def test_get_model_accepts_suffixless_ids_arns_and_any_case(catalog: Catalog) -> None:
    full = "amazon.nova-lite-v1:0:300k"
    assert get_model(catalog, full).id == full
    assert get_model(catalog, "amazon.nova-lite-v1:0").id == full
    assert get_model(catalog, "AMAZON.NOVA-LITE-V1:0").id == full
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0:300k"
    assert get_model(catalog, arn).id == full
    assert get_model(catalog, f"arn:aws:bedrock:us-west-2::foundation-model/{CLAUDE[:-5]}").id == (
        CLAUDE
    )
    assert get_model(catalog, "openai.gpt-oss-20b").id == "openai.gpt-oss-20b"


def test_get_model_unknown_suggests_close_ids(catalog: Catalog) -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_model(catalog, "amazon.nova-lite-v2:0")
    assert caught.value.fix is not None
    assert "amazon.nova-lite-v1:0:300k" in caught.value.fix


def test_get_model_ambiguous_suffixless_id(tmp_path: Path) -> None:
    extra = write(
        tmp_path / "variant.yaml",
        "models:\n  - id: amazon.nova-lite-v1:0:24k\n    name: Nova Lite 24k\n"
        "    provider: Amazon\n    customization:\n      FINE_TUNING: {formats: [conversation]}\n",
    )
    catalog = load_catalog([extra])
    assert get_model(catalog, "amazon.nova-lite-v1:0:24k").name == "Nova Lite 24k"
    with pytest.raises(UnknownModelError, match="several"):
        get_model(catalog, "amazon.nova-lite-v1:0")


def test_type_support_and_default_type(catalog: Catalog) -> None:
    premier = get_model(catalog, "amazon.nova-premier-v1:0:1000k")
    with pytest.raises(UnsupportedCustomizationError) as caught:
        type_support(premier, FT)
    assert "DISTILLATION" in str(caught.value)
    assert default_customization_type(premier) is DIST
    assert default_customization_type(get_model(catalog, "qwen.qwen3-32b")) is RFT
    lite = get_model(catalog, "amazon.titan-text-lite-v1:0:4k")
    assert default_customization_type(lite) is FT
    assert type_support(lite, "continued-pre-training") is lite.customization[CPT]
    with pytest.raises(UsageError):
        type_support(lite, "PRETRAINING_PLEASE")


def test_list_models_by_type(catalog: Catalog) -> None:
    assert len(list_models(catalog, None)) == len(EXPECTED_TYPES)
    cpt_ids = {model.id for model in list_models(catalog, CPT)}
    assert cpt_ids == {"amazon.titan-text-express-v1:0:8k", "amazon.titan-text-lite-v1:0:4k"}
    rft_ids = {model.id for model in list_models(catalog, "RFT")}
    assert rft_ids == {"openai.gpt-oss-20b", "qwen.qwen3-32b", "amazon.nova-2-lite-v1:0:256k"}


# --------------------------------------------------------------------------- hyperparameters


def test_check_hyperparameters_accepts_valid_values(catalog: Catalog) -> None:
    support = support_of(catalog, CLAUDE)
    values = {"epochCount": "3", "batchSize": "256", "learningRateMultiplier": "0.1"}
    assert check_hyperparameters(support, values) == []


def test_check_hyperparameters_codes(catalog: Catalog) -> None:
    support = support_of(catalog, CLAUDE)
    problems = check_hyperparameters(
        support,
        {
            "epochcount": "2",
            "batchSize": "2.5",
            "learningRateMultiplier": "fast",
            "earlyStoppingThreshold": "nan",
            "earlyStoppingPatience": "11",
        },
    )
    codes = {problem.name: problem.code for problem in problems}
    assert codes == {
        "epochcount": "E_HP_UNKNOWN",
        "batchSize": "E_HP_TYPE",
        "learningRateMultiplier": "E_HP_TYPE",
        "earlyStoppingThreshold": "E_HP_TYPE",
        "earlyStoppingPatience": "E_HP_RANGE",
    }
    unknown = next(p for p in problems if p.code == "E_HP_UNKNOWN")
    assert "epochCount" in unknown.fix
    out_of_range = next(p for p in problems if p.code == "E_HP_RANGE")
    assert "[1, 10]" in out_of_range.message
    assert "default 2" in out_of_range.message
    assert out_of_range.value == "11"


def test_check_hyperparameters_range_and_choices(catalog: Catalog) -> None:
    claude = support_of(catalog, CLAUDE)
    low = check_hyperparameters(claude, {"batchSize": "3"})
    assert [p.code for p in low] == ["E_HP_RANGE"]
    assert "[4, 256]" in low[0].message and "32" in low[0].message
    embed = support_of(catalog, "amazon.titan-embed-image-v1:0")
    assert check_hyperparameters(embed, {"epochCount": "Auto"}) == []
    assert [p.code for p in check_hyperparameters(embed, {"epochCount": "101"})] == ["E_HP_RANGE"]
    rft = support_of(catalog, "openai.gpt-oss-20b", RFT)
    assert check_hyperparameters(rft, {"reasoningEffort": "medium"}) == []
    wrong_case = check_hyperparameters(rft, {"reasoningEffort": "HIGH"})
    assert [p.code for p in wrong_case] == ["E_HP_TYPE"]
    assert "'high'" in wrong_case[0].fix
    assert check_hyperparameters(rft, {"learningRate": "1e-7"}) == []
    assert [p.code for p in check_hyperparameters(rft, {"learningRate": "1e-2"})] == ["E_HP_RANGE"]


def test_check_hyperparameters_without_known_specs_checks_nothing(catalog: Catalog) -> None:
    titan_image = support_of(catalog, "amazon.titan-image-generator-v2:0")
    assert titan_image.hyperparameters == ()
    assert check_hyperparameters(titan_image, {"anything": "goes"}) == []


def test_effective_hyperparameters(catalog: Catalog) -> None:
    support = support_of(catalog, CLAUDE)
    merged = effective_hyperparameters(support, {"epochCount": "4", "extra": "x"})
    assert merged == {
        "epochCount": "4",
        "batchSize": "32",
        "learningRateMultiplier": "1",
        "earlyStoppingThreshold": "0.001",
        "earlyStoppingPatience": "2",
        "extra": "x",
    }
    rft = support_of(catalog, "qwen.qwen3-32b", RFT)
    assert effective_hyperparameters(rft, {}) == {}


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_warnings(catalog: Catalog, tmp_path: Path) -> None:
    legacy = get_model(catalog, "amazon.titan-text-lite-v1:0:4k")
    warnings = lifecycle_warnings(legacy, date(2026, 11, 28))
    assert len(warnings) == 1 and "LEGACY" in warnings[0]
    assert lifecycle_warnings(get_model(catalog, CLAUDE), date(2026, 11, 28)) == []

    override = write(
        tmp_path / "eol.yaml",
        f'models:\n  - id: {CLAUDE}\n    lifecycle: {{end_of_life_time: "2027-01-15"}}\n',
    )
    model = get_model(load_catalog([override]), CLAUDE)
    assert lifecycle_warnings(model, date(2026, 9, 1)) == []  # more than 90 days ahead
    soon = lifecycle_warnings(model, date(2026, 12, 1))
    assert len(soon) == 1 and "2027-01-15" in soon[0] and "45 days" in soon[0]
    past = lifecycle_warnings(model, date(2027, 2, 1))
    assert len(past) == 1 and "reached" in past[0]


def test_lifecycle_warns_before_a_model_turns_legacy() -> None:
    model = BaseModel(
        id="x.y-v1:0",
        name="Y",
        provider="X",
        customization={FT: TypeSupport(formats=(RecordFormat.CONVERSATION,))},
        lifecycle=Lifecycle(legacy_time="2027-01-01"),
    )
    assert "becomes LEGACY" in lifecycle_warnings(model, date(2026, 12, 1))[0]
    assert lifecycle_warnings(model, date(2026, 1, 1)) == []


# --------------------------------------------------------------------------- CLI


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="bedrock-tuner")
    subparsers = parser.add_subparsers(dest="command", required=True)
    catalog_cmd.add_parser(subparsers)
    args = parser.parse_args(["catalog", *argv])
    assert args.func is catalog_cmd.run
    return catalog_cmd.run(args)


def test_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli() == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "types"]
    for model_id in EXPECTED_TYPES:
        assert model_id in out
    express = next(line for line in lines if line.startswith("amazon.titan-text-express"))
    assert "LEGACY" in express and "$0.008" in express and "FT,CPT" in express
    # columns are aligned: every data row starts its "name" column at the same offset
    offset = lines[0].index("name")
    assert lines[2][offset - 2 : offset] == "  "


def test_cli_type_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--type", "CONTINUED_PRE_TRAINING") == 0
    out = capsys.readouterr().out
    assert "amazon.titan-text-lite-v1:0:4k" in out
    assert CLAUDE not in out
    assert "continued_pretraining" in out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--json", "--type", "RFT") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schemaVersion"] == 2
    assert document["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    ids = {model["id"] for model in document["models"]}
    assert ids == {"openai.gpt-oss-20b", "qwen.qwen3-32b", "amazon.nova-2-lite-v1:0:256k"}
    qwen = next(model for model in document["models"] if model["id"] == "qwen.qwen3-32b")
    rft = qwen["customization"]["REINFORCEMENT_FINE_TUNING"]
    assert rft["limits"]["trainRecordsMax"] == 20000


def test_cli_model_detail(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--model", "anthropic.claude-3-haiku-20240307-v1:0") == 0
    out = capsys.readouterr().out
    assert out.startswith(CLAUDE)
    batch = next(line for line in out.splitlines() if line.strip().startswith("batchSize"))
    assert "[4, 256]" in batch and "32" in batch
    assert "32 to 10,000" in out
    assert "as of 2026-11-28" in out
    assert "DISTILLATION (as student)" in out


def test_cli_model_json_with_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    override = write(
        tmp_path / "q.yaml",
        f"models:\n  - id: {CLAUDE}\n    customization:\n      FINE_TUNING:\n"
        "        limits: {train_records_max: 50000}\n",
    )
    assert run_cli("--model", CLAUDE, "--json", "--catalog", str(override)) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["overrideFiles"] == [str(override)]
    [model] = document["models"]
    assert model["customization"]["FINE_TUNING"]["limits"]["trainRecordsMax"] == 50000


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("--type", "BOGUS"), "BT_USAGE"),
        (("--model", "amazon.nova-lite-v9"), "BT_UNKNOWN_MODEL"),
        (("--model", "amazon.nova-premier-v1:0", "--type", "FINE_TUNING"), "BT_UNSUPPORTED_TYPE"),
    ],
)
def test_cli_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: str
) -> None:
    assert run_cli(*argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error_line, fix_line = captured.err.splitlines()
    assert error_line.startswith(f"error [{code}]: ")
    assert fix_line.startswith("fix: ")


def test_cli_bad_catalog_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    override = write(tmp_path / "bad.json", '{"models": [{"id": 5}]}')
    assert run_cli("--catalog", str(override)) == 2
    assert capsys.readouterr().err.startswith("error [BT_CATALOG]: ")
