"""``bedrock-tuner``: validate, estimate, split, catalog.

Exit codes: 0 success / valid dataset, 1 invalid dataset, 2 usage or I/O error. Errors are
one line with a code and a fix on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, cast

import msgspec

from bedrock_tuner import __version__
from bedrock_tuner.casing import camel_builtins
from bedrock_tuner.catalog import load_catalog
from bedrock_tuner.catalog.types import BaseModel, CustomizationType, RecordFormat, TypeSupport
from bedrock_tuner.datasets.report import Report
from bedrock_tuner.errors import BedrockTunerError, UsageError
from bedrock_tuner.models.sources import DataSource
from bedrock_tuner_cli import catalog_cmd, local_cmd, stack_cmds
from bedrock_tuner_cli.progress import ProgressBar, wants_progress

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
SNIFF_LINES = 50  # lines split reads to compare the data's shape with the model's format


class InvalidDatasetError(BedrockTunerError):
    """The data cannot train the model (estimate, split): exit 1, as validate."""

    code = "BT_INVALID_DATASET"


class CliParser(argparse.ArgumentParser):
    """argparse with the CLI's error shape: ``error [BT_USAGE]: …`` and a ``fix:`` line
    (the command's usage on one line), exit 2 — for missing arguments, bad numbers, …"""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        self.exit(
            EXIT_USAGE,
            f"error [{UsageError.code}]: {self.prog}: {message}\n"
            f"fix: usage: {usage} (more: {self.prog} --help)\n",
        )


def _hyperparameters(items: Sequence[str] | None) -> dict[str, str]:
    """``["epochCount=2", "learningRate=0.00001,batchSize=1"]`` → a dict. Each item of
    ``-p``/``--hyperparameter``/``--hyperparameters`` holds one or more ``name=value``
    pairs separated by commas or spaces."""
    out: dict[str, str] = {}
    for item in items or ():
        for pair in item.replace(",", " ").split():
            name, sep, value = pair.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise UsageError(
                    f'hyperparameter "{pair}" is not name=value',
                    fix="Write e.g. -p epochCount=2 -p learningRate=0.00001 "
                    "(or --hyperparameters epochCount=2,learningRate=0.00001)",
                )
            out[name.strip()] = value.strip()
    return out


