"""Training cost, storage cost and the break-even of a custom model.

Bedrock bills customization by the tokens in the training data times the epochs; a custom
model then costs a monthly storage fee (and inference). Break-even asks: if the custom model
lets every request drop ``saved_prompt_tokens`` of prompt (few-shot examples, long system
instructions), after how many months do the savings pay for training and storage?
"""

from __future__ import annotations

import math

import msgspec

from bedrock_tuner.catalog.types import BaseModel
from bedrock_tuner.datasets.report import CostEstimate


class BreakEven(msgspec.Struct, kw_only=True):
    training_usd: float
    storage_usd_per_month: float
    monthly_savings_usd: float
    net_monthly_usd: float  # savings minus storage
    months: float | None  # None: never pays back
    verdict: str


def estimate_training_cost(model: BaseModel, training_tokens: int, epochs: int) -> CostEstimate:
    """Tokens × epochs × the catalog's dated price (None where the price is unknown)."""
    price = model.price
    per_1k = price.training_per_1k_tokens if price else None
    billed = training_tokens * max(epochs, 1)
    return CostEstimate(
        training_tokens=training_tokens,
        epochs=max(epochs, 1),
        billed_tokens=billed,
        training_usd=round(billed / 1000 * per_1k, 4) if per_1k is not None else None,
        storage_usd_per_month=price.storage_per_month if price else None,
        price_per_1k_tokens=per_1k,
        price_as_of=price.as_of if price else None,
        price_source=price.source if price else None,
        note="tokens are estimates of the model's own tokenizer; prices are dated catalog data "
        "(override them with a catalog file when AWS changes them)",
    )


def break_even(
    *,
    training_usd: float,
    storage_usd_per_month: float,
    saved_prompt_tokens: int,
    requests_per_month: int,
    input_price_per_1k_tokens: float,
) -> BreakEven:
    """Months until prompt-token savings repay training (storage counted every month)."""
    savings = saved_prompt_tokens * requests_per_month / 1000 * input_price_per_1k_tokens
    net = savings - storage_usd_per_month
    if net <= 0:
        months = None
        verdict = (
            f"never pays back: saving ${savings:,.2f}/month does not cover "
            f"${storage_usd_per_month:,.2f}/month of storage"
        )
    else:
        months = training_usd / net
        verdict = (
            f"pays back after {math.ceil(months * 10) / 10:,.1f} months (net ${net:,.2f}/month)"
        )
    return BreakEven(
        training_usd=training_usd,
        storage_usd_per_month=storage_usd_per_month,
        monthly_savings_usd=round(savings, 4),
        net_monthly_usd=round(net, 4),
        months=None if months is None else round(months, 3),
        verdict=verdict,
    )
