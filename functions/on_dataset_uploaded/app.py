"""on_dataset_uploaded — EventBridge ``aws.s3`` "Object Created" under ``datasets/`` or
``pipelines/``.

A dataset (``datasets/<pipeline>/…jsonl``): resolves the pipeline spec, records the run and
starts one execution per object version (idempotent on bucket + key + versionId/ETag). A
missing or bad spec sends a ``spec_error`` notification and starts nothing.

A pipeline spec (``pipelines/<name>.yaml``): checks it at once (a ``spec_error``
notification names every problem) and subscribes its ``notify.emails`` to the topic.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_tuner.aws.idempotency import run_idempotently
from bedrock_tuner.deps import default_deps
from bedrock_tuner.models.payloads import DatasetInput
from bedrock_tuner.observability import correlation_paths, logger, metrics, tracer
from bedrock_tuner.pipeline.events import S3ObjectCreatedEvent, parse_event
from bedrock_tuner.pipeline.spec import PIPELINES_PREFIX
from bedrock_tuner.pipeline.uploads import handle_dataset_uploaded, handle_spec_uploaded


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = parse_event(event, S3ObjectCreatedEvent).detail
    dataset = DatasetInput(
        bucket=detail.bucket.name,
        key=detail.object.key,
        version_id=detail.object.version_id,
        etag=detail.object.etag,
        size=int(detail.object.size) if detail.object.size is not None else None,
    )
    deps = default_deps()
    if dataset.key.startswith(PIPELINES_PREFIX):
        return run_idempotently(
            "on_spec_uploaded",
            lambda data: handle_spec_uploaded(data["bucket"], data["key"], deps).wire(),
            dataset.wire(),
            key_jmespath="[bucket, key, versionId || etag]",
            table=deps.settings.idempotency_table,
            context=context,
        )
    requester = detail.requester  # an account id (or service principal), not a person
    return run_idempotently(
        "on_dataset_uploaded",
        lambda data: handle_dataset_uploaded(
            DatasetInput.model_validate(data), deps, uploaded_by=requester
        ).wire(),
        dataset.wire(),
        key_jmespath="[bucket, key, versionId || etag]",
        table=deps.settings.idempotency_table,
        context=context,
    )