def _add_target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", required=True, metavar="ID", help="base model id (see `bedrock-tuner catalog`)"
    )
    p.add_argument(
        "--type",
        dest="ctype",
        metavar="TYPE",
        help="customization type (default: FINE_TUNING if supported)",
    )
    p.add_argument(
        "-p",
        "--hyperparameter",
        dest="hyperparameters",
        action="append",
        metavar="K=V",
        help="a hyperparameter as name=value; repeatable (-p epochCount=2 -p learningRate=0.00001)",
    )
    p.add_argument(
        "--hyperparameters",
        dest="hyperparameters",
        action="append",
        metavar="K=V[,K=V]",
        help="several hyperparameters in one argument, separated by commas or spaces",
    )
    p.add_argument(
        "--catalog",
        action="append",
        metavar="FILE",
        help="catalog override file (YAML or JSON); repeatable",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="bedrock-tuner",
        description="Validate, estimate and prepare Amazon Bedrock model-customization datasets.",
    )
    parser.add_argument("--version", action="version", version=f"bedrock-tuner {__version__}")
    # CliParser is an ArgumentParser; the sub-command modules take the base type
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
    )

    v = sub.add_parser(
        "validate", help="validate a training dataset (and validation file) for a model"
    )
    v.add_argument("train", metavar="TRAIN", help="local path, s3://bucket/key, or - for stdin")
    v.add_argument("--validation", metavar="FILE", help="validation file (path or s3://)")
    _add_target_args(v)
    v.add_argument("--json", action="store_true", help="print the JSON report instead of text")
    v.add_argument(
        "--max-examples",
        type=int,
        default=5,
        metavar="N",
        help="examples kept per problem code (default 5)",
    )
    v.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes for large local/S3 files (default 1)",
    )
    v.add_argument(
        "--media-bucket",
        metavar="BUCKET",
        help="bucket media must live in (default: the dataset's, for s3:// inputs)",
    )
    v.add_argument("--report-out", metavar="FILE", help="also write the JSON report to FILE")
    v.add_argument("--no-progress", action="store_true", help="never show the progress bar")

    e = sub.add_parser("estimate", help="training cost, storage and break-even for a dataset")
    e.add_argument(
        "train", nargs="?", metavar="TRAIN", help="dataset to count tokens in (or give --tokens)"
    )
    _add_target_args(e)
    e.add_argument(
        "--tokens", type=int, metavar="N", help="training tokens (skip reading a dataset)"
    )
    e.add_argument(
        "--saved-prompt-tokens",
        type=int,
        metavar="N",
        help="prompt tokens the custom model saves per request",
    )
    e.add_argument(
        "--requests-per-month", type=int, metavar="N", help="requests per month to the custom model"
    )
    e.add_argument(
        "--input-price-per-1k",
        type=float,
        metavar="USD",
        help="price of 1,000 input tokens you pay today",
    )
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--no-progress", action="store_true", help="never show the progress bar")

    s = sub.add_parser(
        "split", help="split a dataset into training and validation files within the model's limits"
    )
    s.add_argument("train", metavar="TRAIN", help="local path or s3://bucket/key")
    s.add_argument(
        "--validation-ratio",
        type=float,
        required=True,
        metavar="R",
        help="share of records for validation, e.g. 0.1",
    )
    s.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed (default 0): same seed, same split",
    )
    s.add_argument("--model", metavar="ID", help="respect this model's record limits")
    s.add_argument("--type", dest="ctype", metavar="TYPE", help="customization type for the limits")
    s.add_argument("--catalog", action="append", metavar="FILE", help="catalog override file")
    s.add_argument(
        "--out-dir",
        metavar="DIR",
        help="where to write NAME.train.jsonl and NAME.validation.jsonl (default: beside TRAIN)",
    )
    s.add_argument("--force", action="store_true", help="replace the output files when they exist")
    s.add_argument("--json", action="store_true", help="print JSON")

    catalog_cmd.add_parser(sub)
    local_cmd.add_parser(sub)
    stack_cmds.add_parsers(sub)
    return parser


def _open_s3(uri: str) -> DataSource:
    """An ``s3://`` dataset through the S3 adapter (imported only when one is read)."""
    from bedrock_tuner.aws.s3 import s3_source

    return s3_source(uri)


def _open(uri: str) -> DataSource:
    """A dataset source: a local path, ``-`` (stdin) or ``s3://bucket/key``."""
    from bedrock_tuner.datasets.reader import open_source

    return open_source(uri, open_remote=_open_s3)


