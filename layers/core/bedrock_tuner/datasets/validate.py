"""Validate a training (and optional validation) dataset for a model: one streaming pass.

``validate_dataset`` is the domain entry point used by the CLI and the Lambda handler.
It never raises for bad data (that is the report's job); it raises a ``BedrockTunerError``
only for usage problems (unknown model, unsupported type) or unreadable sources.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from bedrock_tuner import __version__
from bedrock_tuner.catalog import (
    check_hyperparameters,
    default_customization_type,
    effective_hyperparameters,
    get_model,
    lifecycle_warnings,
    load_catalog,
    parse_customization_type,
    token_limit_for,
    type_support,
)
from bedrock_tuner.catalog.types import BaseModel, Catalog, CustomizationType, Limits, TypeSupport
from bedrock_tuner.datasets.checks import CheckContext, make_checker
from bedrock_tuner.datasets.codes import CODES, Severity
from bedrock_tuner.datasets.cost import estimate_training_cost
from bedrock_tuner.datasets.reader import align_ranges, iter_pieces, open_source
from bedrock_tuner.datasets.report import (
    FileReport,
    HistogramBin,
    ModelInfo,
    Problem,
    ProblemExample,
    Report,
    Summary,
    TokenStats,
)
from bedrock_tuner.datasets.scan import FileScan, FileStats, Problems, dedup_cap_for
from bedrock_tuner.datasets.tokens import TOKENIZER_NOTE
from bedrock_tuner.models.sources import DataSource

ProgressFn = Callable[[int], None]  # called with the number of bytes just read
OUTLIER_FACTOR = 8  # a record this many times the median is an outlier
OUTLIER_MIN_TOKENS = 512
SMALL_DATASET = 100


@dataclass(frozen=True)
class Target:
    """The resolved model, type, format and limits of one validation."""

    model: BaseModel
    ctype: CustomizationType
    support: TypeSupport
    hyperparameters: dict[str, str]
    batch_size: int | None
    token_limit: int | None


def resolve_target(
    model_id: str,
    ctype: str | CustomizationType | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
) -> Target:
    cat = catalog or load_catalog()
    model = get_model(cat, model_id)
    ct = parse_customization_type(ctype) if ctype else default_customization_type(model)
    support = type_support(model, ct)
    effective = effective_hyperparameters(support, hyperparameters or {})
    batch = _int_or_none(effective.get("batchSize"))
    if batch is not None and batch < 1:
        batch = None  # reported as E_HP_RANGE by the hyperparameter check
    return Target(model, ct, support, effective, batch, token_limit_for(support, batch))


def epochs_of(hyperparameters: Mapping[str, str]) -> int:
    """Epochs a job will run (the effective epochCount; "Auto" and unknown count as 1)."""
    return max(_int_or_none(hyperparameters.get("epochCount")) or 1, 1)


def _int_or_none(value: str | None) -> int | None:
    """An integer value, or ``None`` for anything else (text, NaN, infinities, 1e400)."""
    try:
        return int(float(value)) if value is not None else None
    except (ValueError, OverflowError):
        return None


# -- one file ------------------------------------------------------------------------
@dataclass
class _ScanJob:
    role: str
    source: DataSource
    ctx: CheckContext
    reserved: tuple[str, ...]
    max_examples: int


# What forked workers inherit from the parent: the job and a shared byte counter.
_FORK_STATE: dict[str, Any] = {}


def _scan_range(
    job: _ScanJob, start: int, end: int | None, progress: ProgressFn | None
) -> tuple[FileStats, Problems]:
    problems = Problems(job.max_examples)
    scan = FileScan(
        job.role,
        make_checker(job.ctx),
        problems,
        reserved=job.reserved,
        first_piece_is_file_start=start == 0,
        defer_duplicates=start > 0,
        dedup_cap=dedup_cap_for(
            job.ctx.support.limits.train_records_max or job.ctx.support.limits.total_records_max
        ),
        top_k=max(job.max_examples, 5),
    )
    stats = scan.stats

    def count(n: int) -> None:
        stats.bytes += n
        if progress is not None:
            progress(n)

    stream = job.source.open(start, end)
    try:
        for piece in iter_pieces(stream, on_bytes=count):
            scan.feed(piece)
    finally:
        close = getattr(stream, "close", None)
        if close is not None and job.source.seekable:
            close()
    return scan.finish(), problems


def _worker(bounds: tuple[int, int]) -> tuple[FileStats, Problems]:
    job: _ScanJob = _FORK_STATE["job"]
    counter = _FORK_STATE["counter"]

    def tick(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    return _scan_range(job, bounds[0], bounds[1], tick)


def _scan_file(
    job: _ScanJob, workers: int, progress: ProgressFn | None
) -> tuple[FileStats, Problems]:
    """Scan a file, in ``workers`` processes when it is big enough to split.

    The parent scans the first range itself (its duplicate map is the one the others
    replay into, so it never crosses a process boundary); forked children scan the rest.
    """
    ranges = align_ranges(job.source, workers) if workers > 1 else [(0, job.source.size or 0)]
    if len(ranges) <= 1:
        return _scan_range(job, 0, None, progress)
    ctx = mp.get_context("fork")
    counter = ctx.Value("q", 0)
    _FORK_STATE.update(job=job, counter=counter)
    children_seen = 0

    def parent_progress(n: int) -> None:
        nonlocal children_seen
        if progress is not None:
            now = counter.value
            progress(n + now - children_seen)
            children_seen = now

    try:
        with ProcessPoolExecutor(max_workers=len(ranges) - 1, mp_context=ctx) as pool:
            futures = [pool.submit(_worker, r) for r in ranges[1:]]
            first = _scan_range(job, ranges[0][0], ranges[0][1], parent_progress)
            while not all(f.done() for f in futures):
                wait(futures, timeout=0.2)
                parent_progress(0)
            parts = [first, *(f.result() for f in futures)]
            parent_progress(0)
    finally:
        _FORK_STATE.clear()
    return _merge_parts(job, parts)


def _merge_parts(
    job: _ScanJob, parts: list[tuple[FileStats, Problems]]
) -> tuple[FileStats, Problems]:
    stats, problems = parts[0]
    offset = stats.lines
    for part_stats, part_problems in parts[1:]:
        problems.merge(part_problems, offset)
        stats.lines += part_stats.lines
        stats.records += part_stats.records
        stats.blank_lines += part_stats.blank_lines
        stats.invalid_records += part_stats.invalid_records
        stats.bad_lines += part_stats.bad_lines
        stats.exact_counted += part_stats.exact_counted
        stats.bytes += part_stats.bytes
        stats.hist.merge(part_stats.hist)
        stats.top.extend((v, line + offset) for v, line in part_stats.top.heap)
        stats.duplicates.full |= part_stats.duplicates.full
        for kind, line in part_stats.media_first_line.items():
            stats.media_first_line.setdefault(kind, line + offset)
        keys, answers, lines = part_stats.deferred
        see = stats.duplicates.see
        for key, answer, line in zip(keys, answers, lines, strict=True):
            see(problems, job.role, line + offset, key, answer)
        offset += part_stats.lines
    return stats, problems


# -- the dataset -----------------------------------------------------------------------
def validate_dataset(
    train: str | DataSource,
    *,
    model_id: str,
    customization_type: str | CustomizationType | None = None,
    validation: str | DataSource | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    max_examples: int = 5,
    workers: int = 1,
    catalog: Catalog | None = None,
    media_bucket: str | None = None,
    progress: ProgressFn | None = None,
    today: dt.date | None = None,
    open_remote: Callable[[str], DataSource] | None = None,
) -> Report:
    """Validate ``train`` (and ``validation``) for ``model_id``; return the report.

    A URI given as text is opened with :func:`~bedrock_tuner.datasets.reader.open_source`
    (``open_remote`` reads ``s3://`` ones)."""
    given_hp = dict(hyperparameters or {})
    target = resolve_target(model_id, customization_type, given_hp, catalog)
    support = target.support
    limits = support.limits
    fmt = support.formats[0]
    train_src = open_source(train, open_remote=open_remote) if isinstance(train, str) else train
    val_src = (
        open_source(validation, open_remote=open_remote)
        if isinstance(validation, str)
        else validation
    )
    problems = Problems(max_examples)
    notes: list[str] = []

    for hp in check_hyperparameters(support, given_hp):
        # the value's own fix (did you mean …?, the allowed range) beside the code's general one
        message = f"{hp.message}; {hp.fix}" if hp.fix else hp.message
        problems.add(hp.code, "hyperparameters", None, f"hyperParameters.{hp.name}", message)

    ctx = CheckContext(
        model=target.model,
        support=support,
        fmt=fmt,
        token_limit=target.token_limit,
        batch_size=target.batch_size,
        dataset_bucket=media_bucket or train_src.bucket,
    )
    reserved = tuple(limits.reserved_strings)
    train_stats, train_problems = _scan_file(
        _ScanJob("training", train_src, ctx, reserved, max_examples), workers, progress
    )
    problems.merge(train_problems, 0)
    files = [(train_src, train_stats)]

    val_stats: FileStats | None = None
    if val_src is not None:
        if not support.accepts_validation:
            problems.add(
                "E_VALIDATION_NOT_ACCEPTED",
                "validation",
                None,
                None,
                f"{target.model.name} takes no validation file for {target.ctype.value}",
            )
        else:
            val_stats, val_problems = _scan_file(
                _ScanJob("validation", val_src, ctx, reserved, max_examples), 1, progress
            )
            problems.merge(val_problems, 0)
            files.append((val_src, val_stats))

    _dataset_checks(problems, target, limits, train_stats, val_stats, train_src, val_src)
    for warning in lifecycle_warnings(target.model, today or dt.date.today()):
        problems.add("W_MODEL_LIFECYCLE", "dataset", None, None, warning)
    if train_stats.duplicates.full:
        problems.add(
            "W_DUPLICATE_TRACKING_LIMITED",
            "training",
            None,
            None,
            f"duplicates tracked for the first {train_stats.duplicates.cap:,} distinct prompts",
        )
    if train_stats.exact_counted:
        notes.append(
            f"{train_stats.exact_counted:,} record{'s' if train_stats.exact_counted != 1 else ''} near the "
            "token limit counted exactly with the BPE tokenizer"
        )
    notes.append(TOKENIZER_NOTE)
    return _build_report(target, fmt.value, files, problems, notes)


def _dataset_checks(
    problems: Problems,
    target: Target,
    limits: Limits,
    train: FileStats,
    val: FileStats | None,
    train_src: DataSource,
    val_src: DataSource | None,
) -> None:
    name = target.model.name
    n = train.records
    if n == 0 and train.lines == 0:
        problems.add("E_FILE_EMPTY", "training", None, None, "no lines at all")
    elif n == 0:
        problems.add("E_FILE_EMPTY", "training", None, None, "only blank lines")
    if limits.train_records_min is not None and 0 < n < limits.train_records_min:
        problems.add(
            "E_RECORDS_TOO_FEW",
            "training",
            None,
            None,
            f"{n:,} records; {name} needs at least {limits.train_records_min:,}",
        )
    if limits.train_records_max is not None and n > limits.train_records_max:
        problems.add(
            "E_RECORDS_TOO_MANY",
            "training",
            None,
            None,
            f"{n:,} records; {name} takes at most {limits.train_records_max:,}",
        )
    if val is not None:
        v = val.records
        if v == 0:
            what = "only blank lines" if val.lines else "no lines at all"
            problems.add("E_FILE_EMPTY", "validation", None, None, what)
        if limits.validation_records_min is not None and v < limits.validation_records_min:
            problems.add(
                "E_VALIDATION_RECORDS_TOO_FEW",
                "validation",
                None,
                None,
                f"{v:,} records; at least {limits.validation_records_min:,}",
            )
        if limits.validation_records_max is not None and v > limits.validation_records_max:
            problems.add(
                "E_VALIDATION_RECORDS_TOO_MANY",
                "validation",
                None,
                None,
                f"{v:,} records; at most {limits.validation_records_max:,}",
            )
        if limits.total_records_max is not None and n + v > limits.total_records_max:
            problems.add(
                "E_TOTAL_RECORDS_TOO_MANY",
                "dataset",
                None,
                None,
                f"{n + v:,} records in all; at most {limits.total_records_max:,}",
            )
    elif limits.total_records_max is not None and n > limits.total_records_max:
        problems.add(
            "E_RECORDS_TOO_MANY",
            "training",
            None,
            None,
            f"{n:,} records; {name} takes at most {limits.total_records_max:,} (training and validation together)",
        )
    if (
        train_src.size is not None
        and limits.train_file_max_bytes is not None
        and train_src.size > limits.train_file_max_bytes
    ):
        problems.add(
            "E_FILE_TOO_LARGE",
            "training",
            None,
            None,
            f"{train_src.size:,} bytes; at most {limits.train_file_max_bytes:,}",
        )
    if (
        val_src is not None
        and val_src.size is not None
        and limits.validation_file_max_bytes is not None
        and val_src.size > limits.validation_file_max_bytes
    ):
        problems.add(
            "E_FILE_TOO_LARGE",
            "validation",
            None,
            None,
            f"{val_src.size:,} bytes; at most {limits.validation_file_max_bytes:,}",
        )
    for stats in (train, val):
        if stats is not None and {"image", "video"} <= stats.media_first_line.keys():
            lines = stats.media_first_line
            problems.add(
                "E_MEDIA_MIXED",
                stats.role,
                lines["video"],
                None,
                f"images (first at line {lines['image']}) and videos (first at line {lines['video']}) in one dataset",
            )
    usable = n - train.invalid_records  # a file of garbage is not "small", it is unreadable
    if (
        0 < n < SMALL_DATASET
        and usable > 0
        and not (limits.train_records_min and n < limits.train_records_min)
    ):
        problems.add("W_SMALL_DATASET", "training", None, None, f"only {n:,} records")
    median = train.hist.quantile(0.5)
    threshold = max(OUTLIER_MIN_TOKENS, median * OUTLIER_FACTOR)
    for tokens, line in train.top.largest():
        if tokens > threshold:
            problems.add(
                "W_LONG_OUTLIER",
                "training",
                line,
                None,
                f"{tokens:,} tokens, {tokens / max(median, 1):,.0f}× the median ({median:,})",
            )


def _token_stats(stats: FileStats) -> TokenStats:
    h = stats.hist
    largest = stats.top.largest()
    return TokenStats(
        total=h.total,
        mean=round(h.total / h.n, 1) if h.n else 0.0,
        p50=h.quantile(0.5),
        p95=h.quantile(0.95),
        max=h.max,
        max_line=largest[0][1] if largest else None,
        histogram=[HistogramBin(lt=lt, count=c) for lt, c in h.coarse()],
        exact_counted_records=stats.exact_counted,
        note=TOKENIZER_NOTE,
    )


def _build_report(
    target: Target,
    fmt: str,
    files: list[tuple[DataSource, FileStats]],
    problems: Problems,
    notes: list[str],
) -> Report:
    ordered = sorted(
        problems.counts,
        key=lambda c: (CODES[c].severity is not Severity.ERROR, -problems.counts[c], c),
    )
    plist = [
        Problem(
            code=code,
            severity=CODES[code].severity.value,
            title=CODES[code].title,
            fix=CODES[code].fix,
            count=problems.counts[code],
            examples=[
                ProblemExample(
                    file=e.file,
                    line=e.line,
                    path=e.path,
                    message=e.message.format(related=e.related)
                    if e.related is not None
                    else e.message,
                    related_line=e.related,
                )
                for e in problems.examples.get(code, [])
            ],
        )
        for code in ordered
    ]
    errors = sum(p.count for p in plist if p.severity == "error")
    warnings = sum(p.count for p in plist if p.severity == "warning")
    train = files[0][1]
    val = files[1][1] if len(files) > 1 else None
    epochs = epochs_of(target.hyperparameters)
    cost = estimate_training_cost(target.model, train.hist.total, epochs)
    valid = errors == 0
    if valid:
        verdict = f"{train.records:,} records ready for {target.model.name} {target.ctype.value}."
    else:
        top = ", ".join(f"{p.code} ×{p.count:,}" for p in plist if p.severity == "error")
        bad = train.invalid_records + (val.invalid_records if val else 0)
        total = train.records + (val.records if val else 0)
        blanks = train.blank_lines + (val.blank_lines if val else 0)
        extra = f" and {blanks:,} blank line{'s' if blanks != 1 else ''}" if blanks else ""
        plural = "s" if errors != 1 else ""
        where = (
            f"in {bad:,} of {total:,} records{extra}"
            if bad or blanks
            else "in the dataset as a whole"
        )
        verdict = f"{errors:,} error{plural} {where}; fix before training ({top})."
    return Report(
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        model=ModelInfo(
            id=target.model.id,
            name=target.model.name,
            customization_type=target.ctype.value,
            format=fmt,
            token_limit=target.token_limit,
            batch_size=target.batch_size,
            hyperparameters=target.hyperparameters,
        ),
        summary=Summary(
            valid=valid,
            errors=errors,
            warnings=warnings,
            records=train.records,
            invalid_records=train.invalid_records,
            validation_records=val.records if val else None,
            training_tokens=train.hist.total,
            verdict=verdict,
        ),
        files=[
            FileReport(
                role=stats.role,
                uri=src.uri,
                bytes=stats.bytes,
                lines=stats.lines,
                records=stats.records,
                blank_lines=stats.blank_lines,
                invalid_records=stats.invalid_records,
                tokens=_token_stats(stats),
            )
            for src, stats in files
        ],
        problems=plist,
        cost=cost,
        notes=notes,
    )
