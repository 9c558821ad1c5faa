"""Build the ``CreateModelCustomizationJob`` request of a run (pure: no AWS calls).

Names follow the API's patterns (botocore ``bedrock`` 2023-04-20):

- ``jobName``: 1-63 of ``[a-zA-Z0-9](-*[a-zA-Z0-9+\\-.])*`` — ``<pipeline>-<run_id>``,
  unique per run, the pipeline part shortened when needed;
- ``customModelName``: 1-63 of ``([0-9a-zA-Z][_-]?)+`` — the spec's pattern with
  ``{pipeline} {date} {time} {run} {version}`` filled in;
- ``clientRequestToken``: the run id, so a retried request returns the same job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from bedrock_tuner.catalog import get_model as catalog_model
from bedrock_tuner.catalog import load_catalog, type_support
from bedrock_tuner.catalog.types import Catalog, CustomizationType
from bedrock_tuner.errors import JobStartError
from bedrock_tuner.pipeline.spec import RESERVED_TAG_PREFIX, PipelineSpec
from bedrock_tuner.settings import Settings

__all__ = [
    "NAME_MAX",
    "JobRequest",
    "bedrock_uri_problem",
    "build_job_request",
    "job_name_for",
    "output_uri_for",
    "render_custom_model_name",
]

NAME_MAX = 63
_JOB_NAME_BAD = re.compile(r"[^a-zA-Z0-9+\-.]")
_MODEL_NAME_BAD = re.compile(r"[^0-9a-zA-Z_-]")
_MODEL_NAME_RUNS = re.compile(r"[_-]{2,}")
# Bedrock's S3 URI pattern for trainingDataConfig / validators / outputDataConfig.
_BEDROCK_S3_URI = re.compile(
    r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?$"
)
PIPELINE_TAG = f"{RESERVED_TAG_PREFIX}pipeline"
RUN_TAG = f"{RESERVED_TAG_PREFIX}run"


@dataclass(frozen=True)
class JobRequest:
    """The request, and the names the workflow carries on (``$.job``)."""

    job_name: str
    custom_model_name: str
    output_uri: str
    request: dict[str, Any] = field(repr=False)


def job_name_for(pipeline: str, run_id: str) -> str:
    """``<pipeline>-<run_id>`` in the job-name alphabet, at most 63 characters."""
    safe = _JOB_NAME_BAD.sub("-", pipeline).strip("-+.") or "run"
    room = NAME_MAX - len(run_id) - 1
    return f"{safe[:room].rstrip('-+.')}-{run_id}"


def output_uri_for(bucket: str, pipeline: str, run_id: str) -> str:
    """``s3://<bucket>/outputs/<pipeline>/<run_id>/`` (docs/pipeline.md, bucket layout)."""
    return f"s3://{bucket}/outputs/{pipeline}/{run_id}/"


def _model_name_part(value: str) -> str:
    return _MODEL_NAME_RUNS.sub("-", _MODEL_NAME_BAD.sub("-", value))


def render_custom_model_name(
    pattern: str,
    *,
    pipeline: str,
    run_id: str,
    now: dt.datetime,
    version: int | None = None,
) -> str:
    """Fill the spec's ``custom_model_name`` pattern and fit Bedrock's model-name rules.

    ``{date}`` is ``YYYYMMDD`` and ``{time}`` ``HHMMSS`` (UTC); ``{version}`` is the version
    the run is expected to get (``v<N>``, or ``vnext`` when unknown). Characters Bedrock
    refuses become ``-``; a name over 63 characters is shortened, keeping the run id.
    """
    moment = now.astimezone(dt.UTC)
    values = {
        "pipeline": _model_name_part(pipeline),
        "date": moment.strftime("%Y%m%d"),
        "time": moment.strftime("%H%M%S"),
        "run": run_id,
        "version": f"v{version}" if version is not None else "vnext",
    }
    name = _model_name_part(pattern.format(**values)).strip("-_") or run_id
    if len(name) > NAME_MAX:
        if "{run}" in pattern:
            head = name[: NAME_MAX - len(run_id) - 1].rstrip("-_")
            name = f"{head}-{run_id}" if run_id not in head else head
        name = name[:NAME_MAX].rstrip("-_")
    return name


def bedrock_uri_problem(uri: str) -> tuple[str, str] | None:
    """``(problem, fix)`` when Bedrock's S3 URI pattern refuses ``uri``, else ``None``."""
    if _BEDROCK_S3_URI.match(uri):
        return None
    return (
        f"Bedrock refuses the S3 location {uri}",
        "use S3 keys made of letters, digits and ! - _ . * ' ( ) only (no spaces or +), "
        "and a lower-case bucket name; rename the file and upload it again",
    )


