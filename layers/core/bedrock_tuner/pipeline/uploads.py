"""A dataset lands in S3: resolve its pipeline spec, record the run, start one execution.

Idempotent per object version: the run id comes from bucket/key/version, the execution name
from the run id (Step Functions refuses a second execution of a name), and the handler
wraps this in Powertools idempotency as well.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import BedrockTunerError, ObjectTooLargeError, SpecError
from bedrock_tuner.models.payloads import DatasetInput, ExecutionInput, ExecutionState
from bedrock_tuner.notify.messages import (
    render_bad_dataset_key,
    render_spec_error,
    render_spec_upload_error,
)
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.jobs import bedrock_uri_problem
from bedrock_tuner.pipeline.runs import (
    DatasetRef,
    Run,
    RunStatus,
    Step,
    execution_name_for,
    normalise_etag,
    retry_run_id,
    run_id_for,
)
from bedrock_tuner.pipeline.spec import (
    SPEC_MAX_BYTES,
    PipelineSpec,
    check_pipeline_name,
    parse_spec,
    pipeline_name_for_key,
    pipeline_name_for_spec_key,
    spec_keys_for,
)
from bedrock_tuner.pipeline.tenancy import check_spec_access, shared_prefix_of
from bedrock_tuner.pipeline.validation import REPORT_SUFFIX

__all__ = [
    "SpecUploadOutcome",
    "UploadOutcome",
    "handle_dataset_uploaded",
    "handle_spec_uploaded",
    "publish_notification",
]


class UploadOutcome(BaseModel):
    """What ``on_dataset_uploaded`` did with one object (camelCase on the wire)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    status: Literal["started", "duplicate", "ignored", "spec_error", "rejected"]
    reason: str
    run_id: str | None = None
    pipeline: str | None = None
    execution_arn: str | None = None
    retry_of: str | None = None  # a retry: the run it retries

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def publish_notification(deps: Deps, note: Any, *, email_text: str | None = None) -> str:
    """Publish a rendered notification to the topic; returns the message id."""
    message_id = deps.sns.publish(
        deps.settings.topic_arn,
        message=note.model_dump(mode="json"),
        subject=note.subject,
        attributes=note.attributes(),
        email_text=email_text or _email_text(note),
    )
    count(f"Notification_{note.kind}")
    return message_id


def _email_text(note: Any) -> str:
    lines = [note.text, ""]
    lines += [f"{link.label}: {link.url}" for link in note.links]
    lines += ["", f"run {note.run_id} · pipeline {note.pipeline} · {note.kind}"]
    return "\n".join(lines)


