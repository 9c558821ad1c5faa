"""Print the API's OpenAPI 3.1 document, generated from the resolver's routes and models.

``python -m bedrock_tuner.api.openapi > docs/openapi.json`` regenerates the committed copy;
``tests/unit/test_openapi.py`` fails when the two differ (the CI check).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bedrock_tuner.api.app import OPENAPI_INFO, build_resolver

__all__ = ["openapi_document", "openapi_text"]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    document: dict[str, Any] = json.loads(build_resolver().get_openapi_json_schema(**OPENAPI_INFO))
    return document


def openapi_text() -> str:
    """The document as committed: two-space indent, keys as generated, a final newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(openapi_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