def _check_uri(uri: str, what: str) -> str:
    problem = bedrock_uri_problem(uri)
    if problem:
        raise JobStartError(f"{problem[0]} ({what})", fix=problem[1])
    return uri


def _tags(spec: PipelineSpec, pipeline: str, run_id: str) -> list[dict[str, str]]:
    tags = [{"key": key, "value": value} for key, value in sorted(spec.tags.items())]
    tags.append({"key": PIPELINE_TAG, "value": pipeline})
    tags.append({"key": RUN_TAG, "value": run_id})
    return tags


def _rft_hyperparameters(spec: PipelineSpec, catalog: Catalog) -> dict[str, int | float | str]:
    """RFT takes typed hyperparameters inside ``rftConfig`` (not the string map)."""
    support = type_support(catalog_model(catalog, spec.base_model), spec.customization_type)
    kinds = {item.name: item.type for item in support.hyperparameters}
    typed: dict[str, int | float | str] = {}
    for name, value in spec.hyperparameters.items():
        kind = kinds.get(name)
        if kind == "int":
            typed[name] = int(value)
        elif kind == "float":
            typed[name] = float(value)
        else:
            typed[name] = value
    return typed


def build_job_request(
    spec: PipelineSpec,
    *,
    pipeline: str,
    run_id: str,
    training_uri: str,
    validation_uri: str | None,
    settings: Settings,
    now: dt.datetime,
    next_version: int | None = None,
    catalog: Catalog | None = None,
) -> JobRequest:
    """The ``CreateModelCustomizationJob`` request for one run.

    Raises
    ------
    JobStartError
        A location Bedrock would refuse (its S3 URI pattern is stricter than S3's keys).
    """
    job_name = job_name_for(pipeline, run_id)
    model_name = render_custom_model_name(
        spec.custom_model_name, pipeline=pipeline, run_id=run_id, now=now, version=next_version
    )
    output_uri = output_uri_for(settings.data_bucket, pipeline, run_id)
    request: dict[str, Any] = {
        "jobName": job_name,
        "customModelName": model_name,
        "roleArn": settings.bedrock_role_arn,
        "clientRequestToken": run_id,
        "baseModelIdentifier": spec.base_model,
        "customizationType": spec.customization_type.value,
        "trainingDataConfig": {"s3Uri": _check_uri(training_uri, "training data")},
        "outputDataConfig": {"s3Uri": _check_uri(output_uri, "output")},
        "jobTags": _tags(spec, pipeline, run_id),
        "customModelTags": _tags(spec, pipeline, run_id),
    }
    if validation_uri:
        request["validationDataConfig"] = {
            "validators": [{"s3Uri": _check_uri(validation_uri, "validation data")}]
        }
    if spec.customization_type is CustomizationType.REINFORCEMENT_FINE_TUNING:
        if spec.rft is None:
            raise JobStartError(
                "a REINFORCEMENT_FINE_TUNING run needs rft.grader_lambda_arn",
                fix="add the rft section to the pipeline spec",
            )
        rft: dict[str, Any] = {
            "graderConfig": {"lambdaGrader": {"lambdaArn": spec.rft.grader_lambda_arn}}
        }
        if spec.hyperparameters:
            rft["hyperParameters"] = _rft_hyperparameters(spec, catalog or load_catalog())
        request["customizationConfig"] = {"rftConfig": rft}
    elif spec.hyperparameters:
        request["hyperParameters"] = dict(spec.hyperparameters)
    if spec.customization_type is CustomizationType.DISTILLATION:
        if spec.distillation is None:
            raise JobStartError(
                "a DISTILLATION run needs distillation.teacher_model",
                fix="add the distillation section to the pipeline spec",
            )
        request["customizationConfig"] = {
            "distillationConfig": {
                "teacherModelConfig": {
                    "teacherModelIdentifier": spec.distillation.teacher_model,
                    "maxResponseLengthForInference": spec.distillation.max_response_length,
                }
            }
        }
    if settings.kms_key_arn:
        request["customModelKmsKeyId"] = settings.kms_key_arn
    if settings.vpc_configured:
        request["vpcConfig"] = {
            "subnetIds": list(settings.job_subnet_ids),
            "securityGroupIds": list(settings.job_security_group_ids),
        }
    return JobRequest(
        job_name=job_name, custom_model_name=model_name, output_uri=output_uri, request=request
    )