def _cmd_validate(args: argparse.Namespace) -> int:
    from bedrock_tuner.datasets.report import render_text, report_json
    from bedrock_tuner.datasets.validate import validate_dataset

    if args.max_examples < 0:
        raise UsageError(
            f"--max-examples must be 0 or more, got {args.max_examples}",
            fix="Give --max-examples 0 (counts only) or more (default 5).",
        )
    if args.workers < 1:
        raise UsageError(
            f"--workers must be 1 or more, got {args.workers}",
            fix="Give --workers 1 (one process, the default) or the number of CPU cores.",
        )
    catalog = load_catalog(args.catalog or ())
    train = _open(args.train)
    validation = _open(args.validation) if args.validation else None
    bar = (
        ProgressBar((train.size or 0) + ((validation.size or 0) if validation else 0), "validating")
        if wants_progress(args.no_progress)
        else None
    )
    try:
        report = validate_dataset(
            train,
            model_id=args.model,
            customization_type=args.ctype,
            validation=validation,
            hyperparameters=_hyperparameters(args.hyperparameters),
            max_examples=args.max_examples,
            workers=args.workers,
            catalog=catalog,
            media_bucket=args.media_bucket,
            progress=bar.advance if bar else None,
        )
    finally:
        if bar:
            bar.close()
    if args.report_out:
        with open(args.report_out, "wb") as fh:
            fh.write(report_json(report) + b"\n")
    if args.json:
        sys.stdout.buffer.write(report_json(report) + b"\n")
    else:
        sys.stdout.write(
            render_text(report, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        )
    return EXIT_OK if report.summary.valid else EXIT_INVALID


def _epochs_text(count: int) -> str:
    return f"{count} epoch{'' if count == 1 else 's'}"


def _nonnegative(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 0:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} must be 0 or more, got {value}", fix=f"Give {flag} ≥ 0.")


def _cmd_estimate(args: argparse.Namespace) -> int:
    import datetime as dt

    from bedrock_tuner.catalog import check_hyperparameters, lifecycle_warnings
    from bedrock_tuner.datasets.cost import break_even, estimate_training_cost
    from bedrock_tuner.datasets.validate import epochs_of, resolve_target, validate_dataset

    _nonnegative(args, "tokens", "saved_prompt_tokens", "requests_per_month", "input_price_per_1k")
    catalog = load_catalog(args.catalog or ())
    hps = _hyperparameters(args.hyperparameters)
    target = resolve_target(args.model, args.ctype, hps, catalog)
    if args.tokens is None and not args.train:
        raise UsageError(
            "give a dataset or --tokens", fix="bedrock-tuner estimate train.jsonl --model ID"
        )
    be_args = (args.saved_prompt_tokens, args.requests_per_month, args.input_price_per_1k)
    if any(a is not None for a in be_args) and any(a is None for a in be_args):
        raise UsageError(
            "break-even needs --saved-prompt-tokens, --requests-per-month and "
            "--input-price-per-1k together",
            fix="Give all three, e.g. --saved-prompt-tokens 1200 --requests-per-month 200000 "
            "--input-price-per-1k 0.0002 (or none of them).",
        )
    if args.tokens is not None:
        tokens = args.tokens
        for problem in check_hyperparameters(target.support, hps):
            raise UsageError(problem.message, fix=problem.fix)
    else:
        bar = ProgressBar(None, "counting tokens") if wants_progress(args.no_progress) else None
        try:
            report = validate_dataset(
                args.train,
                model_id=args.model,
                customization_type=args.ctype,
                hyperparameters=hps,
                catalog=catalog,
                max_examples=1,
                progress=bar.advance if bar else None,
                open_remote=_open_s3,
            )
        finally:
            if bar:
                bar.close()
        if not report.summary.valid:
            for text in lifecycle_warnings(target.model, dt.date.today()):
                print(f"warning: {text}", file=sys.stderr)
            raise _invalid_for_estimate(args, report)
        tokens = report.summary.training_tokens
    warnings = lifecycle_warnings(target.model, dt.date.today())
    epochs = epochs_of(target.hyperparameters)
    cost = estimate_training_cost(target.model, tokens, epochs)
    be = None
    if all(a is not None for a in be_args):
        if cost.training_usd is None:
            raise UsageError(
                f"no training price is known for {target.model.id}",
                fix="Add price.training_per_1k_tokens in a catalog override (--catalog).",
            )
        be = break_even(
            training_usd=cost.training_usd,
            storage_usd_per_month=cost.storage_usd_per_month or 0.0,
            saved_prompt_tokens=args.saved_prompt_tokens,
            requests_per_month=args.requests_per_month,
            input_price_per_1k_tokens=args.input_price_per_1k,
        )
    if args.json:
        doc = {
            "model": target.model.id,
            "customizationType": target.ctype.value,
            "cost": cost,
            "breakEven": camel_builtins(be) if be is not None else None,
            "warnings": warnings,
        }
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n")
        return EXIT_OK
    usd = (
        "unknown (no price in the catalog)"
        if cost.training_usd is None
        else f"${cost.training_usd:,.2f}"
    )
    print(f"model: {target.model.name} ({target.model.id}) · {target.ctype.value}")
    for text in warnings:
        print(f"warning: {text}")
    print(
        f"training: {cost.training_tokens:,} tokens × {_epochs_text(cost.epochs)} = "
        f"{cost.billed_tokens:,} billed tokens → {usd}"
    )
    if cost.price_per_1k_tokens is not None:
        print(
            f"          at ${cost.price_per_1k_tokens} per 1k tokens (price of {cost.price_as_of}; {cost.price_source})"
        )
    storage = (
        "unknown" if cost.storage_usd_per_month is None else f"${cost.storage_usd_per_month:,.2f}"
    )
    print(f"storage:  {storage} per month while the custom model exists")
    if be is not None:
        print(
            f"break-even: saves ${be.monthly_savings_usd:,.2f}/month in prompt tokens; {be.verdict}"
        )
    print("note: token counts are estimates of the model's own tokenizer")
    return EXIT_OK


def _invalid_for_estimate(args: argparse.Namespace, report: Report) -> InvalidDatasetError:
    """``estimate`` on data the model cannot train on: validate's verdict (exit 1)."""
    first = next((p for p in report.problems if p.severity == "error"), None)
    example = ""
    if first is not None and first.examples:
        ex = first.examples[0]
        where = ex.file if ex.line is None else f"{ex.file}:{ex.line}"
        example = f" First: {where}: {ex.message}"
    model = report.model
    command = f"bedrock-tuner validate {args.train} --model {args.model}"
    if args.ctype:
        command += f" --type {args.ctype}"
    hint = f"{first.fix} " if first is not None else ""
    return InvalidDatasetError(
        f"{args.train} is not a {model.customization_type} dataset for {model.name}: "
        f"{report.summary.verdict}{example}",
        fix=f"{hint}Every problem and its fix: {command}",
    )


def _cmd_split(args: argparse.Namespace) -> int:
    from bedrock_tuner.catalog import (
        default_customization_type,
        get_model,
        parse_customization_type,
        type_support,
    )
    from bedrock_tuner.datasets.split import split_dataset

    if not 0 < args.validation_ratio < 1:
        raise UsageError(
            f"--validation-ratio must be between 0 and 1, got {args.validation_ratio}",
            fix="Use e.g. --validation-ratio 0.1 for 10 %.",
        )
    limits = None
    if args.model:
        catalog = load_catalog(args.catalog or ())
        model = get_model(catalog, args.model)
        ctype = (
            parse_customization_type(args.ctype)
            if args.ctype
            else default_customization_type(model)
        )
        support = type_support(model, ctype)
        if not support.accepts_validation:
            raise UsageError(
                f"{model.name} takes no validation file for {ctype.value}",
                fix="Upload the whole file as training data.",
            )
        limits = support.limits
    source = _open(args.train)
    if args.model:
        _check_shape(source, args, model, ctype, support)
    base = os.path.basename(args.train.rstrip("/")) or "dataset"
    stem = base[: -len(".jsonl")] if base.endswith(".jsonl") else base
    out_dir = args.out_dir or (
        os.path.dirname(os.path.abspath(args.train)) if not args.train.startswith("s3://") else "."
    )
    if not args.force:
        for kind in ("train", "validation"):
            path = os.path.join(out_dir, f"{stem}.{kind}.jsonl")
            if os.path.exists(path):
                raise UsageError(
                    f"{path} exists; split does not overwrite files",
                    fix="Add --force to replace it, or write elsewhere with --out-dir DIR.",
                )
    result = split_dataset(
        source,
        ratio=args.validation_ratio,
        seed=args.seed,
        out_dir=out_dir,
        stem=stem,
        limits=limits,
    )
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(camel_builtins(result)) + b"\n")
    else:
        print(f"training:   {result.train_path} ({result.train_records:,} records)")
        print(f"validation: {result.validation_path} ({result.validation_records:,} records)")
        if result.dropped_blank_lines:
            print(f"dropped {result.dropped_blank_lines:,} blank lines")
        if result.adjusted:
            print(f"note: {result.adjusted}")
    return EXIT_OK


