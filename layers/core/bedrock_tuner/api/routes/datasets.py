"""``/datasets/validate``: validate an S3 object on demand and return the report."""

from __future__ import annotations

from typing import Any

import msgspec

from bedrock_tuner.api.context import new_router
from bedrock_tuner.api.models import ValidateBody
from bedrock_tuner.aws.s3 import parse_s3_uri
from bedrock_tuner.datasets.report import report_json
from bedrock_tuner.datasets.validate import validate_dataset
from bedrock_tuner.deps import default_deps
from bedrock_tuner.errors import DatasetNotFoundError
from bedrock_tuner.pipeline.validation import REPORT_SUFFIX

router = new_router()


@router.post(
    "/datasets/validate",
    summary="Validate a dataset in S3 for a model and return the report",
    tags=["datasets"],
)
def validate(body: ValidateBody) -> dict[str, Any]:
    deps = default_deps()
    bucket, key = parse_s3_uri(body.uri)
    if deps.s3.head(bucket, key) is None:
        raise DatasetNotFoundError(f"{body.uri} does not exist", fix="check the bucket and key")
    report = validate_dataset(
        deps.s3.source(body.uri),
        model_id=body.model,
        customization_type=body.customization_type,
        validation=deps.s3.source(body.validation_uri) if body.validation_uri else None,
        hyperparameters=body.hyperparameters,
        media_bucket=bucket,
    )
    document: dict[str, Any] = msgspec.to_builtins(report)
    if body.write_report:
        report_key = key + REPORT_SUFFIX
        deps.s3.put_bytes(bucket, report_key, report_json(report))
        document["reportUri"] = f"s3://{bucket}/{report_key}"
    return document
