"""The pipeline spec (``pipelines/<name>.yaml``): what to train, how, the budget, who to tell.

:func:`parse_spec` reads the YAML and returns a :class:`PipelineSpec`, or raises one
:class:`~bedrock_tuner.errors.SpecError` that lists *every* problem with its field path and
a fix. The model checks the structure (unknown keys are errors: a typo must not silently
fall back to a default) and, through the catalog, the base model, the customization type
and the hyperparameters. The shape is documented in docs/pipeline.md ("Pipeline spec").

A validated spec is frozen and round-trips through JSON (``spec.model_dump(mode="json")``
is the snapshot carried in the execution input; ``PipelineSpec.model_validate`` reads it
back). Its ``base_model`` is the catalog id and ``customization_type`` is always set.
"""

from __future__ import annotations

import difflib
import math
import re
import string
from collections.abc import Collection, Mapping
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bedrock_tuner.catalog import (
    check_hyperparameters,
    default_customization_type,
    get_model,
    load_catalog,
    parse_customization_type,
    type_support,
)
from bedrock_tuner.catalog.types import BaseModel as CatalogModel
from bedrock_tuner.catalog.types import Catalog, CustomizationType, TypeSupport
from bedrock_tuner.errors import BedrockTunerError, SpecError
from bedrock_tuner.models.keys import (
    DATASETS_PREFIX,
    PIPELINES_PREFIX,
    pipeline_name_for_key,
    pipeline_name_for_spec_key,
    spec_keys_for,
)
from bedrock_tuner.models.versions import family_owner_problem

__all__ = [
    "DATASETS_PREFIX",
    "PIPELINES_PREFIX",
    "PLACEHOLDERS",
    "SPEC_MAX_BYTES",
    "SPEC_MAX_DEPTH",
    "BudgetSpec",
    "DistillationSpec",
    "NotifySpec",
    "PipelineSpec",
    "RftSpec",
    "ValidationSpec",
    "check_data_locations",
    "check_pipeline_name",
    "data_location_problems",
    "family_owner_problem",
    "normalise_prefix",
    "parse_spec",
    "pipeline_name_for_key",
    "pipeline_name_for_spec_key",
    "spec_keys_for",
    "spec_problems_error",
]

PLACEHOLDERS = ("pipeline", "date", "time", "run", "version")
"""Placeholders a ``custom_model_name`` pattern may use."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MODEL_NAME_LITERAL = re.compile(r"^[A-Za-z0-9_-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_TEXT = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")  # Bedrock's jobTags/customModelTags pattern
_LAMBDA_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:function:"
    r"[a-zA-Z0-9-_.]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]/.+$")
RESERVED_TAG_PREFIX = "bedrock-tuner:"
MAX_SPEC_TAGS = 40  # Bedrock takes 200; the pipeline adds its own and keeps room

# --------------------------------------------------------------------------- helpers


def _problem(message: str, fix: str, **ctx: Any) -> PydanticCustomError:
    """A validation problem carrying its fix (read back by :func:`_describe`)."""
    return PydanticCustomError("spec", message, {"fix": fix, **ctx})


def _stringify(value: Any, what: str) -> Any:
    """Numbers become strings (the Bedrock API takes strings); booleans stay wrong."""
    if isinstance(value, bool):
        raise _problem(
            f"{what} {value!r} is a boolean", 'quote the value ("true") or write a number'
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)  # "inf", "nan": the catalog check reports it at its path
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    return value


def _stringify_mapping(value: Any, what: str) -> Any:
    if not isinstance(value, Mapping):
        return value
    out: dict[Any, Any] = {}
    for key, item in value.items():
        out[key] = _stringify(item, f"{what} {key}")
    return out


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- sections


class ValidationSpec(_Section):
    """Where validation data comes from: a ``file`` in the bucket, or a ``split_ratio``."""

    file: str | None = None
    split_ratio: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)
    seed: int | None = None

    @field_validator("file")
    @classmethod
    def _file_shape(cls, value: str | None) -> str | None:
        if value is None:
            return value
        text = value.strip()
        if text.startswith("s3://"):
            if not _S3_URI.match(text):
                raise _problem(
                    f"{value!r} is not an s3://bucket/key URI",
                    "write s3://bucket/key, or a key in the data bucket such as "
                    "datasets/<name>/validation.jsonl",
                )
        elif not text or text.startswith("/"):
            raise _problem(
                f"{value!r} is not a key in the data bucket",
                "write the key without a leading slash, e.g. datasets/<name>/validation.jsonl",
            )
        if not text.endswith(".jsonl"):
            raise _problem(f"{value!r} is not a .jsonl file", "point at the JSONL validation file")
        return text

    @model_validator(mode="after")
    def _one_source(self) -> ValidationSpec:
        if (self.file is None) == (self.split_ratio is None):
            raise _problem(
                "give exactly one of file and split_ratio",
                "write `file: datasets/<name>/validation.jsonl` or `split_ratio: 0.1`, not both",
            )
        if self.seed is not None and self.split_ratio is None:
            raise _problem("seed applies only to split_ratio", "remove seed, or use split_ratio")
        return self

    def file_uri(self, bucket: str) -> str | None:
        """The validation file as an ``s3://`` URI (a bare key lives in ``bucket``)."""
        if self.file is None:
            return None
        return self.file if self.file.startswith("s3://") else f"s3://{bucket}/{self.file}"


