"""``bedrock-tuner validate s3://…``: the dataset read from S3 (moto), sequentially and with
workers; missing keys and buckets are coded errors. (The command line without AWS:
tests/unit/test_cli.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bedrock_tuner.datasets import reader
from factories import (
    BUCKET,
    NOVA_LITE,
    TITAN_LITE,
    conversation,
    image,
    message,
    nova_record,
)
from unit.test_cli import pcs, problems_of, run


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything in a report but its timestamp and notes."""
    return {
        "summary": doc["summary"],
        "files": doc["files"],
        "problems": doc["problems"],
        "cost": doc["cost"],
    }


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _put(client: Any, key: str, records: list[Any]) -> str:
    body = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def test_s3_input(capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    records: list[Any] = pcs(6)
    records[4] = {"prompt": "", "completion": "x"}
    uri = _put(s3, "data/train.jsonl", records)
    code, out, _ = run(capsys, "validate", uri, "--model", TITAN_LITE, "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["files"][0]["uri"] == uri
    assert doc["summary"]["records"] == 6
    assert problems_of(doc)["E_EMPTY_TEXT"] == [5]


def test_s3_media_must_share_the_dataset_bucket(
    capsys: pytest.CaptureFixture[str], s3: Any
) -> None:
    # Given Nova records on S3: one image in the dataset's bucket, one in another bucket
    records: list[Any] = [nova_record(i) for i in range(8)]
    records[2] = conversation(
        2,
        messages=[
            message("user", "What?", image(f"s3://{BUCKET}/img/a.png")),
            message("assistant", "A cat."),
        ],
    )
    records[5] = conversation(
        5,
        messages=[
            message("user", "What?", image("s3://elsewhere/img/b.png")),
            message("assistant", "A dog."),
        ],
    )
    uri = _put(s3, "nova/train.jsonl", records)
    code, out, _ = run(capsys, "validate", uri, "--model", NOVA_LITE, "--json")
    doc = json.loads(out)
    # Then only the other bucket is reported, naming the dataset's bucket
    assert code == 1
    assert problems_of(doc).get("E_MEDIA_BUCKET") == [6]
    [p] = [p for p in doc["problems"] if p["code"] == "E_MEDIA_BUCKET"]
    assert BUCKET in p["examples"][0]["message"]
    # And --media-bucket overrides the dataset's bucket
    code, out, _ = run(
        capsys, "validate", uri, "--model", NOVA_LITE, "--json", "--media-bucket", "elsewhere"
    )
    assert problems_of(json.loads(out))["E_MEDIA_BUCKET"] == [3]


def test_s3_missing_key_exits_2(capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    code, out, err = run(capsys, "validate", f"s3://{BUCKET}/nope.jsonl", "--model", TITAN_LITE)
    assert code == 2
    assert out == ""
    assert err.startswith("error [BT_SOURCE]")
    assert "does not exist" in err
    assert "Traceback" not in err


def test_s3_missing_bucket_exits_2(capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    code, _, err = run(
        capsys, "validate", "s3://no-such-bucket-xyz/train.jsonl", "--model", TITAN_LITE
    )
    assert code == 2
    assert err.startswith("error [BT_SOURCE]")


def test_s3_incomplete_uri_exits_2(capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    code, _, err = run(capsys, "validate", f"s3://{BUCKET}", "--model", TITAN_LITE)
    assert code == 2
    assert "s3://bucket/key" in err


def test_s3_with_workers(
    capsys: pytest.CaptureFixture[str], s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    records: list[Any] = pcs(300)
    for i in (5, 150, 151, 299):
        records[i] = {"prompt": " " * (i % 7), "completion": f"x{i}"}
    uri = _put(s3, "big/train.jsonl", records)
    size = s3.head_object(Bucket=BUCKET, Key="big/train.jsonl")["ContentLength"]
    monkeypatch.setattr(reader, "CHUNK_BYTES", size // 3)
    args = ["validate", uri, "--model", TITAN_LITE, "--json"]
    _, out1, _ = run(capsys, *args)
    _, out2, _ = run(capsys, *args, "--workers", "2")
    assert _comparable(json.loads(out1)) == _comparable(json.loads(out2))
    assert problems_of(json.loads(out2))["E_EMPTY_TEXT"] == [6, 151, 152, 300]
