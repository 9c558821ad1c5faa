"""``/pipelines``: the specs in the data bucket (``pipelines/<name>.yaml``)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from bedrock_tuner.api.context import new_router
from bedrock_tuner.api.models import PipelineBody, PipelineView
from bedrock_tuner.deps import Deps, default_deps
from bedrock_tuner.errors import ObjectTooLargeError, PipelineNotFoundError, SpecError
from bedrock_tuner.pipeline.spec import (
    PIPELINES_PREFIX,
    SPEC_MAX_BYTES,
    check_pipeline_name,
    parse_spec,
    spec_keys_for,
)
from bedrock_tuner.pipeline.tenancy import check_spec_access

router = new_router()


def pipeline_names(deps: Deps) -> list[str]:
    """Every pipeline with a spec in the bucket, by name."""
    names = set()
    for key in deps.s3.list_keys(deps.settings.data_bucket, PIPELINES_PREFIX):
        name = key.removeprefix(PIPELINES_PREFIX)
        if "/" not in name and name.endswith((".yaml", ".yml")):
            names.add(name.rsplit(".", 1)[0])
    return sorted(names)


def _find(deps: Deps, name: str) -> tuple[str, str]:
    check_pipeline_name(name)
    for key in spec_keys_for(name):
        try:
            text = deps.s3.get_text(deps.settings.data_bucket, key, max_bytes=SPEC_MAX_BYTES)
        except ObjectTooLargeError as exc:
            raise SpecError(
                exc.message, fix="replace it with a spec of a few settings (PUT /pipelines)"
            ) from exc
        if text is not None:
            return key, text
    raise PipelineNotFoundError(
        f"there is no pipeline {name}: pipelines/{name}.yaml does not exist",
        fix=f"create it: `bedrock-tuner pipelines put {name} FILE` (PUT /pipelines/{name}); "
        "list the pipelines: `bedrock-tuner pipelines list` (GET /pipelines)",
    )


@router.get("/pipelines", summary="List pipelines", tags=["pipelines"])
def list_pipelines() -> list[str]:
    return pipeline_names(default_deps())


@router.get("/pipelines/<name>", summary="Get a pipeline's spec", tags=["pipelines"])
def get_pipeline(name: str) -> PipelineView:
    deps = default_deps()
    key, text = _find(deps, name)
    try:
        spec = parse_spec(text, name, rft_graders=deps.settings.rft_grader_arns)
        check_spec_access(spec, name, deps, claim=False)
    except SpecError as error:
        problems = [{"path": p, "message": m, "fix": f or None} for p, m, f in error.problems]
        return PipelineView(name=name, key=key, text=text, error={"problems": problems})
    return PipelineView(name=name, key=key, text=text, spec=spec.model_dump(mode="json"))


@router.put(
    "/pipelines/<name>",
    summary="Create or replace a pipeline's spec (validated first)",
    tags=["pipelines"],
)
def put_pipeline(name: str, body: PipelineBody) -> PipelineView:
    deps = default_deps()
    check_pipeline_name(name)
    # SpecError → 422 with every problem
    spec = parse_spec(body.spec, name, rft_graders=deps.settings.rft_grader_arns)
    check_spec_access(spec, name, deps, claim=True)  # its data and its family (tenancy)
    key = spec_keys_for(name)[0]
    for other in spec_keys_for(name)[1:]:  # one spec per pipeline: .yaml wins, .yml goes
        if deps.s3.head(deps.settings.data_bucket, other) is not None:
            deps.s3.delete(deps.settings.data_bucket, other)
    deps.s3.put_bytes(
        deps.settings.data_bucket, key, body.spec.encode(), content_type="application/yaml"
    )
    return PipelineView(name=name, key=key, text=body.spec, spec=spec.model_dump(mode="json"))


@router.delete(
    "/pipelines/<name>",
    summary="Delete a pipeline's spec (runs and versions stay)",
    tags=["pipelines"],
    responses={204: {"description": "deleted"}},
)
def delete_pipeline(name: str) -> Response[str]:
    deps = default_deps()
    key, _ = _find(deps, name)
    deps.s3.delete(deps.settings.data_bucket, key)
    return Response(status_code=204, body="")
