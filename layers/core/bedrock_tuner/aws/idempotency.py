"""Powertools idempotency, built at call time (importing a handler never needs AWS).

``run_idempotently("on_dataset_uploaded", fn, data, table=...)`` calls ``fn(data=data)``
once per distinct ``data`` (hashed) within the expiry window; a repeat returns the stored
result. A failing call leaves no record, so a retry runs again. The persistence layer is
cheap and uses the shared, lazily built DynamoDB client, so building it per call lets
``fn`` be a closure over the invocation's adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client

__all__ = ["EXPIRES_AFTER_SECONDS", "run_idempotently"]

EXPIRES_AFTER_SECONDS = 7 * 24 * 3600  # EventBridge retries for up to 24 h; keep a week


def run_idempotently(
    name: str,
    fn: Callable[..., dict[str, Any]],
    data: dict[str, Any],
    *,
    table: str,
    key_jmespath: str | None = None,
    context: Any = None,
    expires_after_seconds: int = EXPIRES_AFTER_SECONDS,
) -> dict[str, Any]:
    """Call ``fn(data=data)`` at most once per key: ``name#<md5>`` of ``data``, or of the
    part of it that ``key_jmespath`` selects."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(
        table_name=table, boto3_client=default_client("dynamodb")
    )
    config = IdempotencyConfig(
        event_key_jmespath=key_jmespath or "",
        expires_after_seconds=expires_after_seconds,
        raise_on_no_idempotency_key=True,
    )
    if context is not None:
        config.register_lambda_context(context)
    wrapped = idempotent_function(
        data_keyword_argument="data",
        persistence_store=persistence,
        config=config,
        key_prefix=name,
    )(fn)
    result: dict[str, Any] = wrapped(data=data)
    return result
