"""docs/openapi.json is the document the code generates (the CI check), OpenAPI 3.1, with
every route, IAM (SigV4) security, and problem details for validation errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_tuner.api.openapi import openapi_document, openapi_text

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"

ROUTES = {
    ("get", "/pipelines"),
    ("get", "/pipelines/{name}"),
    ("put", "/pipelines/{name}"),
    ("delete", "/pipelines/{name}"),
    ("post", "/runs"),
    ("get", "/runs"),
    ("get", "/runs/{run_id}"),
    ("post", "/runs/{run_id}/stop"),
    ("post", "/runs/{run_id}/recover"),
    ("post", "/datasets/validate"),
    ("get", "/approvals"),
    ("post", "/approvals/{run_id}"),
    ("get", "/models"),
    ("get", "/models/{family}/versions"),
    ("get", "/models/{family}/versions/{version}"),
    ("get", "/models/{family}/compare"),
    ("get", "/models/{family}/aliases/{alias}"),
    ("put", "/models/{family}/aliases/{alias}"),
    ("post", "/models/{family}/aliases/{alias}/rollback"),
    ("get", "/models/{family}/aliases/{alias}/history"),
    ("get", "/catalog"),
    ("get", "/catalog/{model_id}"),
    ("post", "/estimate"),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == openapi_text(), (
        "docs/openapi.json is stale: run `python -m bedrock_tuner.api.openapi > docs/openapi.json`"
    )


def test_it_is_openapi_3_1_with_every_route(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    routes = {(method, path) for path, item in document["paths"].items() for method in item}
    assert routes == ROUTES
    assert "/docs" not in document["paths"] and "/openapi.json" not in document["paths"]


def test_every_operation_is_summarised_and_tagged(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary") and operation.get("tags"), (method, path)


def test_iam_sigv4_is_the_security_of_the_api(document: dict[str, Any]) -> None:
    assert document["security"] == [{"sigv4": []}]
    scheme = document["components"]["securitySchemes"]["sigv4"]
    assert scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert document["servers"][0]["url"] == "/v1"


def test_request_bodies_are_described_by_models(document: dict[str, Any]) -> None:
    put = document["paths"]["/pipelines/{name}"]["put"]
    schema = put["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/PipelineBody")
    body = document["components"]["schemas"]["PipelineBody"]
    assert body["required"] == ["spec"]


def test_the_document_is_plain_json() -> None:
    json.loads(COMMITTED.read_text())  # parses; no NaN, no trailing garbage
