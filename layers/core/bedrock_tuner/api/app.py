"""The resolver: routes, request validation, problem details, OpenAPI and Swagger UI.

``functions/api/app.py`` calls ``app.resolve(event, context)``; ``bedrock_tuner.api.openapi``
prints the OpenAPI 3.1 document built from the same resolver (``docs/openapi.json``).
"""

from __future__ import annotations

import json
import traceback
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, Server, Tag
from pydantic import ValidationError

from bedrock_tuner.api.problems import problem, problem_for_error
from bedrock_tuner.api.routes import (
    aliases,
    approvals,
    catalog,
    datasets,
    models,
    pipelines,
    runs,
)
from bedrock_tuner.errors import BedrockTunerError
from bedrock_tuner.observability import logger

__all__ = ["API_VERSION", "OPENAPI_INFO", "app", "build_resolver"]

API_VERSION = "1.0.0"
OPENAPI_INFO: dict[str, Any] = {
    "title": "bedrock-tuner API",
    "version": API_VERSION,
    "summary": "Amazon Bedrock model customization: pipelines, runs, approvals, models",
    "description": "Every route needs AWS SigV4 (IAM) authorization; errors are RFC 9457 "
    "problem details (application/problem+json) with the domain error's code. See docs/api.md.",
    "tags": [
        Tag(name="pipelines", description="pipeline specs (`pipelines/<name>.yaml`)"),
        Tag(name="runs", description="runs: one per dataset object version"),
        Tag(name="datasets", description="validate a dataset on demand"),
        Tag(name="approvals", description="runs waiting for a person"),
        Tag(name="models", description="model families, versions, aliases"),
        Tag(name="catalog", description="base models, prices, cost estimates"),
    ],
    "servers": [Server(url="/v1", description="the API Gateway stage")],
    # API Gateway's IAM authorization: an AWS Signature Version 4 `Authorization` header.
    "security_schemes": {
        "sigv4": APIKey.model_validate(
            {
                "type": "apiKey",
                "in": APIKeyIn.header,
                "name": "Authorization",
                "description": "AWS Signature Version 4 (IAM); sign with awscurl, the SDKs or "
                "`bedrock-tuner --stack`",
                "openapi_extensions": {"x-amazon-apigateway-authtype": "awsSigv4"},
            }
        )
    },
    "security": [{"sigv4": []}],
}
_ROUTERS = (pipelines, runs, datasets, approvals, models, aliases, catalog)


def _instance(app: APIGatewayRestResolver) -> str | None:
    try:
        return str(app.current_event.path)
    except (AttributeError, KeyError):  # no current event (e.g. building the schema)
        return None


def build_resolver() -> APIGatewayRestResolver:
    """A fresh resolver with every route, the error handlers, OpenAPI and Swagger UI."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.configure_openapi(**OPENAPI_INFO)
    # Swagger UI finds its server from the request (the stage, when in the path).
    swagger = {key: value for key, value in OPENAPI_INFO.items() if key != "servers"}
    app.enable_swagger(path="/docs", **swagger)
    for module in _ROUTERS:
        app.include_router(module.router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(
            status_code=200,
            content_type="application/json",
            body=app.get_openapi_json_schema(**OPENAPI_INFO),
        )

    def on_domain_error(error: BedrockTunerError) -> Response[str]:
        response = problem_for_error(error, _instance(app))
        log = logger.exception if response.status_code >= 500 else logger.info
        log("request failed", extra={"code": error.code, "status": response.status_code})
        return response

    def invalid_request(details: Any) -> Response[str]:
        """422 for request parts the API's models refuse (Powertools' or a route's own)."""
        errors = [
            {
                "location": ".".join(str(part) for part in item.get("loc", ())) or "value",
                "message": item.get("msg", ""),
                "type": item.get("type", ""),
            }
            for item in details
        ]
        listed = "; ".join(f"{item['location']}: {item['message']}" for item in errors)
        return problem(
            422,
            code="BT_INVALID_REQUEST",
            detail=f"the request does not fit the API: {listed}",
            instance=_instance(app),
            fix="see the OpenAPI document (/openapi.json) or Swagger UI (/docs)",
            errors=json.loads(json.dumps(errors, default=str)),
        )

    def on_invalid_request(error: RequestValidationError) -> Response[str]:
        return invalid_request(error.errors())

    @app.not_found
    def on_not_found(_: Exception) -> Response[str]:
        event = app.current_event
        return problem(
            404,
            code="BT_ROUTE_NOT_FOUND",
            detail=f"no route {event.http_method} {event.path}",
            instance=event.path,
            fix="see the routes in Swagger UI (/docs)",
        )

    def on_unsupported_media(_: RequestUnsupportedContentType) -> Response[str]:
        return unsupported_media()

    def unsupported_media() -> Response[str]:
        return problem(
            415,
            code="BT_UNSUPPORTED_MEDIA_TYPE",
            detail="the request body must be JSON",
            instance=_instance(app),
            fix="send Content-Type: application/json",
        )

    def on_bad_body(error: ValueError) -> Response[str]:
        # Powertools' request parsing raises ValueError for a body it cannot read (e.g. a
        # multipart Content-Type without a boundary); anything else is a bug: a 500.
        frames = traceback.extract_tb(error.__traceback__)
        ours = any("bedrock_tuner" in frame.filename for frame in frames)
        if not frames or ours:
            return on_unexpected(error)
        if "multipart" in str(error):
            return unsupported_media()
        return problem(
            400,
            code="BT_INVALID_BODY",
            detail="the request body is not valid UTF-8 JSON",
            instance=_instance(app),
            fix="send a JSON body (Content-Type: application/json)",
        )

    def on_invalid_value(error: ValidationError) -> Response[str]:
        # A value the route's own models refuse (e.g. a path parameter too short for an id).
        return invalid_request(error.errors())

    def on_unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error", extra={"error": type(error).__name__})
        request_id = app.lambda_context.aws_request_id if app.lambda_context else None
        return problem(
            500,
            code="BT_INTERNAL",
            detail=f"an unexpected error occurred (request {request_id})",
            instance=_instance(app),
            fix="retry later; if it persists, give the operators the request id",
        )

    def on_recursion(_: RecursionError) -> Response[str]:
        # Python's JSON parser recurses: 100,000 brackets are a RecursionError (D10)
        return problem(
            400,
            code="BT_INVALID_BODY",
            detail="the request is nested too deeply to read",
            instance=_instance(app),
            fix="send the JSON the route documents (see /openapi.json)",
        )

    app.exception_handler(RecursionError)(on_recursion)
    app.exception_handler(BedrockTunerError)(on_domain_error)
    app.exception_handler(RequestValidationError)(on_invalid_request)
    app.exception_handler(RequestUnsupportedContentType)(on_unsupported_media)
    app.exception_handler(ValidationError)(on_invalid_value)
    app.exception_handler(ValueError)(on_bad_body)
    app.exception_handler(Exception)(on_unexpected)
    return app


app = build_resolver()
