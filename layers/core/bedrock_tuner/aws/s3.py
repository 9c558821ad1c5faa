"""S3 adapter for datasets: ranged, streamed reads; errors turned into domain errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.datasets.reader import DataSource, Readable
from bedrock_tuner.errors import DatasetSourceError


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); raises DatasetSourceError when malformed."""
    if not uri.startswith("s3://"):
        raise DatasetSourceError(f"not an S3 URI: {uri}", fix="Use s3://bucket/key.")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise DatasetSourceError(
            f"incomplete S3 URI: {uri}", fix="Use s3://bucket/key (both parts)."
        )
    return bucket, key


def _source_error(uri: str, exc: Exception) -> DatasetSourceError:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    if code in {"NoSuchKey", "404", "NotFound"}:
        return DatasetSourceError(
            f"{uri} does not exist", fix="Check the bucket and key (aws s3 ls)."
        )
    if code in {"NoSuchBucket"}:
        return DatasetSourceError(
            f"the bucket of {uri} does not exist", fix="Check the bucket name."
        )
    if code in {"AccessDenied", "403", "Forbidden"}:
        return DatasetSourceError(
            f"access denied to {uri}", fix="Grant s3:GetObject on the object to your credentials."
        )
    name = type(exc).__name__
    if name in {"NoCredentialsError", "PartialCredentialsError"}:
        return DatasetSourceError(
            "no AWS credentials found", fix="Configure credentials (aws configure, AWS_PROFILE)."
        )
    return DatasetSourceError(f"cannot read {uri}: {exc}")


def s3_source(uri: str, *, client_factory: Callable[[], Any] | None = None) -> DataSource:
    """A :class:`DataSource` for an S3 object (HEAD now, ranged GETs when opened)."""
    bucket, key = parse_s3_uri(uri)
    s3 = client_factory() if client_factory else default_client("s3")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        raise _source_error(uri, exc) from exc
    size = int(head["ContentLength"])

    def open_range(start: int, end: int | None) -> Readable:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if start or end is not None:
            last = (end if end is not None else size) - 1
            if last < start:
                return _Empty()
            kwargs["Range"] = f"bytes={start}-{last}"
        try:
            body: Readable = s3.get_object(**kwargs)["Body"]
        except Exception as exc:
            raise _source_error(uri, exc) from exc
        return body

    return DataSource(uri=uri, size=size, bucket=bucket, opener=open_range)


class _Empty:
    def read(self, n: int = -1, /) -> bytes:
        return b""
