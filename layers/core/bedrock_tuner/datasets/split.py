"""Split one JSONL file into training and validation files within a model's limits.

Two streaming passes over the file (count, then write), so memory holds only the chosen
validation line numbers. Blank lines are dropped and lines over the reader's maximum
line size are skipped (both counted in the result); every other line goes to exactly one
output, byte for byte (line endings normalised to LF).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from bedrock_tuner.catalog.types import Limits
from bedrock_tuner.datasets.reader import OversizeLine, iter_pieces
from bedrock_tuner.errors import UsageError
from bedrock_tuner.models.sources import DataSource


@dataclass(frozen=True)
class SplitResult:
    train_path: str
    validation_path: str
    train_records: int
    validation_records: int
    dropped_blank_lines: int
    skipped_oversize_lines: int  # lines over MAX_LINE_BYTES: not copied (validate reports them)
    adjusted: str | None  # why the ratio was not applied exactly, if it was not


def plan_validation_count(
    total: int, ratio: float, limits: Limits | None
) -> tuple[int, str | None]:
    """How many records go to validation: the ratio, clamped to the model's limits."""
    if not 0 < ratio < 1:
        raise UsageError(
            f"--validation-ratio must be between 0 and 1, got {ratio}", fix="Use e.g. 0.1 for 10 %."
        )
    wanted = round(total * ratio)
    count = max(wanted, 1) if total > 1 else 0
    why: str | None = None
    if limits is not None:
        if limits.validation_records_max is not None and count > limits.validation_records_max:
            count = limits.validation_records_max
            why = f"validation capped at the model's maximum of {count:,} records"
        if limits.validation_records_min is not None and count < limits.validation_records_min:
            count = limits.validation_records_min
            why = f"validation raised to the model's minimum of {count:,} records"
        train_min = limits.train_records_min
        if train_min is not None and total - count < train_min:
            count = max(total - train_min, 0)
            why = (
                f"validation reduced so training keeps the model's minimum of {train_min:,} records"
            )
        if limits.total_records_max is not None and total > limits.total_records_max:
            why = (
                why + "; " if why else ""
            ) + f"the file has more records than the model's total of {limits.total_records_max:,}"
    return count, why


def split_dataset(
    source: DataSource,
    *,
    ratio: float,
    seed: int,
    out_dir: str,
    stem: str,
    limits: Limits | None = None,
) -> SplitResult:
    if not source.seekable:
        raise UsageError(
            "split reads its input twice and cannot read from stdin",
            fix="Save the data to a file first.",
        )
    total = 0
    blanks = 0
    for piece in iter_pieces(source.open()):
        if isinstance(piece, OversizeLine):
            total += 1
            continue
        for line in bytes(piece).splitlines():
            if line.strip():
                total += 1
            else:
                blanks += 1
    count, why = plan_validation_count(total, ratio, limits)
    chosen = set(random.Random(seed).sample(range(total), count))  # noqa: S311 - not crypto
    os.makedirs(out_dir, exist_ok=True)
    train_path = os.path.join(out_dir, f"{stem}.train.jsonl")
    val_path = os.path.join(out_dir, f"{stem}.validation.jsonl")
    index = 0
    n_train = n_val = skipped = 0
    with open(train_path, "wb") as train_out, open(val_path, "wb") as val_out:
        for piece in iter_pieces(source.open()):
            if isinstance(piece, OversizeLine):
                index += 1  # an oversize line cannot be copied without buffering it
                skipped += 1
                continue
            for line in bytes(piece).splitlines():
                if not line.strip():
                    continue
                if index in chosen:
                    val_out.write(line + b"\n")
                    n_val += 1
                else:
                    train_out.write(line + b"\n")
                    n_train += 1
                index += 1
    return SplitResult(train_path, val_path, n_train, n_val, blanks, skipped, why)
