"""The "Validate dataset" step: stream the object through the validator, report, split.

One streaming pass over the uploaded object version validates it and computes its SHA-256
(the stream is hashed as the validator reads it, so the file is read once). The report
goes next to the data (``<key>.report.json``); a spec with ``validation.split_ratio``
gets ``work/<pipeline>/<run>/train.jsonl`` and ``validation.jsonl`` (only when valid).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, replace
from typing import Any

from bedrock_tuner.catalog import get_model, load_catalog, type_support
from bedrock_tuner.datasets.report import Report, report_json
from bedrock_tuner.datasets.split import split_dataset
from bedrock_tuner.datasets.validate import validate_dataset
from bedrock_tuner.deps import Deps
from bedrock_tuner.models.payloads import ExecutionState, TopProblem, ValidationOutput
from bedrock_tuner.models.sources import DataSource, Readable
from bedrock_tuner.observability import count, logger
from bedrock_tuner.pipeline.runs import DatasetRef, Run, RunStatus, Step, decide_budget
from bedrock_tuner.pipeline.spec import PipelineSpec

__all__ = [
    "REPORT_SUFFIX",
    "TOP_PROBLEMS",
    "ensure_run",
    "top_problems",
    "validate_run",
    "work_prefix",
]

REPORT_SUFFIX = ".report.json"
TOP_PROBLEMS = 5


class _HashingStream:
    """Hands the validator the bytes it reads, hashing them on the way."""

    def __init__(self, inner: Readable, digest: Any) -> None:
        self._inner = inner
        self._digest = digest

    def read(self, n: int = -1, /) -> bytes:
        data = self._inner.read(n)
        self._digest.update(data)
        return data

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


@dataclass
class _Hasher:
    """Hash the first full read of a source (the validator's single pass)."""

    digest: Any
    used: bool = False

    def wrap(self, source: DataSource) -> DataSource:
        opener = source.opener

        def open_hashed(start: int, end: int | None) -> Readable:
            stream = opener(start, end)
            if start == 0 and end is None and not self.used:
                self.used = True
                return _HashingStream(stream, self.digest)
            return stream

        return replace(source, opener=open_hashed)


def top_problems(report: Report, limit: int = TOP_PROBLEMS) -> list[TopProblem]:
    """The first ``limit`` problems (errors before warnings, most frequent first)."""
    out: list[TopProblem] = []
    for problem in report.problems[:limit]:
        example = None
        if problem.examples:
            first = problem.examples[0]
            where = first.file if first.line is None else f"{first.file}:{first.line}"
            path = f" {first.path}" if first.path else ""
            example = f"{where}{path}: {first.message}"
        out.append(
            TopProblem(code=problem.code, count=problem.count, fix=problem.fix, example=example)
        )
    return out


def ensure_run(state: ExecutionState, deps: Deps) -> Run:
    """The run item of ``state`` (created from the execution input if it is missing, e.g.
    for an execution started by hand)."""
    run = deps.runs.get(state.run_id)
    if run is not None:
        return run
    now = deps.now()
    dataset = state.dataset
    run, _ = deps.runs.create(
        Run(
            run_id=state.run_id,
            pipeline=state.pipeline,
            dataset=DatasetRef(
                bucket=dataset.bucket,
                key=dataset.key,
                version_id=dataset.version_id,
                etag=dataset.etag,
                size=dataset.size,
            ),
            created_at=now,
            updated_at=now,
            spec=state.spec,
        )
    )
    return run


def validate_run(state: ExecutionState, deps: Deps) -> ValidationOutput:
    """Validate the run's dataset, write the report, split when asked, decide the budget.

    Raises
    ------
    DatasetSourceError
        The dataset (or the validation file) cannot be read.
    UnknownModelError, UnsupportedCustomizationError
        The spec snapshot no longer fits the catalog.
    ThrottlingError, TransientError
        AWS failed; the workflow retries.
    """
    spec = PipelineSpec.model_validate(state.spec)
    dataset = state.dataset
    ensure_run(state, deps)
    deps.runs.update(
        state.run_id,
        status=RunStatus.VALIDATING,
        step=Step(name="validate", status="started", at=deps.now()),
    )
    hasher = _Hasher(hashlib.sha256())
    source = deps.s3.source(dataset.uri, version_id=dataset.version_id)
    validation_uri = (
        spec.validation.file_uri(dataset.bucket) if spec.validation is not None else None
    )
    validation_version: str | None = None
    if validation_uri:  # pin the version read here: the job trains against these bytes
        v_bucket, _, v_key = validation_uri.removeprefix("s3://").partition("/")
        head = deps.s3.head(v_bucket, v_key)
        validation_version = head.version_id if head else None
    validation_source = (
        deps.s3.source(validation_uri, version_id=validation_version) if validation_uri else None
    )
    report = validate_dataset(
        hasher.wrap(source),
        model_id=spec.base_model,
        customization_type=spec.customization_type,
        validation=validation_source,
        hyperparameters=spec.hyperparameters,
        media_bucket=dataset.bucket,
    )
    sha256 = hasher.digest.hexdigest() if hasher.used else None
    report_key = dataset.key + REPORT_SUFFIX
    deps.s3.put_bytes(dataset.bucket, report_key, report_json(report))
    report_uri = f"s3://{dataset.bucket}/{report_key}"

    summary = report.summary
    valid = summary.valid
    training_uri: str | None = None
    validation_records = summary.validation_records
    split_note: str | None = None
    summary_records = summary.records
    if valid and spec.validation is not None and spec.validation.split_ratio is not None:
        training_uri, validation_uri, validation_records, split_note = _split(
            state, spec, source, deps
        )
        summary_records = summary.records - (validation_records or 0)
    elif valid:
        training_uri, validation_uri = _pin_copies(state, validation_uri, validation_version, deps)

    cost = report.cost.training_usd if report.cost is not None else None
    decision = decide_budget(
        cost,
        auto_approve_usd=spec.budget.auto_approve_usd,
        max_usd=spec.budget.max_usd,
        default_auto_approve_usd=deps.settings.auto_approve_usd,
    )
    same_data_as = _version_with_same_bytes(deps, spec.family(state.pipeline), sha256)
    output = ValidationOutput(
        valid=valid,
        report_uri=report_uri,
        records=summary_records,
        validation_records=validation_records,
        training_tokens=summary.training_tokens,
        estimated_cost_usd=cost,
        needs_approval=valid and decision.needs_approval,
        over_max=valid and decision.over_max,
        top_problems=top_problems(report),
        training_uri=training_uri if valid else None,
        validation_uri=validation_uri if valid else None,
        budget_reason=decision.reason,
        dataset_sha256=sha256,
        verdict=summary.verdict,
        errors=summary.errors,
        warnings=summary.warnings,
        error_codes=sum(1 for p in report.problems if p.severity == "error"),
        warning_codes=sum(1 for p in report.problems if p.severity != "error"),
        invalid_records=summary.invalid_records,
        same_data_as=same_data_as,
    )
    fields: dict[str, Any] = {
        # the step's whole output (runs recover and the reconciler rebuild the state from it)
        "validation": {
            **output.wire(),
            "totalRecords": summary.records,
            "budget": decision.reason,
            "split": split_note,
        },
        "costUsd": cost,
    }
    if sha256:
        fields["dataset"] = {**_dataset_item(state), "sha256": sha256}
    deps.runs.update(
        state.run_id,
        status=RunStatus.VALIDATED if valid else RunStatus.INVALID,
        fields=fields,
        step=Step(
            name="validate",
            status="valid" if valid else "invalid",
            at=deps.now(),
            detail=summary.verdict,
        ),
    )
    logger.info(
        "dataset validated",
        extra={
            "runId": state.run_id,
            "valid": valid,
            "records": summary.records,
            "errors": summary.errors,
            "estimatedCostUsd": cost,
            "needsApproval": output.needs_approval,
            "overMax": output.over_max,
        },
    )
    count("DatasetValid" if valid else "DatasetInvalid")
    return output


def work_prefix(pipeline: str, run_id: str) -> str:
    """The run's own folder: the exact bytes its job trains on (I5)."""
    return f"work/{pipeline}/{run_id}/"


def _pin_copies(
    state: ExecutionState,
    validation_uri: str | None,
    validation_version: str | None,
    deps: Deps,
) -> tuple[str, str | None]:
    """Copy the validated object version (and the validation file) into the run's folder:
    Bedrock reads a key when the job starts, so a later upload to the same key must not
    change what the job trains on. Returns the copies' URIs."""
    dataset = state.dataset
    prefix = work_prefix(state.pipeline, state.run_id)
    deps.s3.copy_version(
        dataset.bucket, dataset.key, dataset.version_id, dataset.bucket, prefix + "train.jsonl"
    )
    training_uri = f"s3://{dataset.bucket}/{prefix}train.jsonl"
    pinned_validation: str | None = None
    if validation_uri is not None:
        bucket, _, key = validation_uri.removeprefix("s3://").partition("/")
        deps.s3.copy_version(
            bucket, key, validation_version, dataset.bucket, prefix + "validation.jsonl"
        )
        pinned_validation = f"s3://{dataset.bucket}/{prefix}validation.jsonl"
    return training_uri, pinned_validation


def _version_with_same_bytes(deps: Deps, family: str, sha256: str | None) -> int | None:
    """The newest registered version of ``family`` trained on exactly these bytes."""
    if not sha256:
        return None
    same = [v.version for v in deps.versions.of_family(family) if v.dataset.sha256 == sha256]
    return max(same) if same else None


def _dataset_item(state: ExecutionState) -> dict[str, Any]:
    dataset = state.dataset
    return {
        key: value
        for key, value in {
            "bucket": dataset.bucket,
            "key": dataset.key,
            "versionId": dataset.version_id,
            "etag": dataset.etag,
            "size": dataset.size,
        }.items()
        if value is not None
    }


def _split(
    state: ExecutionState, spec: PipelineSpec, source: DataSource, deps: Deps
) -> tuple[str, str, int, str | None]:
    """Split the (valid) dataset into work/<pipeline>/<run>/ and upload both files."""
    assert spec.validation is not None and spec.validation.split_ratio is not None
    support = type_support(get_model(load_catalog(), spec.base_model), spec.customization_type)
    bucket = state.dataset.bucket
    prefix = work_prefix(state.pipeline, state.run_id)
    with tempfile.TemporaryDirectory(prefix="bt-split-") as out_dir:
        result = split_dataset(
            source,
            ratio=spec.validation.split_ratio,
            seed=spec.validation.seed or 0,
            out_dir=out_dir,
            stem="data",
            limits=support.limits,
        )
        deps.s3.upload_file(result.train_path, bucket, prefix + "train.jsonl")
        deps.s3.upload_file(result.validation_path, bucket, prefix + "validation.jsonl")
        for path in (result.train_path, result.validation_path):
            os.remove(path)
    logger.info(
        "dataset split",
        extra={
            "runId": state.run_id,
            "train": result.train_records,
            "validation": result.validation_records,
            "adjusted": result.adjusted,
        },
    )
    return (
        f"s3://{bucket}/{prefix}train.jsonl",
        f"s3://{bucket}/{prefix}validation.jsonl",
        result.validation_records,
        result.adjusted,
    )