def _first_shape(source: DataSource) -> tuple[RecordFormat, int] | None:
    """The record format the first recognisable record of ``source`` has, and its line."""
    from bedrock_tuner.datasets.reader import OversizeLine, iter_pieces
    from bedrock_tuner.datasets.structure import decode_generic, detect_format

    stream = source.open()
    line = 0
    try:
        for piece in iter_pieces(stream):
            lines = [b""] if isinstance(piece, OversizeLine) else bytes(piece).splitlines()
            for raw in lines:
                line += 1
                if line > SNIFF_LINES:
                    return None
                try:
                    obj = decode_generic(raw) if raw.strip() else None
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                    continue
                found = detect_format(obj) if isinstance(obj, dict) else None
                if found is not None:
                    return found, line
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return None


def _check_shape(
    source: DataSource,
    args: argparse.Namespace,
    model: BaseModel,
    ctype: CustomizationType,
    support: TypeSupport,
) -> None:
    """``split --model``: refuse data in another format than the model takes (exit 1)."""
    from bedrock_tuner.datasets.structure import (
        FORMAT_LABELS,
        customization_type_of,
        same_family,
    )

    sniffed = _first_shape(source)
    if sniffed is None:
        return
    found, line = sniffed
    if any(same_family(found, fmt) for fmt in support.formats):
        return
    kind = customization_type_of(found)
    hint = (
        f" (it is {kind.value} data: add --type {kind.value})"
        if kind != ctype and kind in model.customization
        else ""
    )
    raise InvalidDatasetError(
        f"{args.train} line {line} looks like {FORMAT_LABELS[found]}; {model.name} "
        f"{ctype.value} expects {FORMAT_LABELS[support.formats[0]]}{hint}",
        fix=f"Convert the records, or split for a model that takes this format; "
        f"every problem: bedrock-tuner validate {args.train} --model {args.model}",
    )


