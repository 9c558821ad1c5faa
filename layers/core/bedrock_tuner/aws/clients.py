"""Lazily built, cached boto3 clients with retries for throttling.

Clients are built on first use (never at import), so moto or a local endpoint set up by a
test or by the local cloud is honoured. ``AWS_ENDPOINT_URL`` is read by botocore itself.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the boto3 stubs (dev only: the layer ships none)
    from botocore.config import _RetryDict

# The services the functions call (the stubs type a client by its literal service name).
Service = Literal["bedrock", "dynamodb", "s3", "secretsmanager", "sns", "ssm", "stepfunctions"]

RETRY_CONFIG: _RetryDict = {"mode": "standard", "max_attempts": 8}
# Services whose throttling the workflow retries (Step Functions waits cost nothing; a Lambda
# sleeping through SDK back-off does): one SDK retry, then the named error reaches Retry.
WORKFLOW_RETRIED: dict[str, _RetryDict] = {"bedrock": {"mode": "standard", "max_attempts": 2}}


@functools.cache
def client(service: Service, region: str | None = None) -> Any:
    """A boto3 client for ``service`` with standard retries (throttling, 5xx, timeouts)."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries=WORKFLOW_RETRIED.get(service, RETRY_CONFIG), connect_timeout=5, read_timeout=60
    )
    return boto3.session.Session().client(service, region_name=region, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials)."""
    client.cache_clear()
