"""Fixtures for the template invariants: the SAM template as written, the same template
translated to CloudFormation offline (the SAM translator, no AWS call), the ASL, and the
contract lists of docs/pipeline.md."""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from bedrock_tuner_localcloud.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ASL = ROOT / "statemachine" / "customization.asl.json"
PIPELINE_DOC = ROOT / "docs" / "pipeline.md"


class _NoManagedPolicyLookups:
    """The translator ships AWS's managed policy ARNs; this loader is never asked for more
    (and would never call IAM)."""

    def load(self) -> dict[str, str]:
        return {}


def translate(sam: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """SAM → CloudFormation offline. Local code locations become S3 placeholders first (the
    translator accepts only S3 URIs); the definition's substitutions are kept as written."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    sam = copy.deepcopy(sam)
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://artifacts/function.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://artifacts/layer.zip"
        elif resource["Type"] == "AWS::Serverless::StateMachine":
            props["DefinitionUri"] = "s3://artifacts/customization.asl.json"
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):
        try:
            return transform(sam, dict(parameters or {}), _NoManagedPolicyLookups())  # type: ignore[arg-type]
        except InvalidDocumentException as exc:
            pytest.fail("SAM translation failed: " + "; ".join(c.message for c in exc.causes))


@dataclass(frozen=True)
class Contract:
    """The names docs/pipeline.md promises (section "Template names … and environment")."""

    logical_ids: frozenset[str]
    parameters: dict[str, str | None]  # name -> documented default (None: no default given)
    substitutions: frozenset[str]
    global_env: frozenset[str]
    only_env: dict[str, frozenset[str]]  # variable -> the functions that get it


def _paragraph(text: str, start: str) -> str:
    index = text.index(start)
    end = text.find("\n\n", index)
    return text[index : end if end != -1 else len(text)]


def _strip_parentheses(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


def parse_contract(doc: str) -> Contract:
    section = doc[doc.index("## Template names") :]
    logical_ids: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            logical_ids.update(re.findall(r"`(\w+)`", _strip_parentheses(first_cell)))

    parameters: dict[str, str | None] = {}
    params_text = _paragraph(section, "Parameters:")
    for match in re.finditer(r"`(\w+)`(?:\s*\(((?:[^()]|\([^()]*\))*)\))?", params_text):
        default = match.group(2)
        parameters[match.group(1)] = default.strip("` ") if default is not None else None

    substitutions = frozenset(
        re.findall(r"`(\w+)`", _paragraph(section, "State machine substitutions:"))
    )

    env_text = _paragraph(section, "Environment of every function")
    common, _, special = env_text.partition("Only ")
    global_env = frozenset(re.findall(r"`([A-Z][A-Z0-9_]+)`", common))
    only_env: dict[str, frozenset[str]] = {}
    for clause in _strip_parentheses(special).split(";"):
        match = re.search(r"^(.*?)\sgets?\s+`([A-Z][A-Z0-9_]+)`", clause, re.S)
        if match:
            only_env[match.group(2)] = frozenset(re.findall(r"`(\w+Function)`", match.group(1)))
    return Contract(frozenset(logical_ids), parameters, substitutions, global_env, only_env)


@pytest.fixture(scope="session")
def sam() -> dict[str, Any]:
    """template.yaml as written."""
    return load_yaml(TEMPLATE)


@pytest.fixture(scope="session")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    """template.yaml translated by the SAM translator (what CloudFormation deploys)."""
    return translate(sam)


@pytest.fixture(scope="session")
def asl_text() -> str:
    return ASL.read_text()


@pytest.fixture(scope="session")
def asl(asl_text: str) -> dict[str, Any]:
    data = json.loads(asl_text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def contract() -> Contract:
    return parse_contract(PIPELINE_DOC.read_text())