class SpecUploadOutcome(BaseModel):
    """What ``on_dataset_uploaded`` did with an uploaded pipeline spec."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    status: Literal["subscribed", "spec_error", "ignored"]
    reason: str
    pipeline: str | None = None
    subscriptions: dict[str, str] = Field(default_factory=dict)  # email -> subscription ARN

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def handle_spec_uploaded(bucket: str, key: str, deps: Deps) -> SpecUploadOutcome:
    """A pipeline spec was uploaded: check it at once and subscribe its ``notify.emails``.

    A spec with problems is reported now (a ``spec_error`` notification with every
    problem), not at the first dataset; a valid one claims its model family
    (:func:`~bedrock_tuner.pipeline.tenancy.check_spec_access`). Each address in ``notify.emails`` gets an email
    subscription to the topic filtered to messages that name it (the ``emails`` message
    attribute); AWS asks the person to confirm it once. Subscribing again is harmless, so a
    re-uploaded spec only adds new addresses; an address removed from the spec stops
    receiving the pipeline's messages at once (they no longer name it).
    """
    if bucket == deps.settings.data_bucket:
        key = decode_event_key(bucket, key, deps)
    pipeline = pipeline_name_for_spec_key(key)
    if pipeline is None or bucket != deps.settings.data_bucket:
        return SpecUploadOutcome(status="ignored", reason=f"{key} is not a pipeline spec")
    try:
        check_pipeline_name(pipeline)
        text = _read_spec_text(deps, bucket, key)
        if text is None:
            return SpecUploadOutcome(
                status="ignored", reason=f"{key} is gone (deleted since)", pipeline=pipeline
            )
        spec = parse_spec(text, pipeline, rft_graders=deps.settings.rft_grader_arns)
        check_spec_access(spec, pipeline, deps, claim=True)
    except SpecError as error:
        note = render_spec_upload_error(
            error, pipeline=pipeline, bucket=bucket, key=key, region=deps.settings.region
        )
        publish_notification(deps, note)
        return SpecUploadOutcome(status="spec_error", reason=str(error), pipeline=pipeline)
    subscriptions = {
        email: deps.sns.subscribe_email(deps.settings.topic_arn, email)
        for email in spec.notify.emails
    }
    logger.info(
        "pipeline spec checked", extra={"pipeline": pipeline, "emails": list(subscriptions)}
    )
    return SpecUploadOutcome(
        status="subscribed",
        reason=f"the spec is valid; {len(subscriptions)} notify.emails subscribed",
        pipeline=pipeline,
        subscriptions=subscriptions,
    )


def _read_spec_text(deps: Deps, bucket: str, key: str) -> str | None:
    """The spec's text (``None`` if absent); one too large to be a spec is a SpecError."""
    try:
        return deps.s3.get_text(bucket, key, max_bytes=SPEC_MAX_BYTES)
    except ObjectTooLargeError as exc:
        raise SpecError(
            exc.message,
            fix="a spec is a page of settings: keep data (prompts, records) out of it",
        ) from exc


def _load_spec(deps: Deps, bucket: str, pipeline: str) -> PipelineSpec:
    check_pipeline_name(pipeline)
    for key in spec_keys_for(pipeline):
        text = _read_spec_text(deps, bucket, key)
        if text is not None:
            spec = parse_spec(text, pipeline, rft_graders=deps.settings.rft_grader_arns)
            check_spec_access(spec, pipeline, deps, claim=True)
            return spec
    raise SpecError(
        f"there is no pipeline spec for {pipeline}: pipelines/{pipeline}.yaml does not exist",
        path="",
        fix=f"upload pipelines/{pipeline}.yaml (at least `base_model: <model id>`; see "
        "docs/pipeline.md), then upload the dataset again",
    )


S3_KEY_MAX_BYTES = 1024
"""S3's key limit (UTF-8 bytes): the report ``<key>.report.json`` must fit it too."""


def dataset_key_problem(uri: str, key: str) -> tuple[str, str] | None:
    """``(problem, fix)`` when the dataset's key cannot be used for training."""
    problem = bedrock_uri_problem(uri)
    if problem:
        return problem
    report_key = key + REPORT_SUFFIX
    if len(report_key.encode()) > S3_KEY_MAX_BYTES:
        return (
            f"the key is {len(key.encode())} bytes: its report ({report_key[-40:]}…) would be "
            f"longer than S3's {S3_KEY_MAX_BYTES}-byte key limit",
            f"rename the file so its key is at most {S3_KEY_MAX_BYTES - len(REPORT_SUFFIX)} "
            "bytes, and upload it again",
        )
    return None


def _ref(dataset: DatasetInput) -> DatasetRef:
    return DatasetRef(
        bucket=dataset.bucket,
        key=dataset.key,
        version_id=dataset.version_id,
        etag=normalise_etag(dataset.etag),
        size=dataset.size,
    )


def _duplicate(run: Run, pipeline: str, reason: str) -> UploadOutcome:
    return UploadOutcome(
        status="duplicate",
        reason=reason,
        run_id=run.run_id,
        pipeline=pipeline,
        execution_arn=run.execution_arn,
    )


