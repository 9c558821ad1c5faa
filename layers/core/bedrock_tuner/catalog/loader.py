"""Read the model catalog: the bundled ``data/models.yaml``, then the user's override files.

An override file (YAML or JSON, chosen by its extension) holds ``{"models": [...]}``. Each
entry names a model by its exact ``id``:

- a known id is deep-merged into the bundled entry: mappings merge key by key, lists and
  scalars replace what was there, and ``null`` removes a key (the field falls back to its
  default; under ``customization`` it removes that customization type);
- an unknown id adds a new model, which must then be complete.

Files named in ``BEDROCK_TUNER_CATALOG`` (``os.pathsep``-separated) are applied first, then
the ones passed to :func:`load_catalog`, so the most explicit file wins. Every problem is a
:class:`~bedrock_tuner.errors.CatalogError` naming the file, the model id and the field path.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import yaml

from bedrock_tuner.catalog.types import (
    BaseModel,
    Catalog,
    CustomizationType,
    Hyperparameter,
    Limits,
    RecordFormat,
    TypeSupport,
)
from bedrock_tuner.errors import CatalogError

CATALOG_ENV_VAR = "BEDROCK_TUNER_CATALOG"
"""Environment variable naming extra override files, separated by ``os.pathsep``."""

_BUNDLED_NAME = "models.yaml"
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_CONTEXT_SUFFIX = re.compile(r":\d+k$")
_MSGSPEC_PATH = re.compile(r"^(?P<message>.*?) - at `(?P<path>[^`]*)`$", re.DOTALL)
_MISSING_FIELD = re.compile(r"missing required field `(?P<field>[^`]+)`")
_INTEGER = re.compile(r"[+-]?\d+")

__all__ = [
    "CATALOG_ENV_VAR",
    "bundled_catalog_path",
    "check_value",
    "clear_catalog_cache",
    "load_catalog",
]


# --------------------------------------------------------------------------- public


def load_catalog(overrides: Sequence[str | Path] = ()) -> Catalog:
    """Return the catalog: bundled facts with the override files applied in order.

    Parameters
    ----------
    overrides
        Override files (``.yaml``, ``.yml`` or ``.json``), applied after the ones named in
        the ``BEDROCK_TUNER_CATALOG`` environment variable.

    The result is cached per (override paths, environment value); call
    :func:`clear_catalog_cache` after editing an override file in the same process.

    Raises
    ------
    CatalogError
        A file cannot be read or parsed, or an entry does not fit the catalog's types.
    """
    env_value = os.environ.get(CATALOG_ENV_VAR, "")
    return _load_cached(tuple(str(path) for path in overrides), env_value)


def clear_catalog_cache() -> None:
    """Forget every loaded catalog (the next :func:`load_catalog` reads the files again)."""
    _load_cached.cache_clear()
    _bundled_document.cache_clear()


def bundled_catalog_path() -> str:
    """Where the bundled ``models.yaml`` lives (for messages and docs)."""
    return str(resources.files("bedrock_tuner.catalog").joinpath("data", _BUNDLED_NAME))


def check_value(spec: Hyperparameter, value: str) -> tuple[str, str, str] | None:
    """Check one hyperparameter value (a string) against its spec.

    Returns ``None`` when the value is acceptable, else ``(code, message, fix)`` with code
    ``E_HP_TYPE`` (not a number of the right kind, nor one of the choices) or
    ``E_HP_RANGE`` (a number outside ``[min, max]``).
    """
    text = value.strip()
    if text in spec.choices:
        return None
    allowed_words = ", ".join(repr(choice) for choice in spec.choices)
    if spec.type == "enum":
        fix = f"use one of {allowed_words}"
        for choice in spec.choices:
            if choice.lower() == text.lower():
                fix = f"write {choice!r} (the values are case-sensitive)"
        return (
            "E_HP_TYPE",
            f"{spec.name}={value!r} is not one of {allowed_words or 'the allowed values'}",
            fix,
        )
    number: float
    if spec.type == "int":
        if not _INTEGER.fullmatch(text):
            example = spec.default if spec.default and _INTEGER.fullmatch(spec.default) else "1"
            extra = f" or one of {allowed_words}" if spec.choices else ""
            return (
                "E_HP_TYPE",
                f"{spec.name}={value!r} is not a whole number",
                f"write an integer such as {example!r}{extra}",
            )
        number = int(text)
    else:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            extra = f" or one of {allowed_words}" if spec.choices else ""
            return (
                "E_HP_TYPE",
                f"{spec.name}={value!r} is not a finite number",
                f"write a number such as {spec.default or '0.0001'!r}{extra}",
            )
    too_low = spec.min is not None and number < spec.min
    too_high = spec.max is not None and number > spec.max
    if too_low or too_high:
        default = f" (default {spec.default})" if spec.default is not None else ""
        return (
            "E_HP_RANGE",
            f"{spec.name}={text} is outside {describe_range(spec)}{default}",
            f"use a value in {describe_range(spec)}"
            + (f", or leave it out to get {spec.default}" if spec.default is not None else ""),
        )
    return None


def describe_range(spec: Hyperparameter) -> str:
    """Human text for a hyperparameter's allowed values, e.g. ``[1, 10]`` or ``>= 1``."""
    parts: list[str] = []
    if spec.min is not None and spec.max is not None:
        parts.append(f"[{format_number(spec.min)}, {format_number(spec.max)}]")
    elif spec.min is not None:
        parts.append(f">= {format_number(spec.min)}")
    elif spec.max is not None:
        parts.append(f"<= {format_number(spec.max)}")
    if spec.choices:
        parts.append(" | ".join(spec.choices))
    return " or ".join(parts) if parts else "any value"


