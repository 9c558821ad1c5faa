"""The slow path: explain every structural problem of a record that failed to decode.

Driven by the msgspec schemas in ``schemas.py`` (via ``msgspec.inspect``), so the rules
exist once: the fast path decodes with the structs, this walker reports, key by key, why a
generic JSON value does not fit them.
"""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple

import msgspec
import msgspec.inspect as mi

from bedrock_tuner.catalog.types import CustomizationType, RecordFormat
from bedrock_tuner.datasets.schemas import BLOCK_KINDS, TextBlock

MAX_ISSUES_PER_RECORD = 20


class Issue(NamedTuple):
    code: str
    path: str
    message: str


_TYPE_NAMES: dict[type[Any], str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def json_type_name(value: object) -> str:
    for pytype, name in _TYPE_NAMES.items():
        if type(value) is pytype:
            return name
    return type(value).__name__


def _expected_name(t: mi.Type) -> str:
    if isinstance(t, mi.StrType):
        return "a string"
    if isinstance(t, mi.IntType):
        return "an integer"
    if isinstance(t, mi.FloatType):
        return "a number"
    if isinstance(t, mi.BoolType):
        return "a boolean"
    if isinstance(t, mi.ListType):
        return "an array"
    if isinstance(t, mi.StructType | mi.DictType):
        return "an object"
    if isinstance(t, mi.NoneType):
        return "null"
    if isinstance(t, mi.UnionType):
        return " or ".join(_expected_name(x) for x in t.types)
    return "a value"


def _shallow_match(value: object, t: mi.Type) -> bool:
    if isinstance(t, mi.AnyType):
        return True
    if isinstance(t, mi.StrType):
        return type(value) is str
    if isinstance(t, mi.IntType):
        return type(value) is int
    if isinstance(t, mi.FloatType):
        return type(value) in (int, float)
    if isinstance(t, mi.BoolType):
        return type(value) is bool
    if isinstance(t, mi.NoneType):
        return value is None
    if isinstance(t, mi.ListType):
        return type(value) is list
    if isinstance(t, mi.StructType | mi.DictType):
        return type(value) is dict
    return True


_INFO: dict[type[Any], mi.Type] = {}


def _info(struct: type[Any]) -> mi.Type:
    info = _INFO.get(struct)
    if info is None:
        info = _INFO[struct] = mi.type_info(struct)
    return info


def diagnose_structure(obj: dict[str, Any], struct: type[Any]) -> list[Issue]:
    """Every structural issue of ``obj`` against ``struct`` (bounded per record)."""
    issues: list[Issue] = []
    _walk(obj, _info(struct), "$", issues)
    return issues[:MAX_ISSUES_PER_RECORD]


def _walk(value: object, t: mi.Type, path: str, issues: list[Issue]) -> None:
    if len(issues) >= MAX_ISSUES_PER_RECORD or isinstance(t, mi.AnyType):
        return
    if isinstance(t, mi.UnionType):
        for option in t.types:
            if _shallow_match(value, option):
                _walk(value, option, path, issues)
                return
        issues.append(
            Issue(
                "E_WRONG_TYPE", path, f"expected {_expected_name(t)}, got {json_type_name(value)}"
            )
        )
        return
    if not _shallow_match(value, t):
        issues.append(
            Issue(
                "E_WRONG_TYPE", path, f"expected {_expected_name(t)}, got {json_type_name(value)}"
            )
        )
        return
    if isinstance(t, mi.StructType):
        assert isinstance(value, dict)
        fields = {f.encode_name: f for f in t.fields}
        text_block = t.cls is TextBlock
        other_kinds = [k for k in value if k in BLOCK_KINDS and k != "text"] if text_block else []
        if other_kinds:
            kinds = ", ".join(other_kinds)
            issues.append(
                Issue(
                    "E_BLOCK_UNSUPPORTED",
                    f"{path}.{other_kinds[0]}",
                    f"{kinds} blocks are not accepted by this model (text only)",
                )
            )
            return
        for f in t.fields:
            if f.required and f.encode_name not in value:
                issues.append(
                    Issue(
                        "E_MISSING_KEY",
                        f"{path}.{f.encode_name}",
                        f'missing required key "{f.encode_name}"',
                    )
                )
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                if t.forbid_unknown_fields:
                    close = difflib.get_close_matches(str(key), list(fields), n=1)
                    hint = (
                        f' (did you mean "{close[0]}"?)'
                        if close
                        else f" (allowed: {', '.join(fields)})"
                    )
                    issues.append(
                        Issue("E_UNKNOWN_KEY", f"{path}.{key}", f'unknown key "{key}"{hint}')
                    )
                continue
            _walk(item, field.type, f"{path}.{key}", issues)
    elif isinstance(t, mi.ListType):
        assert isinstance(value, list)
        for i, item in enumerate(value):
            _walk(item, t.item_type, f"{path}[{i}]", issues)
            if len(issues) >= MAX_ISSUES_PER_RECORD:
                return


def detect_format(obj: dict[str, Any]) -> RecordFormat | None:
    """Guess the record format from its keys (for 'this looks like X' messages)."""
    keys = obj.keys()
    if "image-ref" in keys:
        return RecordFormat.IMAGE_CAPTION
    if "prompt" in keys or "completion" in keys:
        return RecordFormat.PROMPT_COMPLETION
    if "input" in keys and "messages" not in keys:
        return RecordFormat.CONTINUED_PRE_TRAINING
    messages = obj.get("messages")
    if isinstance(messages, list):
        if "reference_answer" in keys:
            return RecordFormat.RFT
        first = messages[0] if messages else None
        if "schemaVersion" in keys or (
            isinstance(first, dict) and isinstance(first.get("content"), list)
        ):
            return RecordFormat.CONVERSATION
        if isinstance(first, dict) and isinstance(first.get("content"), str):
            return RecordFormat.CLAUDE_MESSAGES
    return None


_TYPE_OF_FORMAT = {
    RecordFormat.CONTINUED_PRE_TRAINING: CustomizationType.CONTINUED_PRE_TRAINING,
    RecordFormat.DISTILLATION: CustomizationType.DISTILLATION,
    RecordFormat.RFT: CustomizationType.REINFORCEMENT_FINE_TUNING,
}


def customization_type_of(fmt: RecordFormat) -> CustomizationType:
    """The customization type whose data has the shape ``fmt`` (the rest: fine-tuning)."""
    return _TYPE_OF_FORMAT.get(fmt, CustomizationType.FINE_TUNING)


FORMAT_LABELS: dict[RecordFormat, str] = {
    RecordFormat.PROMPT_COMPLETION: 'prompt/completion {"prompt", "completion"}',
    RecordFormat.CONVERSATION: "Bedrock conversation (schemaVersion bedrock-conversation-2024, messages with content blocks)",
    RecordFormat.CLAUDE_MESSAGES: 'Claude messages {"system": str, "messages": [{"role", "content": str}]}',
    RecordFormat.CONTINUED_PRE_TRAINING: 'continued pre-training {"input"}',
    RecordFormat.IMAGE_CAPTION: 'image/caption {"image-ref": "s3://...", "caption"}',
    RecordFormat.DISTILLATION: "distillation prompts (Bedrock conversation, assistant turn optional)",
    RecordFormat.RFT: 'reinforcement fine-tuning {"messages", "reference_answer"}',
}


def same_family(a: RecordFormat, b: RecordFormat) -> bool:
    conv = {RecordFormat.CONVERSATION, RecordFormat.DISTILLATION}
    return a == b or (a in conv and b in conv)


def decode_generic(raw: bytes) -> object:
    """Untyped JSON decode (raises msgspec/Unicode/Recursion errors to the caller)."""
    return msgspec.json.decode(raw)
