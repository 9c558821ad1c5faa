"""Who is calling: the IAM principal API Gateway authenticated (SigV4)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from bedrock_tuner.errors import ForbiddenError

__all__ = ["ANONYMOUS", "authenticated_principal", "caller_of", "new_router", "principal_of"]

ANONYMOUS = "anonymous"


def authenticated_principal(event: APIGatewayProxyEvent) -> str | None:
    """The principal API Gateway's IAM authorization identified: ``identity.userArn`` (an
    IAM user, or ``arn:aws:sts::<account>:assumed-role/<role>/<session>``), else
    ``identity.caller``; ``None`` when the method was not called with IAM auth."""
    identity = event.request_context.identity
    return identity.user_arn or identity.caller or None


def caller_of(event: APIGatewayProxyEvent) -> str:
    """``requestContext.identity.userArn`` (IAM auth), else the access key, else anonymous."""
    identity = event.request_context.identity
    return authenticated_principal(event) or identity.access_key or ANONYMOUS


def principal_of(event: APIGatewayProxyEvent) -> str:
    """The authenticated principal, for decisions recorded in its name (approvals).

    Raises
    ------
    ForbiddenError
        The request carries no IAM identity (the method is not behind ``AWS_IAM``).
    """
    principal = authenticated_principal(event)
    if principal is None:
        raise ForbiddenError(
            "the request carries no authenticated IAM principal, and a decision is recorded "
            "in its name",
            fix="call the stack's API, whose methods use AWS_IAM authorization, with "
            "SigV4-signed requests (`bedrock-tuner ... --stack NAME` signs them)",
        )
    return principal


def new_router() -> APIGatewayRouter:
    """A router whose ``current_event`` is an API Gateway REST proxy event."""
    return APIGatewayRouter()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__
