"""``bedrock-tuner catalog``: show the base models, their limits, hyperparameters and prices.

Usage::

    bedrock-tuner catalog [--type FINE_TUNING] [--model ID] [--json] [--catalog FILE ...]

Without ``--model`` it prints one row per model; with it, everything the catalog knows
about that model. ``--json`` prints the catalog as camelCase JSON with a ``schemaVersion``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec

from bedrock_tuner.casing import camel_builtins
from bedrock_tuner.catalog import (
    BaseModel,
    Catalog,
    CustomizationType,
    Limits,
    MediaLimits,
    Price,
    TypeSupport,
    default_customization_type,
    describe_range,
    get_model,
    lifecycle_warnings,
    list_models,
    load_catalog,
    parse_customization_type,
    token_limit_for,
    type_support,
)
from bedrock_tuner.errors import BedrockTunerError

JSON_SCHEMA_VERSION = 2
"""Bumped when the shape of ``catalog --json`` changes incompatibly (2: camelCase fields)."""

_TYPE_ABBREVIATIONS = {
    CustomizationType.FINE_TUNING: "FT",
    CustomizationType.CONTINUED_PRE_TRAINING: "CPT",
    CustomizationType.DISTILLATION: "DIST",
    CustomizationType.REINFORCEMENT_FINE_TUNING: "RFT",
}
_ROLE_ABBREVIATIONS = {("teacher",): "t", ("student",): "s", ("student", "teacher"): "t+s"}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``catalog`` sub-command (its handler is ``args.func``)."""
    parser = subparsers.add_parser(
        "catalog",
        help="list the base models Bedrock can customize, with limits and prices",
        description=(
            "Show the model catalog: customization types, record formats, dataset limits, "
            "hyperparameter ranges and dated prices."
        ),
    )
    parser.add_argument(
        "--type",
        dest="customization_type",
        metavar="TYPE",
        help="only models supporting this customization type "
        "(FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION, REINFORCEMENT_FINE_TUNING)",
    )
    parser.add_argument("--model", metavar="ID", help="show everything about one model")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--catalog",
        dest="catalog_files",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="catalog override file(s), YAML or JSON, applied after $BEDROCK_TUNER_CATALOG",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``catalog``; return 0, or 2 after printing ``error [CODE]: ...`` on stderr."""
    try:
        output = _render(args, today=date.today())
    except BedrockTunerError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        print(f"fix: {exc.fix or 'See `bedrock-tuner catalog --help`.'}", file=sys.stderr)
        return 2
    sys.stdout.write(output)
    return 0


def _render(args: argparse.Namespace, *, today: date) -> str:
    catalog = load_catalog(tuple(getattr(args, "catalog_files", None) or ()))
    raw_type = getattr(args, "customization_type", None)
    kind = parse_customization_type(raw_type) if raw_type else None
    model_id = getattr(args, "model", None)
    if model_id:
        model = get_model(catalog, model_id)
        if kind is not None:
            type_support(model, kind)  # raises when the model lacks the type
        models = [model]
    else:
        models = list_models(catalog, kind)
    if getattr(args, "json", False):
        return _render_json(catalog, models, kind, today)
    if model_id:
        return _render_model(models[0], kind, catalog, today)
    return _render_table(catalog, models, kind, today)


# --------------------------------------------------------------------------- JSON


def _render_json(
    catalog: Catalog,
    models: Sequence[BaseModel],
    kind: CustomizationType | None,
    today: date,
) -> str:
    document: dict[str, Any] = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "readOn": catalog.read_on,
        "overrideFiles": list(catalog.override_files),
        "customizationType": kind,
        "models": camel_builtins(list(models)),
        "lifecycleWarnings": {
            model.id: warnings for model in models if (warnings := lifecycle_warnings(model, today))
        },
    }
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode() + "\n"


# --------------------------------------------------------------------------- table


def _render_table(
    catalog: Catalog,
    models: Sequence[BaseModel],
    kind: CustomizationType | None,
    today: date,
) -> str:
    header = (
        "id",
        "name",
        "types",
        "formats",
        "records",
        "tokens/record",
        "validation",
        "status",
        "$/1k train tokens",
    )
    rows: list[tuple[str, ...]] = []
    for model in models:
        shown = kind or default_customization_type(model)
        support = model.customization[shown]
        rows.append(
            (
                model.id,
                model.name,
                _types_cell(model),
                ", ".join(item.value for item in support.formats),
                _records_cell(support.limits),
                _tokens_cell(support),
                "yes" if support.accepts_validation else "no",
                _status_cell(model),
                _money(model.price.training_per_1k_tokens if model.price else None, 5),
            )
        )
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, tuple("-" * width for width in widths), *rows)
    ]
    scope = kind.value if kind else "FINE_TUNING, or the model's first type"
    lines.append("")
    lines.append(f"{len(rows)} model(s); formats/records/tokens/validation are for {scope}.")
    lines.append(
        "types: FT fine-tuning, CPT continued pre-training, DIST distillation "
        "(t teacher, s student), RFT reinforcement fine-tuning."
    )
    lines.append(
        f"Facts last checked on {catalog.read_on}; prices are dated examples (see --model ID "
        "for each source and the day it was read; verify prices with the AWS Price List API)."
    )
    if catalog.override_files:
        lines.append("Overrides applied: " + ", ".join(catalog.override_files))
    legacy = [model.id for model in models if model.lifecycle.status == "LEGACY"]
    if legacy:
        lines.append(
            f"warning: {len(legacy)} LEGACY model(s), Bedrock may refuse new jobs for them: "
            + ", ".join(legacy)
        )
    for model in models:
        lines.extend(
            f"warning: {text}"
            for text in lifecycle_warnings(model, today)
            if "is LEGACY" not in text
        )
    return "\n".join(lines) + "\n"


def _types_cell(model: BaseModel) -> str:
    parts = []
    for kind, support in model.customization.items():
        label = _TYPE_ABBREVIATIONS[kind]
        if support.roles:
            label += f"({_ROLE_ABBREVIATIONS.get(tuple(sorted(support.roles)), '?')})"
        parts.append(label)
    return ",".join(parts)


def _records_cell(limits: Limits) -> str:
    high = limits.train_records_max
    suffix = ""
    if high is None and limits.total_records_max is not None:
        high, suffix = limits.total_records_max, " total"
    low = limits.train_records_min
    if low is None and high is None:
        return "-"
    if low is None:
        return f"<={high:,}{suffix}"
    if high is None:
        return f">={low:,}"
    return f"{low:,}-{high:,}{suffix}"


def _tokens_cell(support: TypeSupport) -> str:
    limits = support.limits
    entries = limits.tokens_per_record
    if not entries:
        if limits.input_tokens_max is not None or limits.output_tokens_max is not None:
            return f"in {_count(limits.input_tokens_max)}/out {_count(limits.output_tokens_max)}"
        return "-"
    if len(entries) == 1:
        return f"{entries[0].max_tokens:,}"
    return ", ".join(
        f"{entry.max_tokens:,}@b{_batch_range(entry.batch_min, entry.batch_max)}"
        for entry in entries
    )


def _status_cell(model: BaseModel) -> str:
    status: str = model.lifecycle.status
    if model.lifecycle.end_of_life_time:
        status += f", EOL {model.lifecycle.end_of_life_time[:10]}"
    return status


# --------------------------------------------------------------------------- one model


def _render_model(
    model: BaseModel, kind: CustomizationType | None, catalog: Catalog, today: date
) -> str:
    lines = [f"{model.id}  {model.name} ({model.provider})"]
    lifecycle = model.lifecycle
    status: str = lifecycle.status
    if lifecycle.legacy_time:
        status += f", legacy since {lifecycle.legacy_time}"
    if lifecycle.end_of_life_time:
        status += f", end of life {lifecycle.end_of_life_time}"
    lines.append(f"  status:          {status}")
    lines.append(f"  regions:         {', '.join(model.regions) or 'not recorded'}")
    lines.append(f"  chars per token: {model.chars_per_token:g} (planning ratio)")
    lines.extend(f"  warning: {text}" for text in lifecycle_warnings(model, today))
    kinds = [kind] if kind is not None else list(model.customization)
    for item in kinds:
        lines.append("")
        lines.extend(_support_lines(item, model.customization[item]))
    lines.append("")
    lines.extend(_price_lines(model.price))
    if model.sources:
        lines.append("")
        lines.append("sources (public pages, with the day each was read):")
        lines.extend(f"  {source.url} (read {source.read_on})" for source in model.sources)
    lines.append("")
    lines.append(f"Facts last checked on {catalog.read_on}.")
    return "\n".join(lines) + "\n"


def _support_lines(kind: CustomizationType, support: TypeSupport) -> list[str]:
    limits = support.limits
    title = kind.value
    if support.roles:
        title += f" (as {' and '.join(support.roles)})"
    lines = [title]
    lines.append(f"  formats:            {', '.join(item.value for item in support.formats)}")
    lines.append(
        f"  validation dataset: {'accepted' if support.accepts_validation else 'not accepted'}"
    )
    lines.append(
        f"  training records:   {_bounds(limits.train_records_min, limits.train_records_max)}"
    )
    if limits.validation_records_min is not None or limits.validation_records_max is not None:
        lines.append(
            "  validation records: "
            + _bounds(limits.validation_records_min, limits.validation_records_max)
        )
    if limits.total_records_max is not None:
        lines.append(f"  train + validation: <= {limits.total_records_max:,} records")
    lines.append(f"  tokens per record:  {_token_text(support)}")
    if limits.input_tokens_max is not None:
        lines.append(f"  prompt tokens:      <= {limits.input_tokens_max:,}")
    if limits.output_tokens_max is not None:
        lines.append(f"  completion tokens:  <= {limits.output_tokens_max:,}")
    if limits.train_file_max_bytes is not None:
        lines.append(f"  training file:      <= {_size(limits.train_file_max_bytes)}")
    if limits.validation_file_max_bytes is not None:
        lines.append(f"  validation file:    <= {_size(limits.validation_file_max_bytes)}")
    if limits.caption_min_chars is not None or limits.caption_max_chars is not None:
        lines.append(
            "  caption characters: " + _bounds(limits.caption_min_chars, limits.caption_max_chars)
        )
    if any(f in item.value for item in support.formats for f in ("conversation", "distillation")):
        lines.append(f"  content blocks:     {', '.join(limits.content_blocks)}")
        lines.append(
            f"  multi-turn:         {'yes' if limits.multi_turn else 'no (one user turn)'}"
        )
        lines.append(f"  system prompt:      {'yes' if limits.system_prompt else 'no'}")
    if limits.reserved_strings:
        lines.append(f"  reserved strings:   {' '.join(limits.reserved_strings)}")
    lines.extend(f"  {text}" for text in _media_lines(limits.media))
    lines.extend(_hyperparameter_lines(support))
    if support.notes:
        lines.append(f"  notes: {support.notes}")
    return lines


def _media_lines(media: MediaLimits) -> list[str]:
    lines: list[str] = []
    image: list[str] = []
    if media.image_formats:
        image.append("/".join(media.image_formats))
    if media.images_per_record_max is not None:
        image.append(f"<= {media.images_per_record_max} per record")
    if media.image_max_bytes is not None:
        image.append(f"<= {_size(media.image_max_bytes)}")
    if media.image_min_px is not None or media.image_max_px is not None:
        image.append(f"{_bounds(media.image_min_px, media.image_max_px)} px a side")
    if media.image_max_pixels is not None:
        image.append(f"<= {media.image_max_pixels:,} pixels")
    if media.aspect_ratio_min is not None or media.aspect_ratio_max is not None:
        image.append(f"aspect {_ratio(media.aspect_ratio_min)} to {_ratio(media.aspect_ratio_max)}")
    if media.image_tokens == "llama_tiles":
        image.append("tokens: 1601 per 560-px tile, up to 2x2 tiles")
    if image:
        lines.append("images:             " + "; ".join(image))
    video: list[str] = []
    if media.video_formats:
        video.append("/".join(media.video_formats))
    if media.videos_per_record_max is not None:
        video.append(f"<= {media.videos_per_record_max} per record")
    if media.video_max_bytes is not None:
        video.append(f"<= {_size(media.video_max_bytes)}")
    if media.video_max_seconds is not None:
        video.append(f"<= {media.video_max_seconds // 60} min")
    if video:
        lines.append("videos:             " + "; ".join(video))
    document: list[str] = []
    if media.document_formats:
        document.append("/".join(media.document_formats))
    if media.document_max_bytes is not None:
        document.append(f"<= {_size(media.document_max_bytes)}")
    if document:
        lines.append("documents:          " + "; ".join(document))
    if media.nova_file_names:
        lines.append("file names:         letters, digits and _ - / . only")
    return lines


def _hyperparameter_lines(support: TypeSupport) -> list[str]:
    if not support.hyperparameters:
        return ["  hyperparameters:    not recorded in the catalog (values are not checked)"]
    rows = [("name", "type", "allowed", "default")]
    rows.extend(
        (spec.name, spec.type, describe_range(spec), spec.default if spec.default else "-")
        for spec in support.hyperparameters
    )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  hyperparameters:"]
    for index, row in enumerate(rows):
        text = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        if index > 0 and support.hyperparameters[index - 1].description:
            text += f"  {support.hyperparameters[index - 1].description}"
        lines.append(f"    {text.rstrip()}")
    return lines


def _price_lines(price: Price | None) -> list[str]:
    if price is None:
        return ["price: not recorded"]
    lines = [f"price (as of {price.as_of}):"]
    items = (
        ("training", price.training_per_1k_tokens, 5, "per 1K training tokens"),
        ("storage", price.storage_per_month, 2, "per custom model per month"),
        ("provisioned throughput", price.provisioned_throughput_per_hour, 2, "per model-unit hour"),
    )
    for label, value, decimals, unit in items:
        amount = f"{_money(value, decimals)} {unit}" if value is not None else "not recorded"
        lines.append(f"  {label + ':':<24}{amount}")
    lines.append(f"  {'source:':<24}{price.source}")
    return lines


# --------------------------------------------------------------------------- formatting


def _token_text(support: TypeSupport) -> str:
    entries = support.limits.tokens_per_record
    if not entries:
        return "no single limit recorded" if support.limits.input_tokens_max else "not recorded"
    parts = [
        f"{entry.max_tokens:,} at batch size {_batch_range(entry.batch_min, entry.batch_max)}"
        if (entry.batch_min, entry.batch_max) != (1, 1_000_000)
        else f"{entry.max_tokens:,}"
        for entry in entries
    ]
    default = token_limit_for(support)
    text = "; ".join(parts)
    if len(entries) > 1 and default is not None:
        text += f" ({default:,} at the default batch size)"
    return text


def _batch_range(low: int, high: int) -> str:
    if high >= 1_000_000:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def _bounds(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "no fixed limit recorded"
    if low is None:
        return f"<= {high:,}"
    if high is None:
        return f">= {low:,}"
    return f"{low:,} to {high:,}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _money(value: float | None, decimals: int) -> str:
    if value is None:
        return "-"
    text = f"{value:.{decimals}f}".rstrip("0")
    if text.endswith("."):
        text += "00"
    elif len(text.split(".")[1]) < 2:
        text += "0"
    return f"${text}"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def _ratio(value: float | None) -> str:
    if value is None:
        return "?"
    if value < 1:
        return f"1:{1 / value:g}"
    return f"{value:g}:1"