def _claim_run_id(
    origin: Run | None, origin_id: str, deps: Deps, *, retry: bool, pipeline: str
) -> tuple[str, Run | None, UploadOutcome | None]:
    """Which run this delivery starts: ``(run_id, retried_run, outcome)``.

    - no run yet: the object's first run (``origin_id``);
    - its latest run is waiting to start (created, no execution yet): that run again;
    - its latest run ended before any job and ``retry`` is set: a new attempt, linked to it;
    - anything else is a duplicate delivery (``outcome`` says so and points at the run).
    """
    if origin is None:
        return origin_id, None, None
    latest = origin
    if origin.latest_run_id and origin.latest_run_id != origin_id:
        found = deps.runs.get(origin.latest_run_id)
        if found is None:  # claimed, then the create was lost: create it now
            return origin.latest_run_id, origin, None
        latest = found
    if not latest.execution_arn and latest.status == RunStatus.RECEIVED:
        return latest.run_id, None, None  # recorded, execution not started yet: finish it
    if not (retry and latest.retriable):
        if latest.retriable:
            uri = latest.dataset.uri
            reason = (
                f"this object version already has a run ({latest.run_id}, {latest.status}); "
                f"once fixed, start it again: `bedrock-tuner runs start {pipeline} {uri}` "
                "(POST /runs)"
            )
        else:
            reason = f"this object version already has a run ({latest.run_id}, {latest.status})"
        return latest.run_id, None, _duplicate(latest, pipeline, reason)
    attempt = latest.attempt + 1
    new_id = retry_run_id(origin_id, attempt)
    if not deps.runs.claim_retry(
        origin_id, latest_id=latest.run_id, new_id=new_id, attempt=attempt
    ):
        again = deps.runs.get(origin_id)
        newest = deps.runs.get(again.latest_run_id) if again and again.latest_run_id else None
        run = newest or latest
        return (
            run.run_id,
            None,
            _duplicate(run, pipeline, "another retry of this run started first"),
        )
    return new_id, latest, None


def decode_event_key(bucket: str, key: str, deps: Deps) -> str:
    """The object key an S3 event names.

    S3 URL-encodes keys in event notifications (``my+data%281%29.jsonl`` for
    ``my data(1).jsonl``), and the EventBridge integration is not documented either way, so
    an encoded-looking key is decoded and checked: the decoded key when that object exists,
    else the key as delivered (D19). A key without ``%`` or ``+`` reads the same both ways.
    """
    if "%" not in key and "+" not in key:
        return key
    decoded = unquote_plus(key)
    if decoded != key and deps.s3.head(bucket, decoded) is not None:
        return decoded
    return key


