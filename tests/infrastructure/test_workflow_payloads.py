"""The workflow carries every field a function returns.

A Task's ``ResultSelector`` picks fields out of the function's answer; a field the selector
forgets is silently dropped, and every later step (the notifications, the approval record, the
timeline) loses it. These tests tie each selector to the payload model it selects from, so a
new field in the model fails here until the ASL carries it too.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from bedrock_tuner.models.payloads import JobOutput, ValidationOutput, VersionOutput

SELECTED = [
    ("Validate dataset", ValidationOutput),
    ("Start customization job", JobOutput),
    ("Register model version", VersionOutput),
]


def _wire_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


@pytest.mark.parametrize(("state", "model"), SELECTED, ids=[s for s, _ in SELECTED])
def test_result_selector_carries_every_field_of_the_payload(
    asl: dict[str, Any], state: str, model: type[BaseModel]
) -> None:
    task = asl["States"][state]
    selector = task.get("ResultSelector")
    if selector is None:  # the whole payload is kept
        return
    carried = {key.removesuffix(".$") for key in selector}
    missing = _wire_names(model) - carried
    assert not missing, f"{state!r} drops {sorted(missing)} of {model.__name__}"
    for key, path in selector.items():
        name = key.removesuffix(".$")
        assert path == f"$.Payload.{name}", (state, key, path)
