"""Training and validation metrics from a customization job's output CSVs.

Bedrock writes ``training_artifacts/step_wise_training_metrics.csv`` (``step_number,
epoch_number, training_loss, perplexity``) and, when there was validation data,
``validation_artifacts/…/validation_metrics.csv`` (a ``validation_loss`` column; the other
columns vary by model). Columns are found by their header, never by position.

Overfitting rule (docs/table-design.md, "Metrics and the overfitting rule"; shown in the
success notification): a run is flagged when either

1. the validation loss rose at each of its last :data:`RISE_WINDOW` evaluations while the
   training loss fell over the same stretch (the classic divergence), or
2. the final validation loss is more than :data:`REGRESSION_FACTOR` × its minimum (the
   model ended well past its best point).

One evaluation (Bedrock's post-fine-tuning validation) can flag neither.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from bedrock_tuner.models.versions import MetricsSummary

__all__ = [
    "REGRESSION_FACTOR",
    "RISE_WINDOW",
    "TRAINING_METRICS_FILE",
    "VALIDATION_METRICS_FILE",
    "LossPoint",
    "MetricsSummary",
    "parse_loss_csv",
    "summarize_metrics",
]

TRAINING_METRICS_FILE = "step_wise_training_metrics.csv"
VALIDATION_METRICS_FILE = "validation_metrics.csv"
RISE_WINDOW = 3
REGRESSION_FACTOR = 1.1

_TRAINING_LOSS = ("training_loss", "train_loss", "loss")
_VALIDATION_LOSS = ("validation_loss", "val_loss", "eval_loss", "loss")
_STEP = ("step_number", "step", "steps", "global_step")
_EPOCH = ("epoch_number", "epoch", "epochs")


class LossPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    loss: float
    step: int | None = None
    epoch: int | None = None


def _norm(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _find(headers: list[str], names: Iterable[str], *, contains: str | None = None) -> int | None:
    normed = [_norm(h) for h in headers]
    for name in names:
        if name in normed:
            return normed.index(name)
    if contains:
        for index, header in enumerate(normed):
            if contains in header:
                return index
    return None


def _number(cell: str) -> float | None:
    try:
        value = float(cell.strip())
    except (ValueError, AttributeError):
        return None
    return value if math.isfinite(value) else None


def parse_loss_csv(text: str, *, kind: str) -> list[LossPoint]:
    """Loss points from a metrics CSV, in file order.

    ``kind`` is ``"training"`` or ``"validation"`` and picks the loss column
    (``training_loss`` / ``validation_loss``, else a close header, else any ``…loss…``).
    Rows whose loss is empty or not a finite number are skipped.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return []
    headers = rows[0]
    names = _TRAINING_LOSS if kind == "training" else _VALIDATION_LOSS
    loss_col = _find(headers, names, contains="loss")
    if loss_col is None:
        return []
    step_col = _find(headers, _STEP)
    epoch_col = _find(headers, _EPOCH)
    points: list[LossPoint] = []
    for row in rows[1:]:
        if len(row) <= loss_col:
            continue
        loss = _number(row[loss_col])
        if loss is None:
            continue
        step = _number(row[step_col]) if step_col is not None and len(row) > step_col else None
        epoch = _number(row[epoch_col]) if epoch_col is not None and len(row) > epoch_col else None
        points.append(
            LossPoint(
                loss=loss,
                step=int(step) if step is not None else None,
                epoch=int(epoch) if epoch is not None else None,
            )
        )
    return points


def _training_loss_at(training: list[LossPoint], point: LossPoint, fraction: float) -> float:
    """Training loss when ``point`` was evaluated: by step when both have steps, else at the
    same fraction of the run."""
    if point.step is not None and all(p.step is not None for p in training):
        steps = [p.step for p in training if p.step is not None]
        index = max(bisect.bisect_right(steps, point.step) - 1, 0)
        return training[index].loss
    index = min(max(round(fraction * (len(training) - 1)), 0), len(training) - 1)
    return training[index].loss


def summarize_metrics(training: list[LossPoint], validation: list[LossPoint]) -> MetricsSummary:
    """Final and best losses, and the overfitting flag (rule in the module docstring)."""
    if training and all(p.step is not None for p in training):
        training = sorted(training, key=lambda p: p.step or 0)
    if validation and all(p.step is not None for p in validation):
        validation = sorted(validation, key=lambda p: p.step or 0)
    final_training = training[-1].loss if training else None
    losses = [p.loss for p in validation]
    final_validation = losses[-1] if losses else None
    best = min(losses) if losses else None
    reason: str | None = None
    if len(losses) >= RISE_WINDOW and training:
        window = losses[-RISE_WINDOW:]
        rising = all(later > earlier for earlier, later in itertools.pairwise(window))
        if rising:
            start = validation[-RISE_WINDOW]
            fraction = (len(losses) - RISE_WINDOW) / max(len(losses) - 1, 1)
            before = _training_loss_at(training, start, fraction)
            if final_training is not None and final_training < before:
                reason = (
                    f"validation loss rose at each of its last {RISE_WINDOW} evaluations "
                    f"({' → '.join(f'{v:.4g}' for v in window)}) while training loss fell "
                    f"({before:.4g} → {final_training:.4g})"
                )
    if (
        reason is None
        and best is not None
        and final_validation is not None
        and best > 0
        and final_validation > REGRESSION_FACTOR * best
    ):
        reason = (
            f"final validation loss {final_validation:.4g} is more than "
            f"{REGRESSION_FACTOR:g}× its minimum {best:.4g}"
        )
    return MetricsSummary(
        training_loss=final_training,
        validation_loss=final_validation,
        min_validation_loss=best,
        training_points=len(training),
        validation_points=len(validation),
        overfitting=reason is not None,
        overfitting_reason=reason,
    )
