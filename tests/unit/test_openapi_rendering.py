"""The OpenAPI texts render in Swagger UI as written (issue 7, finding 16). Swagger UI reads
descriptions as Markdown and drops HTML it does not know, so "pipelines/<name>.yaml" showed as
"pipelines/.yaml". Placeholders belong in code spans (or braces), where they show literally."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bedrock_tuner.api.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]


def _strip_code(text: str) -> str:
    """Drop Markdown code spans and blocks, where Swagger UI shows ``<name>`` literally."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.sub(r"`[^`]*`", "", text)


def _texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary", "title") and isinstance(value, str):
                yield f"{path}/{key}", value
            yield from _texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{path}[{index}]")


def test_no_openapi_text_holds_a_tag_swagger_ui_would_swallow() -> None:
    tag = re.compile(r"<\s*/?[A-Za-z][\w .-]*>")
    document = openapi_document()
    bad = {path: text for path, text in _texts(document) if tag.search(_strip_code(text))}
    assert not bad, bad
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    bad = {path: text for path, text in _texts(committed) if tag.search(_strip_code(text))}
    assert not bad, bad
