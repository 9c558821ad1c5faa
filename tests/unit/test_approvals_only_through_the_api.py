"""D15: approvals exist only through the API; no function takes the approver from a payload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner_localcloud.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_yaml(ROOT / "template.yaml")


def test_approvals_go_only_through_the_api(template: dict[str, Any]) -> None:
    """D15: no function takes the approver's name from its payload."""
    assert not (ROOT / "functions" / "handle_approval").exists()
    code = {
        r["Properties"].get("CodeUri")
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert "functions/handle_approval/" not in code
    for path in (ROOT / "functions").glob("*/app.py"):
        assert "ApprovalDecision" not in path.read_text(), path
