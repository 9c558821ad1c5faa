"""The API through the local HTTP front (HTTP → API Gateway proxy event → ApiFunction) on the
local cloud, as a person with a browser or curl uses it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bedrock_tuner_localcloud.server import LocalCloud


def fetch(url: str, *, method: str = "GET", body: Any = None) -> tuple[int, str, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def test_swagger_ui_is_served(cloud: LocalCloud, needs_handlers: None) -> None:
    status, content_type, body = fetch(cloud.api_url + "/docs")
    assert status == 200 and content_type.startswith("text/html")
    assert b"SwaggerUIBundle" in body and b'"openapi": "3.1' in body
    status, content_type, body = fetch(cloud.api_url + "/openapi.json")
    assert status == 200 and json.loads(body)["paths"]["/catalog"]


def test_catalog_works(cloud: LocalCloud, needs_handlers: None) -> None:
    status, content_type, body = fetch(cloud.api_url + "/catalog?customizationType=FINE_TUNING")
    assert status == 200 and content_type.startswith("application/json")
    assert any(model["id"].startswith("amazon.nova") for model in json.loads(body)["models"])


def test_unknown_route_is_problem_json(cloud: LocalCloud, needs_handlers: None) -> None:
    status, content_type, body = fetch(cloud.api_url + "/nope")
    assert status == 404 and content_type == "application/problem+json"
    assert json.loads(body)["code"] == "BT_ROUTE_NOT_FOUND"


def test_a_pipeline_put_through_http_is_in_the_bucket(
    cloud: LocalCloud, needs_handlers: None
) -> None:
    spec = "base_model: amazon.titan-text-express-v1:0:8k\n"
    status, _, body = fetch(
        cloud.api_url + "/pipelines/http-check", method="PUT", body={"spec": spec}
    )
    assert status == 200, body
    bucket = cloud.stack.physical_id("DataBucket")
    stored = cloud.client("s3").get_object(Bucket=bucket, Key="pipelines/http-check.yaml")
    assert stored["Body"].read().decode() == spec
    assert fetch(cloud.api_url + "/pipelines/http-check", method="DELETE")[0] == 204
    status, _, body = fetch(cloud.api_url + "/pipelines/http-check")
    assert status == 404 and json.loads(body)["code"] == "BT_PIPELINE_NOT_FOUND"
