"""``bedrock-tuner local up|demo``: the stack on a local AWS emulator (needs the ``local`` extra).

The local cloud package is imported inside :func:`run`, so the CLI works without moto.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from bedrock_tuner.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "local",
        help="run the whole stack on a local AWS emulator (moto): `local up` or `local demo`",
        description=(
            "Deploy template.yaml on a local AWS emulator (moto in server mode, the project's "
            "handlers in-process, Bedrock simulated) — no AWS account."
        ),
    )
    sub = p.add_subparsers(dest="local_command", required=True, metavar="ACTION")
    up = sub.add_parser("up", help="start and deploy, print the endpoint, run until Ctrl-C")
    up.add_argument("--port", type=int, default=0, metavar="N", help="port (default: a free one)")
    up.add_argument(
        "--template", type=Path, metavar="FILE", help="template (default: ./template.yaml)"
    )
    up.add_argument(
        "--reconcile-every",
        default="rate(1 minute)",
        metavar="RATE",
        help="ReconcileSchedule, fired locally (default: rate(1 minute))",
    )
    up.add_argument("--quiet", action="store_true", help="do not print the live activity")
    up.add_argument(
        "--no-iam",
        action="store_true",
        help="do not check the functions' calls against their roles in the template "
        "(IAM is enforced by default; docs/local-cloud.md)",
    )
    up.add_argument(
        "--faults",
        type=Path,
        metavar="PLAN",
        help="a fault plan (YAML): AWS calls of the functions that fail, Bedrock knobs "
        "(docs/local-cloud.md, Fault plans; samples in examples/faults/)",
    )
    up.add_argument(
        "--api-port",
        type=int,
        default=0,
        metavar="N",
        help="port of the local API (HTTP front of ApiFunction; default: a free one)",
    )

    sub.add_parser(
        "env",
        help="print the running local cloud's settings as shell exports: "
        'eval "$(bedrock-tuner local env)"',
        description=(
            "Print `export` lines for the local cloud started by `bedrock-tuner local up`: "
            "AWS_ENDPOINT_URL, fake credentials and the region (for the AWS CLI and boto3), "
            "and BT_BUCKET, BT_STATE_MACHINE, BT_API_URL, and "
            "BEDROCK_TUNER_API_URL (so the stack commands, such as `bedrock-tuner runs list`, "
            "and the ones the CLI prints use the local cloud)."
        ),
    )

    demo = sub.add_parser("demo", help="the make-demo flow: deploy, upload, follow one run live")
    demo.add_argument("--pipeline", default="support-bot", metavar="NAME", help="pipeline name")
    demo.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="pipeline spec (default: examples/pipelines/NAME.yaml)",
    )
    demo.add_argument("--dataset", type=Path, metavar="FILE", help="dataset to upload")
    demo.add_argument(
        "--template", type=Path, metavar="FILE", help="template (default: ./template.yaml)"
    )
    demo.add_argument(
        "--fail-job",
        metavar="MESSAGE",
        help="make the simulated Bedrock job fail with MESSAGE (shows the failure path)",
    )
    demo.add_argument(
        "--no-approve",
        action="store_true",
        help="leave runs that need approval waiting (default: approve them through the local "
        "API, as a person would)",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply the simulated Bedrock stage durations (default 1.0)",
    )
    demo.add_argument(
        "--timeout", type=float, default=120.0, metavar="S", help="give up after S seconds"
    )
    demo.add_argument(
        "--faults",
        type=Path,
        metavar="PLAN",
        help="run the demo under a fault plan (YAML; docs/local-cloud.md, Fault plans; "
        "samples in examples/faults/)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        import moto  # noqa: F401
        import samtranslator  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"the local cloud needs the 'local' extra ({exc.name} is not installed)",
            fix="pip install 'bedrock-tuner[local]'  (make demo does it for you)",
        ) from exc
    from bedrock_tuner_localcloud.errors import LocalCloudError

    try:
        return _dispatch(args)
    except LocalCloudError as exc:
        print(f"error [local-cloud]: {exc}", file=sys.stderr)
        return 2


@contextmanager
def _interruptible() -> Iterator[list[int]]:
    """Ctrl-C (SIGINT) and SIGTERM raise :class:`KeyboardInterrupt` in the main thread wherever
    it is — in the middle of the deploy too — so ``with LocalCloud()`` stops everything on the
    way out. SIGINT is set explicitly: a shell that starts the command in the background may
    have set it to ignored. Yields the signals received."""
    received: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _dispatch(args: argparse.Namespace) -> int:
    with _interruptible() as received:
        try:
            if args.local_command == "demo":
                return _demo(args)
            if args.local_command == "env":
                return _print_env(args)
            return _up(args)
        except KeyboardInterrupt:
            print("interrupted: the local cloud is stopped", file=sys.stderr)
            sys.stderr.flush()
            sys.stdout.flush()
            # Exit now, with 130: the interpreter's shutdown would join the threads the
            # interrupted deploy left behind, and an interrupt that lands while a thread is
            # started or joined can end the process by SIGINT (-2) instead (measured: 1 in 3
            # Ctrl-Cs during the deploy). Everything of ours is stopped by now.
            os._exit(128 + (received[0] if received else signal.SIGINT))  # 130 for Ctrl-C


def _demo(args: argparse.Namespace) -> int:
    from bedrock_tuner_cli.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            pipeline=args.pipeline,
            spec=args.spec,
            dataset=args.dataset,
            template=args.template,
            fail_job=args.fail_job,
            speed=args.speed,
            timeout_s=args.timeout,
            approve=not args.no_approve,
            faults=args.faults,
        )
    )


def _up(args: argparse.Namespace) -> int:
    import tempfile

    from bedrock_tuner_cli.client.stack import clear_local_state, write_local_state
    from bedrock_tuner_cli.demo import Timeline
    from bedrock_tuner_localcloud.faults import FaultInjector, load_plan
    from bedrock_tuner_localcloud.server import LocalCloud, repo_root

    # a bad plan is refused before anything starts
    plan = (
        load_plan(args.faults, template=args.template or repo_root() / "template.yaml")
        if args.faults
        else None
    )
    handler_log = Path(tempfile.gettempdir()) / "bedrock-tuner-local" / "handlers.log"
    out = sys.stdout
    state_file: Path | None = None
    try:
        with LocalCloud(
            port=args.port, handler_log=handler_log, enforce_iam=not args.no_iam
        ) as cloud:
            out.write(
                f"bedrock-tuner local cloud: moto on {cloud.endpoint}; deploying "
                f"{args.template or 'template.yaml'} … (Ctrl-C aborts)\n"
            )
            out.flush()
            stack = cloud.deploy(
                args.template, parameters={"ReconcileSchedule": args.reconcile_every}
            )
            injector = FaultInjector(plan).install(cloud) if plan is not None else None
            cloud.start_schedules()
            api_url = cloud.start_api(port=args.api_port)
            state_file = write_local_state(api_url, cloud.region)
            values = {
                "AWS_ENDPOINT_URL": cloud.endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
                "AWS_DEFAULT_REGION": cloud.region,
                "BT_BUCKET": stack.physical_id("DataBucket"),
                "BT_STATE_MACHINE": stack.outputs.get("StateMachineArn", ""),
                "BT_API_URL": api_url,
                # the stack commands, and the ones the CLI prints, then use the local cloud
                "BEDROCK_TUNER_API_URL": api_url,
            }
            _env_file(state_file).write_text(json.dumps(values, indent=2) + "\n")
            out.write(
                banner(
                    values,
                    stack_name=stack.stack_name,
                    resources=len(stack.resources),
                    state_table=stack.physical_id("StateTable"),
                    topic=stack.outputs.get("NotificationTopicArn", ""),
                    handler_log=handler_log,
                    state_file=state_file,
                )
            )
            if plan is not None:
                out.write(f"\nFault plan {args.faults} is armed (failures print as they fire):\n")
                for line in plan.summary() or ["(nothing to fail)"]:
                    out.write(f"  {line}\n")
            out.flush()
            timeline = Timeline(cloud, out, time.time(), prefix_runs=True, faults=injector)
            try:
                while True:
                    if not args.quiet:
                        timeline.poll()
                    time.sleep(0.25)
            except KeyboardInterrupt:
                out.write("\nstopping the local cloud (everything in it is gone)\n")
                out.flush()
                raise
    finally:
        if state_file is not None:
            _env_file(state_file).unlink(missing_ok=True)
            clear_local_state(path=state_file)


def _env_file(state_file: Path) -> Path:
    """Where ``local up`` keeps what ``local env`` prints (next to the API URL's state file)."""
    return state_file.with_name(state_file.stem + "-env.json")


def _print_env(args: argparse.Namespace) -> int:
    """``local env``: the running local cloud's settings as shell ``export`` lines."""
    from bedrock_tuner_cli.client.stack import local_state_path

    path = _env_file(local_state_path())
    try:
        values = json.loads(path.read_text())
    except (OSError, ValueError):
        raise UsageError(
            f"no local cloud is running (nothing in {path})",
            fix="start one with `bedrock-tuner local up` in another terminal, then run this again",
        ) from None
    for key, value in values.items():
        print(f"export {key}={shlex.quote(str(value))}")
    return 0


def banner(
    values: dict[str, str],
    *,
    stack_name: str,
    resources: int,
    state_table: str,
    topic: str,
    handler_log: Path,
    state_file: Path,
) -> str:
    """What ``local up`` prints once deployed. Every command in it runs as printed from the
    checkout (bash or zsh; AWS CLI v1 or v2) — tests/e2e/test_local_up_commands.py runs them."""
    endpoint, region = values["AWS_ENDPOINT_URL"], values["AWS_DEFAULT_REGION"]
    bucket, sm, api = values["BT_BUCKET"], values["BT_STATE_MACHINE"], values["BT_API_URL"]
    first_run = (
        "python3 -c 'import json,sys; runs = json.load(sys.stdin) or "
        'sys.exit("no run is waiting for approval"); print(runs[0]["runId"])\''
    )
    spec_body = (
        "python3 -c 'import json,sys; print(json.dumps({\"spec\": open(sys.argv[1]).read()}))' "
        "examples/pipelines/support-bot.yaml"
    )
    return f"""bedrock-tuner local cloud: template.yaml deployed as stack {stack_name!r} ({resources} resources)

  endpoint       {endpoint}   (moto; Step Functions execution on)
  bucket         {bucket}
  state machine  {sm}
  state table    {state_table}
  topic          {topic}
  handler logs   {handler_log}
  API            {api}   (API Gateway proxy events -> ApiFunction; caller arn:aws:iam::123456789012:user/local)
  Swagger UI     {api}/docs   (OpenAPI: {api}/openapi.json; URL saved in {state_file})

Use it from another terminal, in this checkout (bash or zsh), with the AWS CLI (v1 or v2):

  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={region}
  aws s3 cp examples/pipelines/support-bot.yaml s3://{bucket}/pipelines/support-bot.yaml
  aws s3 cp examples/datasets/support-chat.nova.jsonl s3://{bucket}/datasets/support-bot/train.jsonl
  aws stepfunctions list-executions --state-machine-arn {sm}
  aws bedrock list-model-customization-jobs

or export them, with BT_BUCKET, BT_STATE_MACHINE and BT_API_URL, by:

  eval "$(bedrock-tuner local env)"

approve the oldest run that waits for approval, through the API: the approver is the caller, never a name you type (`bedrock-tuner approvals approve RUN_ID --reason R --local` does the same):

  RUN_ID=$(curl -s {api}/approvals | {first_run})
  curl -s --fail-with-body -X POST {api}/approvals/$RUN_ID -H 'Content-Type: application/json' -d '{{"decision": "approve", "reason": "tried it locally"}}'

or boto3:

  import boto3
  s3 = boto3.client("s3", endpoint_url="{endpoint}", region_name="{region}",
                    aws_access_key_id="testing", aws_secret_access_key="testing")
  s3.upload_file("examples/datasets/support-chat.nova.jsonl", "{bucket}", "datasets/support-bot/train.jsonl")

or the API (no signing locally; `bedrock-tuner ... --local` finds it):

  curl {api}/catalog
  curl -X PUT {api}/pipelines/support-bot -H 'Content-Type: application/json' \\
       -d "$({spec_body})"
  curl '{api}/runs?pipeline=support-bot'

Runs, Bedrock sub-stages and notifications are printed below as they happen. Ctrl-C stops.
"""
