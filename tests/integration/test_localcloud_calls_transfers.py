"""boto3's managed transfers run their parts on worker threads: the call hook still sees each
part as made by the function (the IAM checks depend on it: a multipart upload is
``s3:PutObject`` on every part)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

moto = pytest.importorskip("moto")

from bedrock_tuner_localcloud.calls import Call, add_interceptor, running_function  # noqa: E402


@moto.mock_aws
def test_every_part_of_a_managed_transfer_is_seen_as_the_functions(tmp_path: Path) -> None:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    s3.create_bucket(Bucket="data-b")
    data = tmp_path / "big.jsonl"
    data.write_bytes(b"x" * (6 * 1024 * 1024))  # two parts of 5 MiB and the rest
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, max_concurrency=2)
    seen: list[Call] = []
    remove = add_interceptor(seen.append)
    try:
        with running_function("ValidateDatasetFunction"):
            s3.upload_file(str(data), "data-b", "work/big.jsonl", Config=config)
            s3.copy({"Bucket": "data-b", "Key": "work/big.jsonl"}, "data-b", "work/copy.jsonl")
    finally:
        remove()
    operations = [c.operation for c in seen]
    assert {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} <= set(operations)
    assert "HeadObject" in operations  # the managed copy's look at its source
    assert {c.function for c in seen} == {"ValidateDatasetFunction"}
