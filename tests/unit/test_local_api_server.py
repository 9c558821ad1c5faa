"""The local API front's translation: HTTP request → API Gateway REST proxy event, and the
function's answer (or failure) → HTTP response. Pure: no sockets."""

from __future__ import annotations

import base64
import json

from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from bedrock_tuner_localcloud.api_server import (
    LOCAL_USER_ARN,
    _response_of,
    proxy_event,
)


def test_a_get_with_repeated_query_parameters() -> None:
    event = proxy_event(
        "GET", "/runs?pipeline=a&status=FAILED&status=SUCCEEDED", [("Accept", "*/*")], b""
    )
    APIGatewayProxyEventModel.model_validate(event)  # the real shape
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "runs"}
    assert event["queryStringParameters"] == {"pipeline": "a", "status": "SUCCEEDED"}
    assert event["multiValueQueryStringParameters"]["status"] == ["FAILED", "SUCCEEDED"]
    assert event["requestContext"]["identity"]["userArn"] == LOCAL_USER_ARN
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_a_json_body_is_text_and_a_binary_body_is_base64() -> None:
    body = json.dumps({"spec": "base_model: x"}).encode()
    event = proxy_event("PUT", "/pipelines/a", [("Content-Type", "application/json")], body)
    assert event["body"] == body.decode() and not event["isBase64Encoded"]
    raw = bytes(range(256))
    binary = proxy_event("POST", "/x", [("Content-Type", "application/octet-stream")], raw)
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == raw


def test_the_root_is_its_own_resource() -> None:
    event = proxy_event("GET", "/", [], b"")
    assert event["resource"] == "/" and event["pathParameters"] is None


def test_a_failed_function_is_a_502_problem() -> None:
    response = _response_of(b'{"errorType": "Sandbox.Timedout"}', "Unhandled", "/runs")
    assert response["statusCode"] == 502
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"])["code"] == "BT_LAMBDA_ERROR"
    assert _response_of(b"not json", None, "/")["statusCode"] == 502
    ok = {"statusCode": 200, "body": "{}"}
    assert _response_of(json.dumps(ok).encode(), None, "/") == ok
