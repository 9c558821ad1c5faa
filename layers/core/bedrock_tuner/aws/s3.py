"""S3 adapter for datasets: ranged, streamed reads; errors turned into domain errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, retryable_error
from bedrock_tuner.errors import DatasetSourceError, ObjectTooLargeError
from bedrock_tuner.models.sources import DataSource, ObjectHead, Readable


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


def _read_error(uri: str, exc: Exception) -> Exception:
    """Throttling, 5xx and timeouts stay retryable (the workflow retries them); the rest is
    the object's problem (missing, denied)."""
    return retryable_error(exc, f"S3 {uri}") or _source_error(uri, exc)


def s3_source(
    uri: str,
    *,
    client_factory: Callable[[], Any] | None = None,
    version_id: str | None = None,
) -> DataSource:
    """A :class:`DataSource` for an S3 object (HEAD now, ranged GETs when opened).

    With ``version_id`` every read is pinned to that object version.
    """
    bucket, key = parse_s3_uri(uri)
    s3 = client_factory() if client_factory else default_client("s3")
    pinned: dict[str, Any] = {"VersionId": version_id} if version_id else {}
    try:
        head = s3.head_object(Bucket=bucket, Key=key, **pinned)
    except Exception as exc:
        raise _read_error(uri, exc) from exc
    size = int(head["ContentLength"])

    def open_range(start: int, end: int | None) -> Readable:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, **pinned}
        if start or end is not None:
            last = (end if end is not None else size) - 1
            if last < start:
                return _Empty()
            kwargs["Range"] = f"bytes={start}-{last}"
        try:
            body: Readable = s3.get_object(**kwargs)["Body"]
        except Exception as exc:
            raise _read_error(uri, exc) from exc
        return body

    return DataSource(uri=uri, size=size, bucket=bucket, opener=open_range)


class _Empty:
    def read(self, n: int = -1, /) -> bytes:
        return b""


# --------------------------------------------------------------------------- objects


_MISSING = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})
HASH_CHUNK = 8 << 20


class S3Objects:
    """The pipeline's S3 reads and writes: specs, reports, split files, job outputs.

    Errors become :class:`DatasetSourceError` (missing, denied), or
    ``ThrottlingError`` / ``TransientError`` when a retry may help.
    """

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("s3"))

    @property
    def _s3(self) -> Any:
        return self._factory()

    def _fail(self, uri: str, exc: Exception) -> Exception:
        return _read_error(uri, exc)

    def source(self, uri: str, *, version_id: str | None = None) -> DataSource:
        """A streaming :class:`DataSource` (pinned to ``version_id`` when given)."""
        return s3_source(uri, client_factory=self._factory, version_id=version_id)

    def head(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectHead | None:
        """The object's size, ETag and version, or ``None`` when it does not exist."""
        pinned: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key, **pinned)
        except Exception as exc:
            if error_code(exc) in _MISSING:
                return None
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc
        return ObjectHead(
            size=int(head.get("ContentLength", 0)),
            etag=str(head.get("ETag", "")).strip('"'),
            version_id=head.get("VersionId"),
        )

    def get_text(self, bucket: str, key: str, *, max_bytes: int | None = None) -> str | None:
        """The object as UTF-8 text, or ``None`` when it does not exist.

        With ``max_bytes``, an object larger than that is refused before it is read
        (:class:`ObjectTooLargeError`), so a huge file never fills a function's memory.
        """
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
            size = int(response.get("ContentLength") or 0)
            if max_bytes is not None and size > max_bytes:
                response["Body"].close()
                raise ObjectTooLargeError(
                    f"s3://{bucket}/{key} is {size:,} bytes, over the limit of {max_bytes:,}",
                    fix=f"keep it under {max_bytes // 1024:,} KiB",
                )
            data: bytes = response["Body"].read()
        except ObjectTooLargeError:
            raise
        except Exception as exc:
            if error_code(exc) in _MISSING:
                return None
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DatasetSourceError(
                f"s3://{bucket}/{key} is not UTF-8 text", fix="save the file as UTF-8"
            ) from exc

    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/json"
    ) -> str | None:
        """Write ``data``; returns the new version id (``None`` when unversioned)."""
        try:
            response = self._s3.put_object(
                Bucket=bucket, Key=key, Body=data, ContentType=content_type
            )
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc
        version = response.get("VersionId")
        return str(version) if version else None

    def put_json(self, bucket: str, key: str, document: Any) -> str | None:
        return self.put_bytes(bucket, key, json.dumps(document, indent=2).encode())

    def copy_version(
        self, bucket: str, key: str, version_id: str | None, dest_bucket: str, dest_key: str
    ) -> str | None:
        """Copy one version of an object (multipart above 5 GB, via boto3's managed copy);
        returns the copy's version id."""
        source: dict[str, str] = {"Bucket": bucket, "Key": key}
        if version_id:
            source["VersionId"] = version_id
        try:
            self._s3.copy(source, dest_bucket, dest_key)
            head = self._s3.head_object(Bucket=dest_bucket, Key=dest_key)
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc
        version = head.get("VersionId")
        return str(version) if version else None

    def upload_file(self, path: str, bucket: str, key: str) -> None:
        """Upload a local file (multipart for large files)."""
        try:
            self._s3.upload_file(path, bucket, key)
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc

    def delete(self, bucket: str, key: str) -> None:
        """Delete the current version of ``key`` (a delete marker in a versioned bucket)."""
        try:
            self._s3.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (recursively), in S3's order."""
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", []) or []:
                    yield str(item["Key"])
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{prefix}", exc) from exc

    def sha256(self, bucket: str, key: str, *, version_id: str | None = None) -> str:
        """SHA-256 of the object, streamed in chunks (constant memory)."""
        pinned: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        digest = hashlib.sha256()
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key, **pinned)["Body"]
            while chunk := body.read(HASH_CHUNK):
                digest.update(chunk)
        except Exception as exc:
            raise self._fail(f"s3://{bucket}/{key}", exc) from exc
        return digest.hexdigest()