def format_number(value: float) -> str:
    """Short text for a bound: ``10``, ``0.1``, ``1e-07``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=32)
def _load_cached(overrides: tuple[str, ...], env_value: str) -> Catalog:
    label, document = _bundled_document()
    read_on = _bundled_read_on(document, label)
    raw_models: dict[str, dict[str, Any]] = {}
    decoded: dict[str, BaseModel] = {}
    entries = document.get("models")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(
            f"{label}: 'models' must be a non-empty list",
            fix="restore the bundled catalog from the package",
        )
    for index, entry in enumerate(entries):
        model_id = _entry_id(entry, label, index)
        if model_id in raw_models:
            raise CatalogError(
                f"{label}: model {model_id!r} appears twice",
                fix="keep one entry per model id",
            )
        raw_models[model_id] = entry
        decoded[model_id] = _decode_model(entry, label, model_id, known_ids=())

    files = [part.strip() for part in env_value.split(os.pathsep) if part.strip()]
    files.extend(overrides)
    for file_name in files:
        path = Path(file_name).expanduser()
        for index, entry in enumerate(_override_entries(_read_document(path), str(path))):
            model_id = _entry_id(entry, str(path), index)
            if model_id in raw_models:
                merged = _deep_merge(raw_models[model_id], entry)
                known: tuple[str, ...] = ()
            else:
                merged = dict(entry)
                known = tuple(raw_models)
            decoded[model_id] = _decode_model(merged, str(path), model_id, known_ids=known)
            raw_models[model_id] = merged
    return Catalog(read_on=read_on, models=tuple(decoded.values()), override_files=tuple(files))


@functools.lru_cache(maxsize=1)
def _bundled_document() -> tuple[str, dict[str, Any]]:
    label = bundled_catalog_path()
    ref = resources.files("bedrock_tuner.catalog").joinpath("data", _BUNDLED_NAME)
    try:
        text = ref.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(
            f"cannot read the bundled catalog {label}: {exc}",
            fix="reinstall bedrock-tuner; the package data file is missing",
        ) from exc
    document = _parse_yaml(text, label)
    if not isinstance(document, dict):
        raise CatalogError(
            f"{label}: the catalog must be a mapping with 'read_on' and 'models'",
            fix="restore the bundled catalog from the package",
        )
    unknown = sorted(set(document) - {"read_on", "models"})
    if unknown:
        raise CatalogError(
            f"{label}: unknown top-level key(s) {', '.join(map(repr, unknown))}",
            fix="the catalog has only 'read_on' and 'models' at the top",
        )
    return label, document


def _bundled_read_on(document: Mapping[str, Any], label: str) -> str:
    read_on = document.get("read_on")
    if not isinstance(read_on, str) or _parse_date(read_on) is None:
        raise CatalogError(
            f"{label}: 'read_on' must be an ISO date string, got {read_on!r}",
            fix='write it as read_on: "YYYY-MM-DD" (quoted)',
        )
    return read_on


def _read_document(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES and suffix != ".json":
        raise CatalogError(
            f"{path}: cannot tell the format of a catalog override named {path.name!r}",
            fix="name the file *.yaml, *.yml or *.json",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CatalogError(
            f"{path}: cannot read the catalog override ({reason})",
            fix=f"check the path given with --catalog or in {CATALOG_ENV_VAR}",
        ) from exc
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(
                f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                fix="fix the JSON syntax at that position",
            ) from exc
    return _parse_yaml(text, str(path))


def _parse_yaml(text: str, label: str) -> Any:
    try:
        if getattr(yaml, "__with_libyaml__", False):
            return yaml.load(text, Loader=yaml.CSafeLoader)
        return yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise CatalogError(
            f"{label}: not valid YAML ({problem}{where})",
            fix="fix the YAML syntax at that position (indentation, quotes, colons)",
        ) from exc


def _override_entries(document: Any, label: str) -> list[Any]:
    example = 'write {"models": [{"id": "<model id>", ...}]}'
    if not isinstance(document, dict):
        raise CatalogError(
            f"{label}: a catalog override must be a mapping with a 'models' list",
            fix=example,
        )
    unknown = sorted(str(key) for key in document if key != "models")
    if unknown:
        raise CatalogError(
            f"{label}: unknown top-level key(s) {', '.join(map(repr, unknown))}",
            fix=f"an override file holds only 'models'; {example}",
        )
    entries = document.get("models")
    if not isinstance(entries, list):
        raise CatalogError(f"{label}: 'models' must be a list", fix=example)
    return entries


def _entry_id(entry: Any, label: str, index: int) -> str:
    if not isinstance(entry, dict):
        raise CatalogError(
            f"{label}: models[{index}] must be a mapping, got {type(entry).__name__}",
            fix="give each model as a mapping with at least an 'id'",
        )
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        raise CatalogError(
            f"{label}: models[{index}] has no 'id'",
            fix="name the base model with its Bedrock id, e.g. id: amazon.nova-lite-v1:0:300k",
        )
    return model_id


def _deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base`` (mappings recurse; ``None`` deletes a key)."""
    merged = dict(base)
    for key, value in patch.items():
        current = merged.get(key)
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged


# --------------------------------------------------------------------------- decoding

_MODEL_INFO = mi.type_info(BaseModel)


def _decode_model(
    raw: Mapping[str, Any], label: str, model_id: str, *, known_ids: Sequence[str]
) -> BaseModel:
    """Decode one model entry, or raise CatalogError naming the file, model and field."""

    lookalike = _lookalike_hint(model_id, known_ids) if known_ids else None

    def fail(path: str, message: str, fix: str) -> CatalogError:
        where = f", field {path}" if path else ""
        if lookalike:  # a new id that resembles a known one is most likely a typo
            fix = f"{lookalike}; otherwise {fix}"
        return CatalogError(f"{label}: model {model_id!r}{where}: {message}", fix=fix)

    for path, allowed in _unknown_fields(raw, _MODEL_INFO, ""):
        name = path.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it"
        raise fail(path, "unknown field", f"{hint} (allowed here: {', '.join(allowed)})")

    customization = raw.get("customization")
    if isinstance(customization, Mapping):
        for key, value in customization.items():
            try:
                CustomizationType(key)
            except ValueError:
                valid = [kind.value for kind in CustomizationType]
                close = difflib.get_close_matches(str(key).upper(), valid, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise fail(
                    f"customization.{key}",
                    "not a customization type",
                    f"{hint}use one of {', '.join(valid)}",
                ) from None
            try:
                msgspec.convert(value, TypeSupport)
            except msgspec.ValidationError as exc:
                path, message = _split_msgspec_error(str(exc), f"customization.{key}")
                raise fail(path, message, _type_hint(message, path)) from exc
    try:
        model = msgspec.convert(raw, BaseModel)
    except msgspec.ValidationError as exc:
        path, message = _split_msgspec_error(str(exc), "")
        fix = _type_hint(message, path)
        if known_ids and _MISSING_FIELD.search(message):
            fix = (
                "a new model needs at least id, name, provider and customization (each "
                "type with its formats); see docs/catalog.md"
            )
        raise fail(path, message, fix) from exc

    for path, message, fix in _semantic_problems(model):
        raise fail(path, message, fix)
    return model


def _unknown_fields(value: Any, info: mi.Type, path: str) -> list[tuple[str, list[str]]]:
    """Paths of keys that no Struct field matches (msgspec would silently drop them)."""
    found: list[tuple[str, list[str]]] = []
    if isinstance(info, mi.StructType):
        if not isinstance(value, Mapping):
            return found
        fields = {field.encode_name: field for field in info.fields}
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            field = fields.get(key)
            if field is None:
                found.append((here, list(fields)))
            else:
                found.extend(_unknown_fields(item, field.type, here))
    elif isinstance(info, mi.DictType):
        if isinstance(value, Mapping):
            for key, item in value.items():
                found.extend(_unknown_fields(item, info.value_type, f"{path}.{key}"))
    elif isinstance(info, mi.ListType | mi.VarTupleType):
        if isinstance(value, list):
            for index, item in enumerate(value):
                found.extend(_unknown_fields(item, info.item_type, f"{path}[{index}]"))
    elif isinstance(info, mi.UnionType):
        for member in info.types:
            if isinstance(member, mi.StructType | mi.DictType) and isinstance(value, Mapping):
                return _unknown_fields(value, member, path)
    return found


def _split_msgspec_error(text: str, prefix: str) -> tuple[str, str]:
    """Turn msgspec's ``"<message> - at `$.a.b`"`` into ``("prefix.a.b", message)``."""
    match = _MSGSPEC_PATH.match(text)
    message, raw_path = (match["message"], match["path"]) if match else (text, "$")
    if raw_path.startswith("`"):  # "`key` in `$.x`" (a bad mapping key)
        raw_path = raw_path.strip("`")
    path = raw_path[1:] if raw_path.startswith("$") else raw_path
    if path.startswith("."):
        path = path[1:]
    missing = _MISSING_FIELD.search(message)
    if missing:
        path = f"{path}.{missing['field']}" if path else missing["field"]
    if prefix:
        path = f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"
    return path, message


def _type_hint(message: str, path: str) -> str:
    if path.startswith("sources"):
        return (
            'write each source as {url: "https://docs.aws.amazon.com/...", '
            'read_on: "YYYY-MM-DD"}: the public page and the day you read it'
        )
    if "got `str`" in message and "float" in message:
        return (
            "write the number without quotes; in YAML a float needs a dot and a signed "
            "exponent (1.0e-5), or YAML reads it as text"
        )
    if "got `str`" in message and "int" in message:
        return "write a whole number without quotes"
    if "Expected `str" in message and ("got `int`" in message or "got `float`" in message):
        return 'quote the value: hyperparameter defaults and dates are strings (default: "32")'
    if "missing required field" in message:
        return "add the missing field (see docs/catalog.md for the shape of a model)"
    if "Invalid enum value" in message and ".formats" in path:
        return "use one of " + ", ".join(item.value for item in RecordFormat)
    if "Invalid enum value" in message:
        return "use one of the values listed in docs/catalog.md for this field"
    return "see docs/catalog.md for the shape of a catalog entry"


def _lookalike_hint(model_id: str, known_ids: Sequence[str]) -> str | None:
    bare = _CONTEXT_SUFFIX.sub("", model_id)
    similar = [known for known in known_ids if _CONTEXT_SUFFIX.sub("", known) == bare]
    similar += difflib.get_close_matches(model_id, known_ids, n=2, cutoff=0.8)
    if not similar:
        return None
    return (
        f"{model_id!r} is not in the catalog, so it was read as a new model; to change an "
        f"existing model use its exact id ({', '.join(dict.fromkeys(similar))})"
    )


def _semantic_problems(model: BaseModel) -> list[tuple[str, str, str]]:
    """Rules the types cannot say: ranges in order, defaults in range, dates as dates."""
    problems: list[tuple[str, str, str]] = []
    if not model.customization:
        problems.append(
            ("customization", "no customization type", "add at least one, e.g. FINE_TUNING")
        )
    if model.chars_per_token <= 0:
        problems.append(("chars_per_token", "must be positive", "use e.g. 4.0"))
    for field in ("legacy_time", "end_of_life_time"):
        value = getattr(model.lifecycle, field)
        if value is not None and _parse_date(value) is None:
            problems.append(
                (f"lifecycle.{field}", f"{value!r} is not an ISO date", 'write "YYYY-MM-DD"')
            )
    if model.price is not None and _parse_date(model.price.as_of) is None:
        problems.append(
            ("price.as_of", f"{model.price.as_of!r} is not an ISO date", 'write "YYYY-MM-DD"')
        )
    for index, source in enumerate(model.sources):
        if not source.url.startswith("https://"):
            problems.append(
                (
                    f"sources[{index}].url",
                    f"{source.url!r} is not a public https:// address",
                    "give the full URL of the page, e.g. https://docs.aws.amazon.com/...",
                )
            )
        if _parse_date(source.read_on) is None:
            problems.append(
                (
                    f"sources[{index}].read_on",
                    f"{source.read_on!r} is not an ISO date",
                    'write the day you read the page as "YYYY-MM-DD"',
                )
            )
    for kind, support in model.customization.items():
        base = f"customization.{kind.value}"
        if not support.formats:
            problems.append((f"{base}.formats", "is empty", "name at least one record format"))
        if kind is CustomizationType.DISTILLATION and not support.roles:
            problems.append(
                (
                    f"{base}.roles",
                    "is empty",
                    "say whether the model is a teacher, a student or both",
                )
            )
        if kind is not CustomizationType.DISTILLATION and support.roles:
            problems.append(
                (f"{base}.roles", "roles apply to DISTILLATION only", "remove the roles")
            )
        problems.extend(_limit_problems(support.limits, f"{base}.limits"))
        problems.extend(_hyperparameter_problems(support.hyperparameters, base))
    return problems


def _limit_problems(limits: Limits, base: str) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    pairs = (
        ("train_records_min", "train_records_max"),
        ("validation_records_min", "validation_records_max"),
        ("caption_min_chars", "caption_max_chars"),
    )
    for low_name, high_name in pairs:
        low, high = getattr(limits, low_name), getattr(limits, high_name)
        if low is not None and high is not None and low > high:
            problems.append(
                (f"{base}.{low_name}", f"{low} is above {high_name} ({high})", "swap or fix them")
            )
    media_pairs = (("image_min_px", "image_max_px"), ("aspect_ratio_min", "aspect_ratio_max"))
    for low_name, high_name in media_pairs:
        low, high = getattr(limits.media, low_name), getattr(limits.media, high_name)
        if low is not None and high is not None and low > high:
            problems.append(
                (
                    f"{base}.media.{low_name}",
                    f"{low} is above {high_name} ({high})",
                    "swap or fix them",
                )
            )
    for index, entry in enumerate(limits.tokens_per_record):
        where = f"{base}.tokens_per_record[{index}]"
        if entry.max_tokens <= 0:
            problems.append((f"{where}.max_tokens", "must be positive", "give a token count"))
        if entry.batch_min < 1 or entry.batch_min > entry.batch_max:
            problems.append(
                (
                    f"{where}.batch_min",
                    f"batch range [{entry.batch_min}, {entry.batch_max}] is empty or below 1",
                    "use 1 <= batch_min <= batch_max",
                )
            )
    return problems


def _hyperparameter_problems(
    specs: Sequence[Hyperparameter], base: str
) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        where = f"{base}.hyperparameters[{index}]"
        if spec.name in seen:
            problems.append((f"{where}.name", f"{spec.name!r} appears twice", "keep one entry"))
        seen.add(spec.name)
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            problems.append(
                (f"{where}.min", f"{spec.name}: min is above max", "swap or fix min and max")
            )
        if spec.type == "enum" and not spec.choices:
            problems.append(
                (f"{where}.choices", f"{spec.name}: an enum needs choices", "list the choices")
            )
        if spec.default is not None and check_value(spec, spec.default) is not None:
            problems.append(
                (
                    f"{where}.default",
                    f"{spec.name}: default {spec.default!r} is not allowed ({spec.type}, "
                    f"{describe_range(spec)})",
                    "make the default fit the type, range and choices",
                )
            )
    return problems


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