def handle_dataset_uploaded(
    dataset: DatasetInput,
    deps: Deps,
    *,
    retry: bool = False,
    started_by: str | None = None,
    uploaded_by: str | None = None,
) -> UploadOutcome:
    """Start the run of one uploaded object (see the module docstring).

    A delivery of an object version that has a run already is a duplicate, unless ``retry``
    is set (``POST /runs``) and that run ended before any job started (``Run.retriable``):
    then a new run starts, linked to the old one (``retryOf``/``retriedBy``).

    ``started_by`` (the IAM principal of ``POST /runs``) is recorded on the run as
    ``startedBy``: that principal may not approve the run. ``uploaded_by`` (the S3 event's
    ``requester``, an account id or service principal, not a person) is recorded as
    ``uploadedBy`` for the record only.

    A missing or bad spec does not raise: it is recorded on the run (``SPEC_ERROR``) and
    sent as a ``spec_error`` notification naming every problem, and nothing starts; a key
    Bedrock (or S3) cannot use is an ``INVALID`` run with a ``bad_dataset_key`` notification.

    Raises
    ------
    DatasetSourceError, ThrottlingError, TransientError
        The spec could not be read, or AWS failed: the event is retried.
    """
    if dataset.bucket != deps.settings.data_bucket:
        return UploadOutcome(
            status="ignored", reason=f"{dataset.bucket} is not the pipeline's data bucket"
        )
    key = decode_event_key(dataset.bucket, dataset.key, deps)
    if key != dataset.key:
        dataset = dataset.model_copy(update={"key": key})
    shared = shared_prefix_of(dataset.key, deps.settings.shared_data_prefixes)
    if shared is not None:
        return UploadOutcome(
            status="ignored",
            reason=f"{dataset.key} is shared data ({shared} is in SharedDataPrefixes), "
            "not a pipeline's dataset",
        )
    pipeline = pipeline_name_for_key(dataset.key)
    if pipeline is None:
        return UploadOutcome(status="ignored", reason=f"{dataset.key} is not a dataset key")
    marker = dataset.version_id or normalise_etag(dataset.etag)
    origin_id = run_id_for(dataset.bucket, dataset.key, marker)
    origin = deps.runs.get(origin_id)
    run_id, retried, outcome = _claim_run_id(
        origin, origin_id, deps, retry=retry, pipeline=pipeline
    )
    if outcome is not None:
        logger.info(
            "duplicate delivery: the run exists",
            extra={"runId": run_id, "pipeline": pipeline, "key": dataset.key},
        )
        return outcome
    link = _Link(
        attempt=(retried.attempt + 1) if retried else 1,
        retry_of=retried.run_id if retried else None,
    )
    now = deps.now()
    ref = _ref(dataset)
    problem = dataset_key_problem(dataset.uri, dataset.key)
    if problem:
        return _bad_key(
            deps, problem, run_id=run_id, pipeline=pipeline, ref=ref, now=now, link=link
        )
    try:
        spec = _load_spec(deps, dataset.bucket, pipeline)
    except SpecError as error:
        return _spec_error(
            deps, error, run_id=run_id, pipeline=pipeline, ref=ref, now=now, link=link
        )

    if spec.validation is not None and spec.validation.file_uri(dataset.bucket) == dataset.uri:
        return UploadOutcome(
            status="ignored",
            reason=f"{dataset.key} is the validation file of {pipeline}, not training data",
            pipeline=pipeline,
        )

    snapshot = spec.model_dump(mode="json")
    run = Run(
        run_id=run_id,
        pipeline=pipeline,
        dataset=ref,
        status=RunStatus.RECEIVED,
        created_at=now,
        updated_at=now,
        spec=snapshot,
        attempt=link.attempt,
        retry_of=link.retry_of,
        started_by=started_by,
        uploaded_by=uploaded_by,
    ).with_step("received", "ok", at=now, detail=dataset.uri)
    run, _ = deps.runs.create(run)
    _link_retry(deps, link, run_id)

    payload = ExecutionInput(
        run_id=run_id,
        pipeline=pipeline,
        dataset=DatasetInput(
            bucket=ref.bucket,
            key=ref.key,
            version_id=ref.version_id,
            etag=ref.etag,
            size=ref.size,
        ),
        spec=snapshot,
    )
    name = execution_name_for(pipeline, run_id)
    execution_arn, started = deps.sfn.start_execution(
        deps.settings.require_state_machine_arn(), name, payload.wire()
    )
    deps.runs.update(
        run_id,
        fields={"executionArn": execution_arn},
        step=Step(
            name="execution",
            status="started" if started else "exists",
            at=deps.now(),
            detail=execution_arn,
        ),
    )
    log = {"runId": run_id, "pipeline": pipeline, "key": dataset.key, "retryOf": link.retry_of}
    logger.info(
        "execution started" if started else "execution existed",
        extra={**log, "executionArn": execution_arn},
    )
    if started:
        count("RunStarted")
    reason = "execution started" if started else "the execution exists already"
    if link.retry_of:
        reason += f" (attempt {link.attempt}, retry of {link.retry_of})"
    return UploadOutcome(
        status="started" if started else "duplicate",
        reason=reason,
        run_id=run_id,
        pipeline=pipeline,
        execution_arn=execution_arn,
        retry_of=link.retry_of,
    )


