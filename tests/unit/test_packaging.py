"""The layer's requirements come from the lock; the package data and the committed report
schema stay in step."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker

from bedrock_tuner.datasets.report import report_json_schema

ROOT = Path(__file__).resolve().parents[2]


# The Lambda runtime the layer is built for (template.yaml: python3.13 on arm64).
LAMBDA_MARKERS = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
}
# Installed by the CLI, the local cloud or the tests, never by Lambda.
NOT_RUNTIME = {
    "rich",
    "moto",
    "aws-sam-translator",
    "werkzeug",
    "flask",
    "flask-cors",
    "awscli",
    "pytest",
    "hypothesis",
    "orjson",
    "psutil",
    "schemathesis",
    "mypy",
    "ruff",
    "uv",
}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text.strip()).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[_name(name.split("[", 1)[0])] = version.strip()
    return out


@dataclass
class Locked:
    name: str
    version: str
    marker: Marker | None
    via: set[str] = field(default_factory=set)


def _lock() -> list[Locked]:
    """requirements.lock: every pin, its environment marker and what requires it."""
    entries: list[Locked] = []
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            requirement, _, marker = line.partition(";")
            name, version = requirement.split("==", 1)
            entries.append(
                Locked(_name(name), version.strip(), Marker(marker) if marker.strip() else None)
            )
        elif entries and line.startswith("    #"):
            via = line.strip().removeprefix("#").strip().removeprefix("via").strip()
            if via and not via.startswith(("(", "-")):
                entries[-1].via.add(_name(via.split(" ", 1)[0]))
    return entries


def _in_lambda(entry: Locked) -> bool:
    return entry.marker is None or entry.marker.evaluate(LAMBDA_MARKERS)


def _layer_closure(entries: list[Locked]) -> dict[str, str]:
    """The lock's pins that bedrock-tuner-core needs on the Lambda runtime."""
    needed = {"bedrock-tuner-core"}
    pins: dict[str, str] = {}
    grew = True
    while grew:
        grew = False
        for entry in entries:
            if entry.name not in needed and entry.via & needed and _in_lambda(entry):
                needed.add(entry.name)
                pins[entry.name] = entry.version
                grew = True
    return pins


def _layer() -> dict[str, str]:
    return _pins((ROOT / "layers/core/requirements.txt").read_text().splitlines())


def _project(path: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / path).read_text())


def test_layer_requirements_are_generated_from_the_lock() -> None:
    expected = _layer_closure(_lock())
    assert expected, "requirements.lock names nothing that bedrock-tuner-core needs"
    assert _layer() == expected, (
        "layers/core/requirements.txt must pin exactly what requirements.lock resolves for "
        "bedrock-tuner-core on python3.13/arm64: run `make lock`"
    )


def test_layer_requirements_keep_the_declared_pins() -> None:
    declared = _pins(_project("layers/core/pyproject.toml")["project"]["dependencies"])
    layer = _layer()
    assert {name: layer.get(name) for name in declared} == declared
    assert "boto3" in layer, "the layer bundles the boto3 its code was tested with"


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("layers/core/pyproject.toml", ("project", "dependencies")),
        ("localcloud/pyproject.toml", ("project", "dependencies")),
        ("cli/pyproject.toml", ("project", "dependencies")),
        ("pyproject.toml", ("dependency-groups", "dev")),
    ],
)
def test_the_lock_has_every_declared_pin(path: str, where: tuple[str, str]) -> None:
    declared = _pins(_project(path)[where[0]][where[1]])
    locked = {entry.name: entry.version for entry in _lock()}
    stale = {
        name: (version, locked.get(name))
        for name, version in declared.items()
        if not name.startswith("bedrock-tuner") and locked.get(name) != version
    }
    assert not stale, f"{path} pins what requirements.lock does not: run `make lock` ({stale})"


def test_layer_has_no_cli_or_test_only_dependencies() -> None:
    assert not NOT_RUNTIME & _layer().keys()


# Each distribution's folder holds its package, its pyproject.toml and (the layer) the
# generated requirements; nothing of another distribution.
DISTRIBUTION_FOLDERS = {
    "layers/core": {"bedrock_tuner", "pyproject.toml", "requirements.txt"},
    "localcloud": {"bedrock_tuner_localcloud", "pyproject.toml"},
    "cli": {"bedrock_tuner_cli", "pyproject.toml"},
}
# What the runtime may never import (the other distributions and what only they use).
NOT_RUNTIME_IMPORTS = ("bedrock_tuner_cli", "bedrock_tuner_localcloud", "moto", "samtranslator")


@pytest.mark.parametrize("folder", sorted(DISTRIBUTION_FOLDERS))
def test_each_distribution_folder_holds_its_own_package_only(folder: str) -> None:
    entries = {
        path.name
        for path in (ROOT / folder).iterdir()
        if not path.name.endswith(".egg-info") and path.name != "__pycache__"
    }
    assert entries == DISTRIBUTION_FOLDERS[folder]


def test_the_layer_source_is_the_runtime_only() -> None:
    package = ROOT / "layers/core/bedrock_tuner"
    assert not {p.name for p in package.iterdir()} & {"cli", "client", "localcloud"}
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] in NOT_RUNTIME_IMPORTS
            ]
    assert not offenders


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
