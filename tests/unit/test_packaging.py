"""The layer's pins, the package data and the committed report schema stay in step."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

from bedrock_tuner.datasets.report import report_json_schema

ROOT = Path(__file__).resolve().parents[2]


def _pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[name.strip().lower()] = version.strip()
    return out


def test_layer_requirements_match_project_dependencies() -> None:
    project = tomllib.loads((ROOT / "layers/core/pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"])
    layer = _pins((ROOT / "layers/core/requirements.txt").read_text().splitlines())
    assert layer == declared, (
        "layers/core/requirements.txt must pin exactly the runtime dependencies"
    )


def test_layer_has_no_cli_or_test_only_dependencies() -> None:
    layer = _pins((ROOT / "layers/core/requirements.txt").read_text().splitlines())
    assert not {"rich", "moto", "pytest", "hypothesis", "orjson", "psutil"} & layer.keys()


def test_package_data_is_reachable_through_importlib() -> None:
    pkg = resources.files("bedrock_tuner")
    assert (pkg / "catalog" / "data" / "models.yaml").is_file()
    assert (pkg / "datasets" / "vocab" / "cl100k_base.tiktoken").is_file()
    assert (pkg / "datasets" / "report.schema.json").is_file()


def test_committed_report_schema_matches_the_code() -> None:
    committed = json.loads(
        (ROOT / "layers/core/bedrock_tuner/datasets/report.schema.json").read_text()
    )
    assert committed == json.loads(json.dumps(report_json_schema())), (
        "regenerate with: python -c 'import json; from bedrock_tuner.datasets.report import "
        "report_json_schema as s; print(json.dumps(s(), indent=2, sort_keys=True))' > "
        "layers/core/bedrock_tuner/datasets/report.schema.json"
    )