class _Link(BaseModel):
    """How a new run relates to the object's earlier runs."""

    attempt: int = 1
    retry_of: str | None = None


def _link_retry(deps: Deps, link: _Link, run_id: str) -> None:
    """Record on the retried run which run retried it (best effort: the new run already
    names it in ``retryOf``)."""
    if link.retry_of is None:
        return
    try:
        deps.runs.update(
            link.retry_of,
            fields={"retriedBy": run_id},
            step=Step(name="retried", status="ok", at=deps.now(), detail=run_id),
        )
    except BedrockTunerError:
        logger.warning("could not link the retried run", extra={"runId": link.retry_of})


def _state_for(run_id: str, pipeline: str, ref: DatasetRef) -> ExecutionState:
    return ExecutionState(
        run_id=run_id,
        pipeline=pipeline,
        dataset=DatasetInput(
            bucket=ref.bucket, key=ref.key, version_id=ref.version_id, etag=ref.etag, size=ref.size
        ),
        spec={},
    )


def _bad_key(
    deps: Deps,
    problem: tuple[str, str],
    *,
    run_id: str,
    pipeline: str,
    ref: DatasetRef,
    now: str,
    link: _Link,
) -> UploadOutcome:
    message, fix = problem
    logger.warning(
        "dataset key cannot be used: no run started",
        extra={"runId": run_id, "pipeline": pipeline, "key": ref.key},
    )
    run = Run(
        run_id=run_id,
        pipeline=pipeline,
        dataset=ref,
        status=RunStatus.INVALID,
        created_at=now,
        updated_at=now,
        error={"Error": "DatasetKeyError", "Cause": message},
        outcome="bad_dataset_key",
        attempt=link.attempt,
        retry_of=link.retry_of,
    ).with_step("dataset key", "error", at=now, detail=message)
    run, created = deps.runs.create(run)
    if created:  # one notification per run, even if the event comes again
        _link_retry(deps, link, run_id)
        note = render_bad_dataset_key(
            message, fix, state=_state_for(run_id, pipeline, ref), region=deps.settings.region
        )
        _record_notification(deps, run_id, note)
    return UploadOutcome(
        status="rejected", reason=f"{message} (fix: {fix})", run_id=run_id, pipeline=pipeline
    )


def _record_notification(deps: Deps, run_id: str, note: Any) -> None:
    message_id = publish_notification(deps, note)
    deps.runs.update(run_id, fields={"notifications": {note.kind: message_id}})


def _spec_error(
    deps: Deps,
    error: SpecError,
    *,
    run_id: str,
    pipeline: str,
    ref: DatasetRef,
    now: str,
    link: _Link,
) -> UploadOutcome:
    logger.warning(
        "pipeline spec problem: no run started",
        extra={"runId": run_id, "pipeline": pipeline, "problems": list(error.problems)},
    )
    run = Run(
        run_id=run_id,
        pipeline=pipeline,
        dataset=ref,
        status=RunStatus.SPEC_ERROR,
        created_at=now,
        updated_at=now,
        error={"Error": "SpecError", "Cause": error.message, "path": error.path},
        outcome="spec_error",
        attempt=link.attempt,
        retry_of=link.retry_of,
    ).with_step("spec", "error", at=now, detail=error.message)
    run, created = deps.runs.create(run)
    if created:  # one notification per run, even if the event comes again
        _link_retry(deps, link, run_id)
        note = render_spec_error(
            error,
            state=_state_for(run_id, pipeline, ref),
            region=deps.settings.region,
            where=deps.settings.cli_where,
        )
        _record_notification(deps, run_id, note)
    return UploadOutcome(status="spec_error", reason=str(error), run_id=run_id, pipeline=pipeline)
