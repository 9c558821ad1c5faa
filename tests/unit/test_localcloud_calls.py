"""The local cloud's call hook: interceptors see the calls a function makes, nothing else."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bedrock_tuner_localcloud.calls import Call, add_interceptor, client_error, running_function


def _client() -> tuple[object, Stubber]:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stub = Stubber(s3)
    stub.add_response("list_buckets", {"Buckets": []})
    stub.activate()
    return s3, stub


def test_only_calls_made_inside_a_function_are_seen() -> None:
    seen: list[Call] = []
    remove = add_interceptor(seen.append)
    try:
        s3, _ = _client()
        s3.list_buckets()  # type: ignore[attr-defined]
        assert seen == []
        s3, _ = _client()
        with running_function("ValidateDatasetFunction"):
            s3.list_buckets()  # type: ignore[attr-defined]
        [call] = seen
        assert (call.function, call.service, call.operation) == (
            "ValidateDatasetFunction",
            "s3",
            "ListBuckets",
        )
    finally:
        remove()


def test_an_interceptor_fails_the_call_as_aws_would() -> None:
    def deny(call: Call) -> None:
        raise client_error("AccessDenied", "no", call.operation, status=403)

    remove = add_interceptor(deny)
    try:
        s3, _ = _client()
        with running_function("NotifyFunction"), pytest.raises(ClientError) as caught:
            s3.list_buckets()  # type: ignore[attr-defined]
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        remove()
    s3, _ = _client()
    with running_function("NotifyFunction"):
        s3.list_buckets()  # type: ignore[attr-defined]  # removed: the call goes through
