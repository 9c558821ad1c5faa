"""The model catalog: which base models Bedrock can customize, and with what data.

The facts live in ``data/models.yaml`` (see ``docs/catalog.md``) and are decoded into the
Structs of :mod:`bedrock_tuner.catalog.types`. This module answers questions about them:

>>> catalog = load_catalog()
>>> model = get_model(catalog, "amazon.titan-text-lite-v1:0")  # ":4k" may be left out
>>> support = type_support(model, CustomizationType.FINE_TUNING)
>>> token_limit_for(support.limits, batch_size=3)
2048
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from datetime import date

import msgspec

from bedrock_tuner.catalog.loader import (
    CATALOG_ENV_VAR,
    bundled_catalog_path,
    check_value,
    clear_catalog_cache,
    describe_range,
    format_number,
    load_catalog,
)
from bedrock_tuner.catalog.types import (
    BaseModel,
    Catalog,
    CustomizationType,
    Hyperparameter,
    Lifecycle,
    Limits,
    MediaLimits,
    Price,
    RecordFormat,
    Source,
    TokenLimit,
    TypeSupport,
)
from bedrock_tuner.errors import UnknownModelError, UnsupportedCustomizationError, UsageError

__all__ = [
    "CATALOG_ENV_VAR",
    "LIFECYCLE_WARNING_DAYS",
    "BaseModel",
    "Catalog",
    "CustomizationType",
    "Hyperparameter",
    "HyperparameterProblem",
    "Lifecycle",
    "Limits",
    "MediaLimits",
    "Price",
    "RecordFormat",
    "Source",
    "TokenLimit",
    "TypeSupport",
    "bundled_catalog_path",
    "check_hyperparameters",
    "clear_catalog_cache",
    "default_customization_type",
    "describe_range",
    "effective_hyperparameters",
    "format_number",
    "get_model",
    "lifecycle_warnings",
    "list_models",
    "load_catalog",
    "parse_customization_type",
    "strip_context_suffix",
    "token_limit_for",
    "type_support",
]

LIFECYCLE_WARNING_DAYS = 90
"""Warn this many days before a base model's end of life (or its move to legacy)."""

_BASE_MODEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model/(?P<id>[^/\s]+)$"
)
_CONTEXT_SUFFIX = re.compile(r":\d+k$")
_TYPE_ALIASES: dict[str, CustomizationType] = {
    "FT": CustomizationType.FINE_TUNING,
    "SFT": CustomizationType.FINE_TUNING,
    "CPT": CustomizationType.CONTINUED_PRE_TRAINING,
    "DISTILL": CustomizationType.DISTILLATION,
    "RFT": CustomizationType.REINFORCEMENT_FINE_TUNING,
}


class HyperparameterProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One bad hyperparameter value.

    ``code`` is ``E_HP_UNKNOWN`` (no such hyperparameter for this model and type),
    ``E_HP_TYPE`` (not a number of the right kind, nor an allowed word) or ``E_HP_RANGE``
    (outside the documented range).
    """

    code: str
    name: str
    value: str
    message: str
    fix: str


# --------------------------------------------------------------------------- lookups


def strip_context_suffix(model_id: str) -> str:
    """``amazon.nova-lite-v1:0:300k`` -> ``amazon.nova-lite-v1:0`` (other ids unchanged)."""
    return _CONTEXT_SUFFIX.sub("", model_id)


def get_model(catalog: Catalog, model_id: str) -> BaseModel:
    """Find a base model by id.

    Accepts the exact catalog id, the id without its ``:NNk`` context-window suffix when
    only one model matches, and a base-model ARN
    (``arn:aws:bedrock:<region>::foundation-model/<id>``). Case does not matter.

    Raises
    ------
    UnknownModelError
        Nothing matches, or a suffix-less id matches several models; the fix hint names
        the closest ids.
    """
    wanted = model_id.strip()
    arn = _BASE_MODEL_ARN.match(wanted)
    if arn:
        wanted = arn["id"]
    wanted = wanted.lower()
    for model in catalog.models:
        if model.id.lower() == wanted:
            return model
    bare = [model for model in catalog.models if strip_context_suffix(model.id).lower() == wanted]
    if len(bare) == 1:
        return bare[0]
    if len(bare) > 1:
        raise UnknownModelError(
            f"model id {model_id!r} matches several models: "
            + ", ".join(model.id for model in bare),
            fix="give the full id with its context suffix, e.g. " + bare[0].id,
        )
    raise UnknownModelError(
        f"unknown base model {model_id!r}",
        fix=_model_suggestion(catalog, wanted),
    )


def _model_suggestion(catalog: Catalog, wanted: str) -> str:
    keys: dict[str, str] = {}
    for model in catalog.models:
        keys.setdefault(model.id.lower(), model.id)
        keys.setdefault(strip_context_suffix(model.id).lower(), model.id)
        keys.setdefault(model.name.lower(), model.id)
    close = difflib.get_close_matches(wanted, list(keys), n=5, cutoff=0.55)
    ids = list(dict.fromkeys(keys[key] for key in close))[:3]
    listing = "run `bedrock-tuner catalog` to list the models, or add one in an override file"
    if ids:
        return f"did you mean {' or '.join(ids)}? ({listing})"
    if wanted.startswith("arn:"):
        return (
            "give the base model id, or its ARN "
            "arn:aws:bedrock:<region>::foundation-model/<id>; " + listing
        )
    return listing


def parse_customization_type(value: str | CustomizationType) -> CustomizationType:
    """Read a customization type name: ``FINE_TUNING``, ``fine-tuning``, ``SFT``, ``RFT``...

    Raises
    ------
    UsageError
        The name is not a customization type.
    """
    if isinstance(value, CustomizationType):
        return value
    key = re.sub(r"[\s-]+", "_", value.strip()).upper()
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    try:
        return CustomizationType(key)
    except ValueError:
        valid = [kind.value for kind in CustomizationType]
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(
            f"unknown customization type {value!r}",
            fix=f"{hint}use one of {', '.join(valid)}",
        ) from None


def type_support(model: BaseModel, ctype: CustomizationType | str) -> TypeSupport:
    """How ``model`` takes customization type ``ctype``.

    Raises
    ------
    UnsupportedCustomizationError
        The model does not offer that type; the message lists the types it does offer.
    UsageError
        ``ctype`` is a string that names no customization type.
    """
    kind = parse_customization_type(ctype)
    support = model.customization.get(kind)
    if support is None:
        offered = ", ".join(item.value for item in model.customization) or "none"
        raise UnsupportedCustomizationError(
            f"{model.id} ({model.name}) does not support {kind.value}; it supports {offered}",
            fix=(
                f"use one of {offered} with this model, or pick another model: "
                f"`bedrock-tuner catalog --type {kind.value}`"
            ),
        )
    return support


def default_customization_type(model: BaseModel) -> CustomizationType:
    """FINE_TUNING when the model offers it, else the first type the catalog lists."""
    if CustomizationType.FINE_TUNING in model.customization:
        return CustomizationType.FINE_TUNING
    return next(iter(model.customization))


def list_models(catalog: Catalog, ctype: CustomizationType | str | None = None) -> list[BaseModel]:
    """Models in catalog order; with ``ctype``, only those supporting it.

    For DISTILLATION this includes teacher-only models (see ``TypeSupport.roles``).
    """
    if ctype is None:
        return list(catalog.models)
    kind = parse_customization_type(ctype)
    return [model for model in catalog.models if kind in model.customization]


# --------------------------------------------------------------------------- limits


def token_limit_for(limits: Limits | TypeSupport, batch_size: int | None = None) -> int | None:
    """The most tokens one record may hold at ``batch_size``, or ``None`` if unknown.

    Parameters
    ----------
    limits
        A type's :class:`Limits`, or its :class:`TypeSupport` (which also lets a missing
        ``batch_size`` fall back to the ``batchSize`` hyperparameter's default).
    batch_size
        The job's batch size. ``None`` means the ``batchSize`` default when ``limits`` is a
        TypeSupport that has one, else the most permissive limit that applies at batch 1.

    When several entries cover the batch size the strictest wins. A batch size above every
    documented range gets the strictest limit documented for smaller batches (a larger
    batch never leaves more room); one below every range gets the most permissive limit
    documented, which is the nearest known bound.
    """
    entries = (
        limits.limits.tokens_per_record
        if isinstance(limits, TypeSupport)
        else (limits.tokens_per_record)
    )
    if not entries:
        return None
    if batch_size is None and isinstance(limits, TypeSupport):
        batch_size = _default_batch_size(limits)
    if batch_size is None:
        at_one = [entry.max_tokens for entry in entries if entry.batch_min <= 1 <= entry.batch_max]
        return max(at_one) if at_one else max(entry.max_tokens for entry in entries)
    if batch_size < 1:
        raise UsageError(f"batch size must be at least 1, got {batch_size}", fix="use 1 or more")
    covering = [e.max_tokens for e in entries if e.batch_min <= batch_size <= e.batch_max]
    if covering:
        return min(covering)
    smaller = [e.max_tokens for e in entries if e.batch_max < batch_size]
    if smaller:
        return min(smaller)
    return max(entry.max_tokens for entry in entries)


def _default_batch_size(support: TypeSupport) -> int | None:
    for spec in support.hyperparameters:
        if spec.name == "batchSize" and spec.default is not None:
            try:
                return int(spec.default)
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------- hyperparameters


def check_hyperparameters(
    support: TypeSupport, values: Mapping[str, str]
) -> list[HyperparameterProblem]:
    """Check hyperparameter values (strings, as the Bedrock API takes them).

    Returns one problem per bad value, in the order given. When the catalog knows no
    hyperparameters for this model and type (an empty list), nothing can be checked and
    the result is empty.
    """
    problems: list[HyperparameterProblem] = []
    for name, raw_value in values.items():
        value = raw_value if isinstance(raw_value, str) else str(raw_value)
        if _not_finite(value):  # even where the catalog knows no ranges
            problems.append(
                HyperparameterProblem(
                    code="E_HP_TYPE",
                    name=name,
                    value=value,
                    message=f"{name}={value!r} is not a finite number",
                    fix="write an ordinary number (no NaN, Infinity or 1e400)",
                )
            )
    if not support.hyperparameters:
        return problems
    specs = {spec.name: spec for spec in support.hyperparameters}
    for name, raw_value in values.items():
        value = raw_value if isinstance(raw_value, str) else str(raw_value)
        if _not_finite(value):
            continue
        spec = specs.get(name)
        if spec is None:
            problems.append(_unknown_hyperparameter(name, value, list(specs)))
            continue
        found = check_value(spec, value)
        if found is not None:
            code, message, fix = found
            problems.append(
                HyperparameterProblem(code=code, name=name, value=value, message=message, fix=fix)
            )
    return problems


def _not_finite(value: str) -> bool:
    """``nan``, ``inf``, ``1e400`` … parse as floats Bedrock and the estimates cannot use."""
    try:
        number = float(value)
    except ValueError:
        return False
    return not math.isfinite(number)


def _unknown_hyperparameter(name: str, value: str, known: list[str]) -> HyperparameterProblem:
    same_but_case = [item for item in known if item.lower() == name.lower()]
    close = same_but_case or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else "remove it. "
    return HyperparameterProblem(
        code="E_HP_UNKNOWN",
        name=name,
        value=value,
        message=f"unknown hyperparameter {name!r} for this model and customization type",
        fix=f"{hint}Known: {', '.join(known)}",
    )


def effective_hyperparameters(support: TypeSupport, values: Mapping[str, str]) -> dict[str, str]:
    """The catalog defaults overlaid with ``values`` (defaults first, in catalog order)."""
    merged = {spec.name: spec.default for spec in support.hyperparameters if spec.default}
    for name, value in values.items():
        merged[name] = value if isinstance(value, str) else str(value)
    return merged


# --------------------------------------------------------------------------- lifecycle


def lifecycle_warnings(model: BaseModel, today: date) -> list[str]:
    """Warnings about a base model going away: legacy status, end of life near or past."""
    warnings: list[str] = []
    lifecycle = model.lifecycle
    legacy_on = _to_date(lifecycle.legacy_time)
    end_on = _to_date(lifecycle.end_of_life_time)
    if lifecycle.status == "LEGACY":
        since = f" since {legacy_on.isoformat()}" if legacy_on and legacy_on <= today else ""
        warnings.append(
            f"{model.id} ({model.name}) is LEGACY{since}: Bedrock may refuse new "
            "customization jobs for it; plan a move to an active model"
        )
    elif legacy_on is not None and today <= legacy_on:
        days = (legacy_on - today).days
        if days <= LIFECYCLE_WARNING_DAYS:
            warnings.append(
                f"{model.id} ({model.name}) becomes LEGACY on {legacy_on.isoformat()} "
                f"(in {days} days)"
            )
    if end_on is not None:
        days = (end_on - today).days
        if days < 0:
            warnings.append(
                f"{model.id} ({model.name}) reached its end of life on {end_on.isoformat()}: "
                "jobs and custom models based on it stop working"
            )
        elif days <= LIFECYCLE_WARNING_DAYS:
            warnings.append(
                f"{model.id} ({model.name}) reaches its end of life on {end_on.isoformat()} "
                f"(in {days} days)"
            )
    return warnings


def _to_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
