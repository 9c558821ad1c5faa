"""Commands against a deployed stack (or the local cloud) through its REST API.

    bedrock-tuner pipelines list | pipelines get NAME | pipelines put NAME FILE | pipelines delete NAME
    bedrock-tuner runs list [--pipeline P] [--status S]
    bedrock-tuner runs get RUN_ID | runs start PIPELINE S3_URI | runs stop RUN_ID | runs recover RUN_ID
    bedrock-tuner approvals list | approvals approve RUN_ID [--reason R] | approvals reject RUN_ID --reason R
    bedrock-tuner models list
    bedrock-tuner versions list FAMILY | versions get FAMILY N | versions compare FAMILY A B
    bedrock-tuner aliases get FAMILY ALIAS | aliases history FAMILY ALIAS
    bedrock-tuner promote FAMILY ALIAS VERSION --reason R
    bedrock-tuner rollback FAMILY ALIAS --reason R

Every command takes ``--stack NAME | --api-url URL | --local``, ``--region`` and ``--json``
(the API's answer as is, for scripts); without ``--json`` it prints aligned tables. Errors
(the API's problem+json, an unreachable API, a missing stack) exit 2 with ``error [CODE]``
and a ``fix:`` line. The client is imported lazily: the rest of the CLI never needs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bedrock_tuner.errors import BedrockTunerError, UsageError
from bedrock_tuner_cli.table import cell, render_pairs, render_table

if TYPE_CHECKING:
    from bedrock_tuner_cli.client.api import BedrockTunerApi

COMMANDS = (
    "pipelines",
    "runs",
    "approvals",
    "models",
    "versions",
    "aliases",
    "promote",
    "rollback",
)

Handler = Callable[["BedrockTunerApi", argparse.Namespace], tuple[Any, str]]
"""Calls the API; returns (the answer for --json, the text for people)."""


# --------------------------------------------------------------------------- parsers


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("where the API is")
    target = where.add_mutually_exclusive_group()
    target.add_argument(
        "--stack",
        metavar="NAME",
        help="CloudFormation stack whose ApiUrl output to use "
        "(default: $BEDROCK_TUNER_API_URL, else the stack $BEDROCK_TUNER_STACK or bedrock-tuner)",
    )
    target.add_argument("--api-url", metavar="URL", help="the API's base URL (skips the lookup)")
    target.add_argument(
        "--local", action="store_true", help="the local cloud started by `bedrock-tuner local up`"
    )
    where.add_argument("--region", metavar="REGION", help="AWS region (default: your AWS config)")
    common.add_argument("--json", action="store_true", help="print the API's JSON answer")
    return common


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register pipelines, runs, approvals, models, versions, aliases, promote, rollback."""
    common = _common()

    def leaf(
        parent: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        help_text: str,
        handler: Handler,
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(stack_handler=handler)
        return p

    pipelines = subparsers.add_parser(
        "pipelines", help="pipeline specs (pipelines/NAME.yaml): list, get, put, delete"
    )
    pl_sub = pipelines.add_subparsers(dest="pipelines_command", required=True, metavar="ACTION")
    leaf(pl_sub, "list", "the pipelines (names of the specs in the data bucket)", _pipelines_list)
    p = leaf(pl_sub, "get", "print a pipeline's spec (YAML, as stored)", _pipelines_get)
    p.add_argument("name", metavar="NAME")
    p = leaf(
        pl_sub,
        "put",
        "create or replace a pipeline from a local YAML spec (the API validates it first)",
        _pipelines_put,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("file", metavar="FILE", help="the spec, YAML (docs/pipeline.md)")
    p = leaf(
        pl_sub, "delete", "delete a pipeline's spec (runs and versions stay)", _pipelines_delete
    )
    p.add_argument("name", metavar="NAME")

    runs = subparsers.add_parser(
        "runs", help="pipeline runs on the stack: list, get, start, stop, recover"
    )
    runs_sub = runs.add_subparsers(dest="runs_command", required=True, metavar="ACTION")
    p = leaf(runs_sub, "list", "list runs, newest first", _runs_list)
    p.add_argument("--pipeline", metavar="P", help="only this pipeline's runs")
    p.add_argument(
        "--status",
        metavar="S",
        help="only runs in this status (e.g. TRAINING) or group: failed (every way a run "
        "ends badly), active, succeeded; any case",
    )
    p = leaf(runs_sub, "get", "one run with its timeline", _runs_get)
    p.add_argument("run_id", metavar="RUN_ID")
    p = leaf(runs_sub, "start", "start a run of PIPELINE on a dataset in S3", _runs_start)
    p.add_argument("pipeline", metavar="PIPELINE")
    p.add_argument("s3_uri", metavar="S3_URI", help="s3://bucket/key of the training data")
    p = leaf(
        runs_sub,
        "recover",
        "register the model of a completed job whose run failed after training",
        _runs_recover,
    )
    p.add_argument("run_id", metavar="RUN_ID")
    p = leaf(runs_sub, "stop", "stop a run (its Bedrock job too)", _runs_stop)
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--reason", metavar="R", help="why (kept in the record)")

    approvals = subparsers.add_parser(
        "approvals", help="runs waiting for a person: list, approve, reject"
    )
    ap_sub = approvals.add_subparsers(dest="approvals_command", required=True, metavar="ACTION")
    leaf(ap_sub, "list", "runs waiting for approval", _approvals_list)
    p = leaf(ap_sub, "approve", "approve a run waiting for approval", _decide)
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--reason", metavar="R", help="why (optional; kept in the record)")
    p.set_defaults(decision="approve")
    p = leaf(ap_sub, "reject", "reject a run waiting for approval", _decide)
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument(
        "--reason", required=True, metavar="R", help="why (required; kept in the record)"
    )
    p.set_defaults(decision="reject")

    models = subparsers.add_parser("models", help="model families (registered custom models)")
    m_sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    leaf(m_sub, "list", "the model families", _models_list)

    versions = subparsers.add_parser(
        "versions", help="registered model versions: list, get, compare"
    )
    v_sub = versions.add_subparsers(dest="versions_command", required=True, metavar="ACTION")
    p = leaf(v_sub, "list", "the versions of a model family", _versions_list)
    p.add_argument("family", metavar="FAMILY")
    p = leaf(v_sub, "get", "one version: model, lineage, metrics", _versions_get)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("version", type=int, metavar="N")
    p = leaf(v_sub, "compare", "two versions side by side", _versions_compare)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("a", type=int, metavar="A")
    p.add_argument("b", type=int, metavar="B")

    aliases = subparsers.add_parser(
        "aliases", help="model aliases (prod, staging...): get, history"
    )
    al_sub = aliases.add_subparsers(dest="aliases_command", required=True, metavar="ACTION")
    p = leaf(al_sub, "get", "the version an alias points at", _aliases_get)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("alias", metavar="ALIAS")
    p = leaf(al_sub, "history", "every change of an alias", _aliases_history)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("alias", metavar="ALIAS")

    p = leaf(subparsers, "promote", "point an alias at a version", _promote)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("version", type=int, metavar="VERSION")
    p.add_argument("--reason", required=True, metavar="R", help="why (kept in the history)")
    p = leaf(subparsers, "rollback", "point an alias back at its previous version", _rollback)
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("--reason", required=True, metavar="R", help="why (kept in the history)")


def run(args: argparse.Namespace) -> int:
    """Resolve the API, call it, print the answer (table or ``--json``)."""
    from bedrock_tuner_cli.client.api import BedrockTunerApi
    from bedrock_tuner_cli.client.http import ApiClient
    from bedrock_tuner_cli.client.stack import resolve_endpoint

    if getattr(args, "status", None) is not None:  # usage errors before any lookup
        args.status = _status_arg(args.status)
    if getattr(args, "file", None) is not None:
        args.spec_text = _read_spec_file(args.file)
    endpoint = resolve_endpoint(
        api_url=args.api_url, stack=args.stack, local=args.local, region=args.region
    )
    api = BedrockTunerApi(ApiClient(endpoint.url, endpoint.region, endpoint.credentials))
    handler: Handler = args.stack_handler
    where = _where(args)
    try:
        doc, text = handler(api, args)
    except BedrockTunerError as error:
        if error.fix:  # the API's fix names commands: point them at the same stack
            error.fix = with_target(error.fix, where)
        raise
    text = with_target(text, where)
    if args.json:
        if doc is not None:  # DELETE answers 204, no body
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text)
    return 0


_STACK_COMMAND = re.compile(r"bedrock-tuner (?:" + "|".join(COMMANDS) + r")\b[^`\n]*")
_TARGET_FLAGS = ("--stack", "--local", "--api-url")


def _where(args: argparse.Namespace) -> str:
    """How this invocation found the stack, as flags a printed command repeats."""
    if args.local:
        return "--local"
    if args.api_url:
        return f"--api-url {shlex.quote(args.api_url)}"
    parts = []
    if args.stack:
        parts.append(f"--stack {shlex.quote(args.stack)}")
    if args.region:
        parts.append(f"--region {shlex.quote(args.region)}")
    return " ".join(parts)


def with_target(text: str, where: str) -> str:
    """Every stack command in ``text`` (``follow it: bedrock-tuner runs get R``, a fix's
    `` `bedrock-tuner runs list` ``) with this invocation's ``--stack``/``--local``, so it
    runs as printed against the same stack."""
    if not where:
        return text

    def add(match: re.Match[str]) -> str:
        command = match.group(0).rstrip(" .;,)")
        rest = match.group(0)[len(command) :]
        if any(flag in command.split() for flag in _TARGET_FLAGS):
            return match.group(0)
        return f"{command} {where}{rest}"

    return _STACK_COMMAND.sub(add, text)


# --------------------------------------------------------------------------- reading answers


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def get(obj: Any, *names: str) -> Any:
    """The first present field of ``names`` (snake_case; camelCase is tried too)."""
    if not isinstance(obj, dict):
        return None
    for name in names:
        for key in (name, _camel(name)):
            if obj.get(key) is not None:
                return obj[key]
    return None


def items(doc: Any, *keys: str) -> list[Any]:
    """The list in an answer: the answer itself, or its ``keys``/``items`` list."""
    if isinstance(doc, list):
        return doc
    found = get(doc, *keys, "items", "data", "results")
    if isinstance(found, list):
        return found
    if isinstance(doc, dict):
        lists = [value for value in doc.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    return []


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` → ``[("a.b", 1), ("c", [1, 2])]``."""
    if not isinstance(obj, dict):
        return [(prefix or "value", obj)]
    pairs: list[tuple[str, Any]] = []
    for key, value in obj.items():
        label = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            pairs.extend(flatten(value, label) if value else [(label, None)])
        elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
            pairs.append((label, f"[{len(value)} items]"))
        else:
            pairs.append((label, value))
    return pairs


def _pairs(obj: Any) -> list[tuple[str, Any]]:
    """:func:`flatten` with the times in the CLI's one format."""
    return [(label, when(value)) for label, value in flatten(obj)]


def _dataset(run: Any) -> Any:
    dataset = get(run, "dataset")
    if isinstance(dataset, dict):
        uri = get(dataset, "uri", "s3_uri")
        if uri:
            return uri
        bucket, key = get(dataset, "bucket"), get(dataset, "key")
        return f"s3://{bucket}/{key}" if bucket and key else None
    return dataset or get(run, "s3_uri", "dataset_uri")


def _error_text(error: Any) -> Any:
    if isinstance(error, dict):
        code = get(error, "code", "error", "error_type")
        message = get(error, "message", "detail", "cause")
        return ": ".join(str(part) for part in (code, message) if part) or None
    return error


def _usd(value: Any) -> str:
    """``$12.50``; ``unknown`` when the API has no cost (no price in the catalog, or not
    estimated yet)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "unknown" if value is None else cell(value)
    return f"${value:,.2f}"


def when(value: Any) -> Any:
    """Every timestamp the CLI shows in one format: ``2026-01-01T10:00:00Z`` (UTC, seconds).

    The API's records say ``…T10:00:00.123Z`` and the workflow history
    ``…T10:00:00.123000+00:00``; anything that is not an ISO 8601 time is shown as is."""
    if not isinstance(value, str) or len(value) < 19 or value[10:11] not in ("T", " "):
        return value
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _none_text(rows: Iterable[Any], what: str) -> str | None:
    return None if list(rows) else f"no {what}\n"


# --------------------------------------------------------------------------- pipelines


def _pipelines_list(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.list_pipelines()
    names = [get(item, "name") if isinstance(item, dict) else item for item in items(doc)]
    rows = [(name,) for name in names]
    return doc, _none_text(rows, "pipelines") or render_table(("PIPELINE",), rows)


def _problem_lines(error: Any) -> str:
    problems = get(error, "problems")
    lines = []
    for problem in problems if isinstance(problems, list) else []:
        path = get(problem, "path") or "(the file)"
        line = f"  {path}: {cell(get(problem, 'message'))}"
        if get(problem, "fix"):
            line += f"\n    fix: {get(problem, 'fix')}"
        lines.append(line)
    return "\n".join(lines)


def _pipelines_get(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.get_pipeline(args.name)
    text = get(doc, "text") or ""
    error = get(doc, "error")
    if error:  # the stored spec is invalid: the text on stdout, the problems on stderr
        sys.stderr.write(
            f"warning: {get(doc, 'key') or args.name} is not a valid spec; runs of it fail:\n"
            + _problem_lines(error)
            + "\n"
        )
    return doc, text if text.endswith("\n") or not text else text + "\n"


def _pipelines_put(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.put_pipeline(args.name, args.spec_text)
    key = get(doc, "key") or f"pipelines/{args.name}.yaml"
    text = f"stored {key} (valid)\n"
    text += (
        f"start a run: upload a dataset to s3://<data bucket>/datasets/{args.name}/, or "
        f"`bedrock-tuner runs start {args.name} S3_URI`\n"
    )
    return doc, text


def _pipelines_delete(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.delete_pipeline(args.name)
    return doc, f"deleted pipeline {args.name} (its runs and model versions stay)\n"


def _read_spec_file(path: str) -> str:
    from bedrock_tuner.errors import DatasetSourceError

    fix = "Give the path of a YAML spec (see docs/pipeline.md), e.g. examples/pipelines/support-bot.yaml"
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise DatasetSourceError(f"no such file: {path}", fix=fix) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetSourceError(f"cannot read {path}: {exc}", fix=fix) from None


# --------------------------------------------------------------------------- models


def _models_list(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.list_models()
    rows = [
        (
            get(f, "family", "name"),
            when(get(f, "created_at")),
            when(get(f, "updated_at")),
            get(f, "deployment_arn"),
        )
        for f in items(doc, "families", "models")
    ]
    headers = ("FAMILY", "CREATED", "UPDATED", "DEPLOYMENT")
    return doc, _none_text(rows, "model families yet") or render_table(headers, rows)


# --------------------------------------------------------------------------- runs


def _status_arg(value: str | None) -> str | None:
    """The API's canonical spelling of ``--status`` (a usage error lists the valid values)."""
    if value is None:
        return None
    from bedrock_tuner.pipeline.runs import parse_status_filter

    try:
        return parse_status_filter(value)[0]
    except ValueError as error:
        raise UsageError(
            str(error), fix="e.g. bedrock-tuner runs list --status failed (or TRAINING)"
        ) from None


def _runs_list(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.list_runs(pipeline=args.pipeline, status=args.status)
    runs = items(doc, "runs")
    rows = [
        (
            get(r, "run_id", "id"),
            get(r, "pipeline"),
            get(r, "status"),
            when(get(r, "created_at", "started_at")),
            when(get(r, "updated_at")),
            _usd(get(r, "cost_usd", "estimated_cost_usd")),
            get(r, "version"),
        )
        for r in runs
    ]
    headers = ("RUN ID", "PIPELINE", "STATUS", "CREATED", "UPDATED", "COST", "VERSION")
    return doc, _none_text(rows, "runs") or render_table(headers, rows)


def _run_text(run: Any) -> str:
    family, version = get(run, "family"), get(run, "version")
    pairs = [
        ("run", get(run, "run_id", "id")),
        ("pipeline", get(run, "pipeline")),
        ("status", get(run, "status")),
        ("dataset", _dataset(run)),
        ("created", when(get(run, "created_at", "started_at"))),
        ("updated", when(get(run, "updated_at"))),
        ("cost", _usd(get(run, "cost_usd", "estimated_cost_usd"))),
        ("version", f"{family} v{version}" if family and version is not None else version),
        ("job", get(run, "job_arn")),
        ("execution", get(run, "execution_arn")),
        ("error", _error_text(get(run, "error"))),
    ]
    return render_pairs([(label, value) for label, value in pairs if value not in (None, "-")])


def _timeline_rows(entries: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for entry in entries if isinstance(entries, list) else []:
        rows.append(
            (
                when(get(entry, "entered_at", "at", "timestamp")),
                when(get(entry, "exited_at")),
                get(entry, "name", "step"),
                get(entry, "status"),
                get(entry, "detail"),
            )
        )
        stages = get(entry, "stages")
        for stage in stages if isinstance(stages, list) else []:
            rows.append(
                (
                    when(get(stage, "started_at")),
                    when(get(stage, "updated_at")),
                    f"  - {cell(get(stage, 'name'))}",
                    get(stage, "status"),
                    None,
                )
            )
    return rows


def _runs_get(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.get_run(args.run_id)
    run = get(doc, "run") if isinstance(get(doc, "run"), dict) else doc
    rows = _timeline_rows(get(doc, "timeline") or get(run, "timeline", "steps"))
    text = _run_text(run) + "\ntimeline:\n"
    headers = ("STARTED", "ENDED", "STEP", "STATUS", "DETAIL")
    text += render_table(headers, rows) if rows else "  (nothing yet)\n"
    return doc, text


def _runs_start(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.start_run(args.pipeline, args.s3_uri)
    run_id = get(doc, "run_id", "id")
    status = get(doc, "status")
    verb = {"started": "started run", "duplicate": "a run exists already:"}.get(
        str(status), f"{cell(status)}:"
    )
    text = f"{verb} {cell(run_id)} ({args.pipeline}, {args.s3_uri})\n"
    reason = get(doc, "reason")
    if reason:
        text += f"  {reason}\n"
    if run_id:
        text += f"follow it: bedrock-tuner runs get {run_id}\n"
    return doc, text


def _runs_recover(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.recover_run(args.run_id)
    family, version = get(doc, "family"), get(doc, "version")
    status = get(doc, "status") or "registered"
    text = f"{status}: {family} v{version} from run {args.run_id}\n"
    model = get(doc, "model_arn")
    if model:
        text += f"  model: {model}\n"
    text += f"see it: bedrock-tuner versions get {family} {version}\n"
    return doc, text


def _runs_stop(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.stop_run(args.run_id, args.reason)
    stopped = [
        what
        for what, key in (("Bedrock job", "job_stopped"), ("workflow", "execution_stopped"))
        if get(doc, key)
    ]
    status = get(doc, "status")
    text = f"stopping run {args.run_id}"
    if stopped:
        text += ": stopped the " + " and the ".join(stopped)
    elif status:
        text += f": {status}"
    return doc, text + "\n"


# --------------------------------------------------------------------------- approvals


def _approvals_list(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.list_approvals()
    pending = items(doc, "approvals", "pending")
    rows = [
        (
            get(a, "run_id", "id"),
            get(a, "pipeline"),
            _usd(get(a, "cost_usd", "estimated_cost_usd")),
            when(get(a, "requested_at", "created_at")),
            get(a, "why"),
        )
        for a in pending
    ]
    headers = ("RUN ID", "PIPELINE", "COST", "REQUESTED", "WHY")
    return doc, _none_text(rows, "runs waiting for approval") or render_table(headers, rows)


def _decide(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.decide(args.run_id, args.decision, args.reason)
    verb = "approved" if args.decision == "approve" else "rejected"
    text = f"{verb} run {args.run_id}"
    by, reason = get(doc, "by"), get(doc, "reason")
    if by:
        text += f" as {by}"
    if reason:
        text += f": {reason}"
    follow = f"\nfollow it: bedrock-tuner runs get {args.run_id}" if verb == "approved" else ""
    return doc, text + follow + "\n"


# --------------------------------------------------------------------------- versions


def _versions_list(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.list_versions(args.family)
    versions = items(doc, "versions")
    rows = [
        (
            get(v, "version"),
            get(v, "base_model"),
            get(v, "customization_type"),
            get(v, "run_id"),
            when(get(v, "registered_at", "created_at")),
            _usd(get(v, "cost_usd")),
            get(v, "aliases"),
        )
        for v in versions
    ]
    headers = ("VERSION", "BASE MODEL", "TYPE", "RUN", "REGISTERED", "COST", "ALIASES")
    return doc, _none_text(rows, f"versions of {args.family}") or render_table(headers, rows)


def _versions_get(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.get_version(args.family, args.version)
    version = get(doc, "version") if isinstance(get(doc, "version"), dict) else doc
    return doc, render_pairs(_pairs(version))


def _side(doc: Any, *names: str) -> Any:
    value = get(doc, *names)
    return value if isinstance(value, dict) else None


def _values(doc: Any) -> list[Any]:
    return list(doc.values()) if isinstance(doc, dict) else []


def _is_diff(value: Any) -> bool:
    return isinstance(value, dict) and ("a" in value or "b" in value)


def _section_rows(doc: Any) -> list[tuple[Any, ...]]:
    """``{"metrics": {"loss": {"a": 1, "b": 2, "delta": 1}}}`` → ``("metrics.loss", 1, 2, 1)``."""
    rows: list[tuple[Any, ...]] = []
    for name, section in doc.items() if isinstance(doc, dict) else ():
        if isinstance(section, dict) and section and all(map(_is_diff, section.values())):
            rows.extend(
                (f"{name}.{field}", get(diff, "a"), get(diff, "b"), get(diff, "delta"))
                for field, diff in section.items()
            )
    return rows


def _versions_compare(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.compare_versions(args.family, args.a, args.b)
    head_a, head_b = f"v{args.a}", f"v{args.b}"
    diffs = get(doc, "differences", "diff", "changes")
    if isinstance(diffs, list):
        rows: list[tuple[Any, ...]] = [
            (
                get(d, "field", "path", "name"),
                get(d, "a", "left", "from"),
                get(d, "b", "right", "to"),
                get(d, "delta"),
            )
            for d in diffs
        ]
    else:
        rows = _section_rows(doc)
    left = _side(doc, "a", "left", "from")
    right = _side(doc, "b", "right", "to")
    if not rows and left is not None and right is not None:
        a_values, b_values = dict(flatten(left)), dict(flatten(right))
        fields = list(dict.fromkeys([*a_values, *b_values]))
        rows = [
            (f, a_values.get(f), b_values.get(f), None)
            for f in fields
            if cell(a_values.get(f)) != cell(b_values.get(f))
        ]
    unknown = not isinstance(diffs, list) and (left is None or right is None)
    if not rows and unknown and not any(isinstance(v, dict) for v in _values(doc)):
        return doc, render_pairs(flatten(doc))  # a shape this client does not know
    text = render_table(("FIELD", head_a, head_b, "DELTA"), rows) if rows else "no differences\n"
    better = get(doc, "better")
    if better is not None and not isinstance(better, dict):
        text += f"better (lower validation loss): v{better}\n"
    return doc, text


# --------------------------------------------------------------------------- aliases


def _aliases_get(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.get_alias(args.family, args.alias)
    return doc, render_pairs(_pairs(doc))


def _aliases_history(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.alias_history(args.family, args.alias)
    changes = items(doc, "history", "changes", "events")
    rows = [
        (
            when(get(c, "at", "changed_at", "updated_at", "timestamp")),
            get(c, "action", "kind"),
            get(c, "previous_version", "from_version", "previous"),
            get(c, "version", "to_version"),
            get(c, "by", "changed_by", "actor"),
            get(c, "status"),
            get(c, "reason"),
        )
        for c in changes
    ]
    headers = ("AT", "ACTION", "FROM", "TO", "BY", "STATUS", "REASON")
    empty = _none_text(rows, f"changes of {args.family}/{args.alias}")
    return doc, empty or render_table(headers, rows)


def _moved(doc: Any, args: argparse.Namespace, verb: str, version: Any) -> str:
    previous = get(doc, "previous_version", "from_version", "previous")
    now = get(doc, "version", "to_version")
    now = now if now is not None and not isinstance(now, dict) else version
    text = f"{verb}: {args.family}/{args.alias} -> version {cell(now)}"
    if previous is not None and not isinstance(previous, dict):
        text += f" (was {previous})"
    return text + "\n"


def _promote(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.set_alias(args.family, args.alias, args.version, args.reason)
    return doc, _moved(doc, args, "promoted", args.version)


def _rollback(api: BedrockTunerApi, args: argparse.Namespace) -> tuple[Any, str]:
    doc = api.rollback_alias(args.family, args.alias, args.reason)
    return doc, _moved(doc, args, "rolled back", None)


__all__ = ["COMMANDS", "add_parsers", "flatten", "get", "items", "run"]
