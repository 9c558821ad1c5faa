"""The validation report: a versioned JSON document and its human rendering.

The JSON shape is a contract (docs/report.md, ``report.schema.json``): fields are only
ever added within a major version; ``schemaVersion`` changes its major part when a
field changes meaning or goes away. Fields are camelCase in JSON (2.0 renamed the
snake_case fields of 1.x), like every JSON document of the API and the CLI.
"""

from __future__ import annotations

import msgspec
from msgspec import Struct

from bedrock_tuner.casing import camel

REPORT_SCHEMA = "bedrock-tuner/validation-report"
REPORT_SCHEMA_VERSION = "2.0"


class ProblemExample(Struct, kw_only=True, rename=camel):
    file: str  # "training" | "validation" | "dataset" | "hyperparameters"
    line: int | None = None  # 1-based line in that file
    path: str | None = None  # JSON path inside the record, e.g. $.messages[2].role
    message: str
    related_line: int | None = None  # an earlier line this one refers to (duplicates)


class Problem(Struct, kw_only=True, rename=camel):
    code: str
    severity: str  # "error" | "warning"
    title: str
    fix: str
    count: int
    examples: list[ProblemExample]


class HistogramBin(Struct, kw_only=True, rename=camel):
    lt: int  # exclusive upper edge (tokens)
    count: int


class TokenStats(Struct, kw_only=True, rename=camel):
    total: int
    mean: float
    p50: int
    p95: int
    max: int
    max_line: int | None
    histogram: list[HistogramBin]
    exact_counted_records: int  # records near a limit counted with the BPE tokenizer
    note: str


class FileReport(Struct, kw_only=True, rename=camel):
    role: str  # "training" | "validation"
    uri: str
    bytes: int
    lines: int
    records: int
    blank_lines: int
    invalid_records: int
    tokens: TokenStats


class ModelInfo(Struct, kw_only=True, rename=camel):
    id: str
    name: str
    customization_type: str
    format: str
    token_limit: int | None
    batch_size: int | None
    hyperparameters: dict[str, str]  # effective values (defaults + given)


class CostEstimate(Struct, kw_only=True, rename=camel):
    training_tokens: int
    epochs: int
    billed_tokens: int
    training_usd: float | None
    storage_usd_per_month: float | None
    price_per_1k_tokens: float | None
    price_as_of: str | None
    price_source: str | None
    note: str


class Summary(Struct, kw_only=True, rename=camel):
    valid: bool
    errors: int  # problems of error severity (occurrences)
    warnings: int
    records: int  # training records (non-blank lines)
    invalid_records: int  # training records with at least one error
    validation_records: int | None
    training_tokens: int
    verdict: str  # one sentence for people


class Report(Struct, kw_only=True, rename=camel):
    schema: str = REPORT_SCHEMA
    schema_version: str = REPORT_SCHEMA_VERSION
    tool_version: str
    generated_at: str
    model: ModelInfo
    summary: Summary
    files: list[FileReport]
    problems: list[Problem]
    cost: CostEstimate | None
    notes: list[str]


def report_json(report: Report) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report), indent=2)


def report_json_schema() -> dict[str, object]:
    """JSON Schema of the report (committed as report.schema.json, checked by a test;
    regenerate it with ``python -m bedrock_tuner.datasets.report > …/report.schema.json``)."""
    schema: dict[str, object] = msgspec.json.schema(Report)
    schema["$id"] = (
        f"https://bedrock-tuner.dev/schemas/validation-report-{REPORT_SCHEMA_VERSION}.json"
    )
    schema["title"] = "bedrock-tuner validation report"
    return schema


def _fmt_usd(v: float | None) -> str:
    return "unknown" if v is None else f"${v:,.2f}"


def render_text(report: Report, *, color: bool = False) -> str:
    """A summary a person can act on: verdict, problems with fixes, numbers."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    s = report.summary
    m = report.model
    out: list[str] = []
    head = paint("VALID", "1;32") if s.valid else paint("INVALID", "1;31")
    out.append(f"{head}  {s.verdict}")
    out.append(f"model: {m.name} ({m.id}) · {m.customization_type} · format {m.format}")
    for f in report.files:
        t = f.tokens
        out.append(
            f"{f.role}: {f.uri} — {f.records:,} records, {f.invalid_records:,} invalid, "
            f"{f.bytes / 1e6:,.1f} MB; tokens/record p50 {t.p50:,} · p95 {t.p95:,} · max {t.max:,}"
            + (f" (line {t.max_line})" if t.max_line else "")
        )
    if m.token_limit:
        batch = f" at batch size {m.batch_size}" if m.batch_size else ""
        out.append(f"token limit: {m.token_limit:,} per record{batch}")
    if report.problems:
        out.append("")
        for p in report.problems:
            tag = paint("error", "31") if p.severity == "error" else paint("warning", "33")
            out.append(f"{tag} {p.code} ×{p.count:,}: {p.title}")
            for ex in p.examples:
                where = ex.file if ex.line is None else f"{ex.file}:{ex.line}"
                path = f" {ex.path}" if ex.path else ""
                out.append(f"    {where}{path}: {ex.message}")
            if p.count > len(p.examples):
                out.append(f"    … and {p.count - len(p.examples):,} more")
            out.append(f"    fix: {p.fix}")
    c = report.cost
    if c is not None:
        out.append("")
        epochs = f"{c.epochs} epoch{'' if c.epochs == 1 else 's'}"
        billed = f"cost: {c.training_tokens:,} training tokens × {epochs} = {c.billed_tokens:,} billed tokens"
        if c.training_usd is None:
            out.append(
                f"{billed}; the catalog has no price for this model (add one with --catalog)"
            )
        else:
            out.append(
                f"{billed} ≈ {_fmt_usd(c.training_usd)}; storage {_fmt_usd(c.storage_usd_per_month)}/month"
            )
            out.append(f"      price of {c.price_as_of} ({c.price_source})")
    for note in report.notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # regenerate the committed schema
    import json
    import sys

    sys.stdout.write(json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n")