class BudgetSpec(_Section):
    """Costs in USD: above ``auto_approve_usd`` a person approves; above ``max_usd`` never."""

    auto_approve_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    max_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> BudgetSpec:
        if (
            self.auto_approve_usd is not None
            and self.max_usd is not None
            and self.max_usd < self.auto_approve_usd
        ):
            raise _problem(
                f"max_usd ({self.max_usd:g}) is below auto_approve_usd ({self.auto_approve_usd:g})",
                "raise max_usd to at least auto_approve_usd, or lower auto_approve_usd",
            )
        return self


class NotifySpec(_Section):
    """Who hears about the run. The topic's subscriptions deliver; ``emails`` are shown."""

    emails: tuple[str, ...] = ()
    slack: bool = True

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [item for item in value if not _EMAIL.match(item)]
        if bad:
            raise _problem(
                f"not an email address: {', '.join(map(repr, bad))}",
                "write addresses like ml-team@example.com",
            )
        return value


class DistillationSpec(_Section):
    """The teacher of a DISTILLATION run (the base model is the student)."""

    teacher_model: str
    max_response_length: int = Field(default=1000, ge=1, le=32768)


class RftSpec(_Section):
    """The grader of a REINFORCEMENT_FINE_TUNING run."""

    grader_lambda_arn: str

    @field_validator("grader_lambda_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not _LAMBDA_ARN.match(value):
            raise _problem(
                f"{value!r} is not a Lambda function ARN",
                "write arn:aws:lambda:<region>:<account>:function:<name>",
            )
        return value


# --------------------------------------------------------------------------- the spec


class PipelineSpec(_Section):
    """A validated pipeline spec (see the module docstring and docs/pipeline.md)."""

    base_model: str
    customization_type: CustomizationType
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    validation: ValidationSpec | None = None
    budget: BudgetSpec = BudgetSpec()
    notify: NotifySpec = NotifySpec()
    tags: dict[str, str] = Field(default_factory=dict)
    custom_model_name: str = "{pipeline}-{date}-{run}"
    model_family: str | None = None
    family_writers: tuple[str, ...] = ()  # other pipelines that may register into the family
    promotion: Literal["manual", "auto_if_better"] = "manual"
    promotion_metric: Literal["validation_loss", "training_loss"] | None = None
    distillation: DistillationSpec | None = None
    rft: RftSpec | None = None

    def family(self, pipeline: str) -> str:
        """Versions are numbered per family (default: the pipeline name)."""
        return self.model_family or pipeline

    @property
    def decisive_metric(self) -> Literal["validation_loss", "training_loss"]:
        """The loss ``auto_if_better`` compares (validation loss unless the spec says)."""
        return self.promotion_metric or "validation_loss"

    # -- field checks ------------------------------------------------------------------
    @field_validator("hyperparameters", mode="before")
    @classmethod
    def _hp_strings(cls, value: Any) -> Any:
        return _stringify_mapping(value, "hyperparameter")

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_strings(cls, value: Any) -> Any:
        return _stringify_mapping(value, "tag")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_SPEC_TAGS:
            raise _problem(f"{len(value)} tags", f"keep at most {MAX_SPEC_TAGS} tags")
        for key, item in value.items():
            if not key or len(key) > 128 or not _TAG_TEXT.match(key):
                raise _problem(
                    f"tag key {key!r} is not allowed",
                    "use 1-128 letters, digits, spaces and _ . : / = + - @",
                )
            if key.lower().startswith("aws:") or key.startswith(RESERVED_TAG_PREFIX):
                raise _problem(
                    f"tag key {key!r} uses a reserved prefix",
                    f"keys may not start with aws: or {RESERVED_TAG_PREFIX} (the pipeline sets those)",
                )
            if len(item) > 256 or not _TAG_TEXT.match(item):
                raise _problem(
                    f"tag value {item!r} of {key!r} is not allowed",
                    "use up to 256 letters, digits, spaces and _ . : / = + - @",
                )
        return value

    @field_validator("custom_model_name")
    @classmethod
    def _model_name_pattern(cls, value: str) -> str:
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise _problem(
                f"{value!r} is not a valid pattern ({exc})",
                "write placeholders as {pipeline}, {date}, {time}, {run} or {version}; "
                "no other braces",
            ) from None
        names: list[str] = []
        for literal, field, spec, conversion in parts:
            if not _MODEL_NAME_LITERAL.match(literal):
                raise _problem(
                    f"{literal!r} in {value!r} has characters Bedrock refuses in model names",
                    "use letters, digits, - and _ around the placeholders",
                )
            if field is None:
                continue
            if field not in PLACEHOLDERS or spec or conversion:
                close = difflib.get_close_matches(field, PLACEHOLDERS, n=1)
                hint = f"did you mean {{{close[0]}}}? " if close else ""
                raise _problem(
                    f"unknown placeholder {{{field}{':' + spec if spec else ''}}}",
                    f"{hint}use {', '.join('{' + name + '}' for name in PLACEHOLDERS)}",
                )
            names.append(field)
        if "run" not in names and "version" not in names:
            raise _problem(
                f"{value!r} gives every run the same model name",
                "include {run} (or {version}): Bedrock refuses a name that already exists",
            )
        return value

    @field_validator("model_family")
    @classmethod
    def _family(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise _problem(
                f"{value!r} is not a valid family name",
                "start with a letter or digit; use up to 64 letters, digits, . _ -",
            )
        return value

    @field_validator("family_writers")
    @classmethod
    def _writers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not _NAME.match(name)]
        if bad:
            raise _problem(
                f"not a pipeline name: {', '.join(map(repr, bad))}",
                "list pipeline names (the folders under datasets/), e.g. [support-bot-eu]",
            )
        return tuple(dict.fromkeys(value))  # in order, once each

    @field_validator("customization_type", mode="before")
    @classmethod
    def _type_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse_customization_type(value)
            except BedrockTunerError as exc:
                raise _problem(exc.message, exc.fix or "") from None
        return value

    # -- catalog checks (every problem at once) -------------------------------------
    @model_validator(mode="wrap")
    @classmethod
    def _check_against_catalog(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, Mapping):
            return handler(data)
        context = info.context if isinstance(info.context, Mapping) else {}
        catalog = context.get("catalog")
        found: list[InitErrorDetails] = []
        resolved = dict(data)
        _resolve_catalog(resolved, catalog or load_catalog(), found)
        _check_rft_grader(resolved, context.get("rft_graders"), found)
        try:
            result = handler(resolved)
        except ValidationError as exc:
            details = _as_details(exc)
            if "customization_type" not in resolved:
                # no base model to choose a default type from: the base model's problem says it
                details = [d for d in details if tuple(d["loc"]) != ("customization_type",)]
            found.extend(details)
            raise ValidationError.from_exception_data(cls.__name__, found) from None
        if found:
            raise ValidationError.from_exception_data(cls.__name__, found)
        return result


def _detail(loc: tuple[str | int, ...], value: Any, message: str, fix: str) -> InitErrorDetails:
    return InitErrorDetails(type=_problem(message, fix), loc=loc, input=value)


def _as_details(exc: ValidationError) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    for error in exc.errors():
        ctx = dict(error.get("ctx") or {})
        fix = str(ctx.get("fix") or _fix_for(error))
        out.append(_detail(tuple(error["loc"]), error.get("input"), error["msg"], fix))
    return out


def _resolve_catalog(data: dict[str, Any], catalog: Catalog, found: list[InitErrorDetails]) -> None:
    """Normalise the base model and type through the catalog; record what does not fit."""
    raw_model = data.get("base_model")
    if not isinstance(raw_model, str):
        return  # missing or mistyped: the structural check says so
    try:
        model = get_model(catalog, raw_model)
    except BedrockTunerError as exc:
        found.append(_detail(("base_model",), raw_model, exc.message, exc.fix or ""))
        return
    data["base_model"] = model.id
    raw_type = data.get("customization_type")
    if raw_type is None:
        ctype = default_customization_type(model)
    elif isinstance(raw_type, str | CustomizationType):
        try:
            ctype = parse_customization_type(raw_type)
        except BedrockTunerError:
            return  # the field validator reports it
    else:
        return
    try:
        support = type_support(model, ctype)
    except BedrockTunerError as exc:
        found.append(_detail(("customization_type",), raw_type, exc.message, exc.fix or ""))
        return
    data["customization_type"] = ctype.value
    _check_roles(data, catalog, model, ctype, support, found)
    hyper = data.get("hyperparameters")
    if isinstance(hyper, Mapping):
        values = {
            str(key): str(value)
            for key, value in hyper.items()
            if isinstance(value, str | int | float) and not isinstance(value, bool)
        }
        for problem in check_hyperparameters(support, values):
            found.append(
                _detail(
                    ("hyperparameters", problem.name), problem.value, problem.message, problem.fix
                )
            )
    if data.get("validation") is not None and not support.accepts_validation:
        found.append(
            _detail(
                ("validation",),
                data.get("validation"),
                f"{model.name} takes no validation data for {ctype.value}",
                "remove the validation section",
            )
        )
    _check_promotion(data, model, ctype, support, found)


def _check_promotion(
    data: dict[str, Any],
    model: CatalogModel,
    ctype: CustomizationType,
    support: TypeSupport,
    found: list[InitErrorDetails],
) -> None:
    """``auto_if_better`` must have a loss it can compare: validation loss needs a
    validation set; training loss is only used when the spec asks for it."""
    promotion = data.get("promotion")
    metric = data.get("promotion_metric")
    if promotion != "auto_if_better":
        if metric is not None:
            found.append(
                _detail(
                    ("promotion_metric",),
                    metric,
                    "promotion_metric applies only to `promotion: auto_if_better`",
                    "remove promotion_metric, or set promotion: auto_if_better",
                )
            )
        return
    if metric not in (None, "validation_loss") or data.get("validation") is not None:
        return
    if support.accepts_validation:
        found.append(
            _detail(
                ("promotion",),
                promotion,
                "auto_if_better compares validation loss, and this pipeline has no "
                "validation set, so no version could ever be promoted after the first",
                "add `validation: {split_ratio: 0.1}` (or validation.file), or decide by "
                "training loss with `promotion_metric: training_loss` (weaker: it rewards "
                "memorising the training data)",
            )
        )
    else:
        found.append(
            _detail(
                ("promotion",),
                promotion,
                f"auto_if_better compares validation loss, and {model.name} takes no "
                f"validation data for {ctype.value}",
                "decide by training loss with `promotion_metric: training_loss` (weaker: it "
                "rewards memorising the training data), or use `promotion: manual`",
            )
        )


def _check_roles(
    data: dict[str, Any],
    catalog: Catalog,
    model: CatalogModel,
    ctype: CustomizationType,
    support: TypeSupport,
    found: list[InitErrorDetails],
) -> None:
    distillation = data.get("distillation")
    rft = data.get("rft")
    if ctype is CustomizationType.DISTILLATION:
        if support.roles and "student" not in support.roles:
            found.append(
                _detail(
                    ("base_model",),
                    data.get("base_model"),
                    f"{model.name} can only teach in a distillation, not learn",
                    "make it the distillation.teacher_model and pick a student base model",
                )
            )
        if distillation is None:
            found.append(
                _detail(
                    ("distillation",),
                    None,
                    "a DISTILLATION run needs a teacher",
                    "add `distillation: {teacher_model: amazon.nova-premier-v1:0:1000k}`",
                )
            )
        elif isinstance(distillation, Mapping) and isinstance(
            distillation.get("teacher_model"), str
        ):
            teacher_id = distillation["teacher_model"]
            try:
                teacher = get_model(catalog, teacher_id)
            except BedrockTunerError as exc:
                found.append(
                    _detail(
                        ("distillation", "teacher_model"), teacher_id, exc.message, exc.fix or ""
                    )
                )
            else:
                roles = teacher.customization.get(CustomizationType.DISTILLATION)
                if roles is None or "teacher" not in roles.roles:
                    found.append(
                        _detail(
                            ("distillation", "teacher_model"),
                            teacher_id,
                            f"{teacher.name} cannot be a distillation teacher",
                            "pick a teacher: `bedrock-tuner catalog --type DISTILLATION`",
                        )
                    )
                else:
                    data["distillation"] = {**distillation, "teacher_model": teacher.id}
    elif distillation is not None:
        found.append(
            _detail(
                ("distillation",),
                distillation,
                f"distillation applies only to DISTILLATION, not {ctype.value}",
                "remove the distillation section or set customization_type: DISTILLATION",
            )
        )
    if ctype is CustomizationType.REINFORCEMENT_FINE_TUNING:
        if rft is None:
            found.append(
                _detail(
                    ("rft",),
                    None,
                    "a REINFORCEMENT_FINE_TUNING run needs a grader",
                    "add `rft: {grader_lambda_arn: arn:aws:lambda:<region>:<account>:function:<name>}`",
                )
            )
    elif rft is not None:
        found.append(
            _detail(
                ("rft",),
                rft,
                f"rft applies only to REINFORCEMENT_FINE_TUNING, not {ctype.value}",
                "remove the rft section or set customization_type: REINFORCEMENT_FINE_TUNING",
            )
        )


def _check_rft_grader(
    data: Mapping[str, Any], graders: Collection[str] | None, found: list[InitErrorDetails]
) -> None:
    """Bedrock invokes the grader as the stack's service role, which may invoke only the
    functions of the stack parameter ``RftGraderFunctionArns``: another grader would fail
    when the job starts, so it is refused with the spec."""
    rft = data.get("rft")
    if graders is None or not isinstance(rft, Mapping):
        return
    arn = rft.get("grader_lambda_arn")
    if not isinstance(arn, str) or not _LAMBDA_ARN.match(arn) or arn in graders:
        return
    allowed = ", ".join(sorted(graders)) if graders else "none"
    found.append(
        _detail(
            ("rft", "grader_lambda_arn"),
            arn,
            f"the stack does not let Bedrock invoke the grader {arn} (allowed: {allowed})",
            f"add {arn} to the stack parameter RftGraderFunctionArns and deploy again "
            "(Bedrock invokes the grader as the stack's service role), or name an allowed grader",
        )
    )


# --------------------------------------------------------------------------- messages

_SECTIONS: dict[str, type[BaseModel]] = {
    "validation": ValidationSpec,
    "budget": BudgetSpec,
    "notify": NotifySpec,
    "distillation": DistillationSpec,
    "rft": RftSpec,
}


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = PipelineSpec
    for part in loc[:-1]:
        section = _SECTIONS.get(str(part))
        if section is None:
            return []
        model = section
    return list(model.model_fields)


def _fix_for(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        close = difflib.get_close_matches(str(loc[-1]) if loc else "", allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else "remove it. "
        return f"{hint}Allowed here: {', '.join(allowed)}" if allowed else "remove it"
    if kind == "missing":
        return f"add `{loc[-1]}:` (see the spec reference in docs/pipeline.md)"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        return "write a number without quotes or units, e.g. 25"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        bound = {
            "greater_than": f"above {ctx.get('gt')}",
            "greater_than_equal": f"at least {ctx.get('ge')}",
            "less_than": f"below {ctx.get('lt')}",
            "less_than_equal": f"at most {ctx.get('le')}",
        }[kind]
        return f"use a value {bound}"
    if kind == "literal_error" or kind == "enum":
        return f"use one of {ctx.get('expected', 'the documented values')}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "write a mapping of key: value lines"
    if kind in {"list_type", "tuple_type"}:
        return "write a list, e.g. [a@example.com, b@example.com]"
    if kind in {"bool_type", "bool_parsing"}:
        return "write true or false"
    if kind == "string_type":
        return "write text (quote it if YAML reads it as something else)"
    return "see the spec reference in docs/pipeline.md"


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --------------------------------------------------------------------------- tenancy


def normalise_prefix(prefix: str) -> str:
    """A key prefix as the checks compare it: no leading slash, one trailing slash."""
    text = prefix.strip().lstrip("/")
    return text if not text or text.endswith("/") else text + "/"


def data_location_problems(
    spec: PipelineSpec, pipeline: str, *, data_bucket: str, shared_prefixes: tuple[str, ...] = ()
) -> list[tuple[str, str, str]]:
    """``(path, message, fix)`` for each data location of ``spec`` its pipeline may not read.

    ``validation.file`` must be a key under ``datasets/<pipeline>/`` of the data bucket, or
    under one of the stack's ``shared_prefixes`` (``SharedDataPrefixes``); a file in any other
    bucket, or under another pipeline's prefix, would let one pipeline train on (and read the
    metrics of) data that is not its own.
    """
    if spec.validation is None or spec.validation.file is None:
        return []
    value = spec.validation.file
    own = f"{DATASETS_PREFIX}{pipeline}/"
    allowed = [own, *(p for p in map(normalise_prefix, shared_prefixes) if p)]
    move = (
        f"put it under s3://{data_bucket}/{own} and write `file: {own}<name>.jsonl`"
        + (f" (or under a shared prefix: {', '.join(allowed[1:])})" if len(allowed) > 1 else "")
        + "; data other pipelines may use goes under a prefix the stack's operators list in "
        "SharedDataPrefixes"
    )
    key = value
    if value.startswith("s3://"):
        bucket, _, key = value.removeprefix("s3://").partition("/")
        if bucket != data_bucket:
            return [
                (
                    "validation.file",
                    f"{value} is in another bucket ({bucket}): a pipeline reads validation "
                    f"data only from the stack's data bucket ({data_bucket})",
                    move,
                )
            ]
    if any(part in ("", ".", "..") for part in key.split("/")):
        return [
            (
                "validation.file",
                f"{value} has '.' or '..' (or empty) segments in its key",
                f"write the key as it is stored, e.g. {own}validation.jsonl",
            )
        ]
    if not any(key.startswith(prefix) for prefix in allowed):
        where = " or ".join(allowed)
        return [
            (
                "validation.file",
                f"{value} is outside {where}: a pipeline reads only its own validation data",
                move,
            )
        ]
    return []


def check_data_locations(
    spec: PipelineSpec, pipeline: str, *, data_bucket: str, shared_prefixes: tuple[str, ...] = ()
) -> None:
    """Raise :class:`SpecError` when :func:`data_location_problems` finds any."""
    problems = data_location_problems(
        spec, pipeline, data_bucket=data_bucket, shared_prefixes=shared_prefixes
    )
    if problems:
        raise spec_problems_error(f"{PIPELINES_PREFIX}{pipeline}.yaml", problems)


def spec_problems_error(label: str, problems: list[tuple[str, str, str]]) -> SpecError:
    """One :class:`SpecError` for ``(path, message, fix)`` problems of the spec ``label``."""
    unique: list[tuple[str, str, str]] = []
    for entry in problems:
        if entry not in unique:
            unique.append(entry)
    if len(unique) == 1:
        path, message, fix = unique[0]
        return SpecError(f"{label}: {path}: {message}", path=path, fix=fix, problems=tuple(unique))
    lines = [f"{label} has {len(unique)} problems:"]
    lines += [f"  - {path}: {message} (fix: {fix})" for path, message, fix in unique]
    return SpecError("\n".join(lines), path=unique[0][0], problems=tuple(unique))


# --------------------------------------------------------------------------- parsing


SPEC_MAX_BYTES = 256 * 1024
"""A spec is a page of settings: anything larger is refused before it is parsed (D12)."""
SPEC_MAX_DEPTH = 20
"""Nesting deeper than this is no spec (the parser would recurse into it: D10)."""


class _SpecLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (the later one would silently win), aliases
    (a few lines could expand to gigabytes) and nesting deeper than :data:`SPEC_MAX_DEPTH`."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):  # type: ignore[no-untyped-call]
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a pipeline spec", mark
            )
        self._depth += 1
        try:
            if self._depth > SPEC_MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {SPEC_MAX_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _SpecLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if isinstance(key, str | int | float | bool) and key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                mark,
            )
        if isinstance(key, str | int | float | bool):
            seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def check_pipeline_name(name: str) -> None:
    """A pipeline name must fit S3 keys, execution names and job names.

    Raises
    ------
    SpecError
        ``path`` is ``pipeline``.
    """
    if not _NAME.match(name):
        raise SpecError(
            f"pipeline name {name!r} is not allowed",
            path="pipeline",
            fix="name the folder datasets/<name>/ with up to 64 letters, digits, . _ - "
            "(starting with a letter or digit)",
        )


def parse_spec(
    text: str,
    name: str,
    *,
    catalog: Catalog | None = None,
    rft_graders: Collection[str] | None = None,
) -> PipelineSpec:
    """Read the spec of pipeline ``name`` from YAML ``text``.

    ``rft_graders`` are the grader functions the stack lets Bedrock invoke (the settings'
    ``rft_grader_arns``): an ``rft.grader_lambda_arn`` outside them is a problem. ``None``
    (no stack at hand, e.g. ``bedrock-tuner validate``) skips that check.

    Raises
    ------
    SpecError
        With every problem (field path, message, fix); YAML syntax errors name the line
        and column. ``path`` is the first problem's path.
    """
    label = f"{PIPELINES_PREFIX}{name}.yaml"
    check_pipeline_name(name)
    size = len(text.encode("utf-8", errors="replace"))
    if size > SPEC_MAX_BYTES:
        raise SpecError(
            f"{label} is {size:,} bytes, over the limit of {SPEC_MAX_BYTES:,} for a spec",
            fix="a spec is a page of settings: keep data (prompts, records) out of it",
        )
    try:
        document = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError as exc:  # a belt to the depth limit's braces
        raise SpecError(
            f"{label} is nested too deeply to read",
            fix=f"keep the spec's nesting under {SPEC_MAX_DEPTH} levels",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise SpecError(
            f"{label} is not valid YAML: {problem}{where}",
            fix="fix the YAML at that position (indentation, quotes, a missing colon)",
        ) from exc
    if document is None:
        raise SpecError(
            f"{label} is empty",
            fix="write at least `base_model: amazon.nova-lite-v1:0:300k` (see docs/pipeline.md)",
        )
    if not isinstance(document, dict):
        raise SpecError(
            f"{label} must be a mapping of settings, not {type(document).__name__}",
            fix="write key: value lines such as `base_model: amazon.nova-lite-v1:0:300k`",
        )
    try:
        spec = PipelineSpec.model_validate(
            document, context={"catalog": catalog, "rft_graders": rft_graders}
        )
    except ValidationError as exc:
        raise _spec_error(label, exc) from None
    if spec.model_family is None:
        spec = spec.model_copy(update={"model_family": name})
    return spec


def _spec_error(label: str, exc: ValidationError) -> SpecError:
    problems: list[tuple[str, str, str]] = []
    for error in exc.errors():
        ctx = error.get("ctx") or {}
        fix = str(ctx.get("fix") or _fix_for(error))
        path = _path(tuple(error["loc"])) or "(top level)"
        problems.append((path, str(error["msg"]), fix))
    return spec_problems_error(label, problems)
