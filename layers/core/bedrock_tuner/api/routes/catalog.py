"""``/catalog`` and ``/estimate``: the model catalog, training cost and break-even."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from bedrock_tuner.api.context import new_router
from bedrock_tuner.api.models import EstimateBody
from bedrock_tuner.casing import camel_builtins
from bedrock_tuner.catalog import (
    default_customization_type,
    effective_hyperparameters,
    get_model,
    list_models,
    load_catalog,
    type_support,
)
from bedrock_tuner.datasets.cost import break_even, estimate_training_cost
from bedrock_tuner.datasets.validate import epochs_of
from bedrock_tuner.errors import UsageError

router = new_router()


@router.get("/catalog", summary="List the base models that can be customized", tags=["catalog"])
def list_catalog(
    customization_type: Annotated[
        str | None, Query(alias="customizationType", description="FINE_TUNING, DISTILLATION …")
    ] = None,
) -> dict[str, Any]:
    catalog = load_catalog()
    models = list_models(catalog, customization_type)
    return {"readOn": catalog.read_on, "models": camel_builtins(models)}


@router.get("/catalog/<model_id>", summary="Get one base model's facts", tags=["catalog"])
def get_catalog_model(model_id: str) -> dict[str, Any]:
    document: dict[str, Any] = camel_builtins(get_model(load_catalog(), model_id))
    return document


@router.post(
    "/estimate",
    summary="Estimate a training cost (and, optionally, when it pays back)",
    tags=["catalog"],
)
def estimate(body: EstimateBody) -> dict[str, Any]:
    model = get_model(load_catalog(), body.model)
    epochs = body.epochs
    if epochs is None:  # the model's default epochCount, as the CLI and the pipeline use
        support = type_support(model, default_customization_type(model))
        epochs = epochs_of(effective_hyperparameters(support, {}))
    cost = estimate_training_cost(model, body.training_tokens, epochs)
    result: dict[str, Any] = {"model": model.id, "cost": camel_builtins(cost)}
    if body.break_even is not None:
        if cost.training_usd is None:
            raise UsageError(
                f"the catalog has no training price for {model.id}",
                fix="add a price with a catalog override file",
            )
        result["breakEven"] = camel_builtins(
            break_even(
                training_usd=cost.training_usd,
                storage_usd_per_month=cost.storage_usd_per_month or 0.0,
                saved_prompt_tokens=body.break_even.saved_prompt_tokens,
                requests_per_month=body.break_even.requests_per_month,
                input_price_per_1k_tokens=body.break_even.input_price_per_1k_tokens,
            )
        )
    return result
