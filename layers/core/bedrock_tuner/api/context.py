"""Who is calling: the IAM principal API Gateway authenticated (SigV4)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

__all__ = ["ANONYMOUS", "caller_of", "new_router"]

ANONYMOUS = "anonymous"


def caller_of(event: APIGatewayProxyEvent) -> str:
    """``requestContext.identity.userArn`` (IAM auth), else the access key, else anonymous."""
    identity = event.request_context.identity
    return identity.user_arn or identity.caller or identity.access_key or ANONYMOUS


def new_router() -> APIGatewayRouter:
    """A router whose ``current_event`` is an API Gateway REST proxy event."""
    return APIGatewayRouter()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__