COMMANDS = {"validate": _cmd_validate, "estimate": _cmd_estimate, "split": _cmd_split}


def _fallback_fix(exc: BedrockTunerError, args: argparse.Namespace) -> str:
    """A fix for an error raised without one: every error line has a ``fix:`` line."""
    from bedrock_tuner.errors import DatasetSourceError, ThrottlingError, TransientError

    if isinstance(exc, DatasetSourceError):
        return "Check the path (or s3://bucket/key) and that your user or AWS identity can read it."
    if isinstance(exc, ThrottlingError | TransientError) or getattr(exc, "status", 0) >= 500:
        return "Try again in a minute; if it keeps failing, ask the stack's operators."
    words = [args.command] + [
        value
        for key, value in vars(args).items()
        if key.endswith("_command") and isinstance(value, str)
    ]
    command = " ".join(["bedrock-tuner", *words])
    return f"See `{command} --help`."


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "catalog":
            return catalog_cmd.run(args)
        if args.command == "local":
            return local_cmd.run(args)
        if args.command in stack_cmds.COMMANDS:
            return stack_cmds.run(args)
        return COMMANDS[args.command](args)
    except BedrockTunerError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        exit_code = EXIT_INVALID if isinstance(exc, InvalidDatasetError) else EXIT_USAGE
        problems = getattr(exc, "problem", {}).get("problems")
        if isinstance(problems, list) and len(problems) > 1:  # e.g. every problem of a spec
            for item in problems:
                if isinstance(item, dict):
                    more = f" (fix: {item['fix']})" if item.get("fix") else ""
                    print(
                        f"  {item.get('path') or '(file)'}: {item.get('message')}{more}",
                        file=sys.stderr,
                    )
        print(f"fix: {exc.fix or _fallback_fix(exc, args)}", file=sys.stderr)
        return exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
