"""camelCase for every JSON document a person sees (API answers, ``--json``, reports).

Python attributes stay snake_case. The report's structs say ``rename=camel`` themselves;
structs whose field names are also a file format people write (the catalog: its YAML
overrides use ``train_records_max``) are turned into camelCase JSON by
:func:`camel_builtins` when they are shown. Dictionary keys are data (customization types,
model ids, hyperparameter names) and are left alone.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import msgspec

__all__ = ["camel", "camel_builtins"]


def camel(name: str) -> str:
    """``price_per_1k_tokens`` → ``pricePer1kTokens`` (only the first letter of each later
    word is raised; ``1k`` stays ``1k``, unlike pydantic's ``to_camel``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_builtins(value: Any) -> Any:
    """``value`` as JSON-ready builtins with the fields of structs and dataclasses in
    camelCase (``None`` fields kept); mappings keep their keys; enums become their values."""
    if isinstance(value, msgspec.Struct):
        return {
            camel(field.name): camel_builtins(getattr(value, field.name))
            for field in msgspec.structs.fields(value)
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(field.name): camel_builtins(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {
            (key.value if isinstance(key, enum.Enum) else key): camel_builtins(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [camel_builtins(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return msgspec.to_builtins(value)
