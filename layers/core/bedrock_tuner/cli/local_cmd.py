"""``bedrock-tuner local up|demo``: the stack on a local AWS emulator (needs the ``local`` extra).

The local cloud package is imported inside :func:`run`, so the CLI works without moto.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
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
        "--api-port",
        type=int,
        default=0,
        metavar="N",
        help="port of the local API (HTTP front of ApiFunction; default: a free one)",
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
        help="leave runs that need approval waiting (default: approve them as 'demo')",
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


def run(args: argparse.Namespace) -> int:
    try:
        import moto  # noqa: F401
        import samtranslator  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"the local cloud needs the 'local' extra ({exc.name} is not installed)",
            fix="pip install 'bedrock-tuner[local]'  (make demo does it for you)",
        ) from exc
    from bedrock_tuner.localcloud.errors import LocalCloudError

    try:
        return _dispatch(args)
    except LocalCloudError as exc:
        print(f"error [local-cloud]: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.local_command == "demo":
        from bedrock_tuner.localcloud.demo import DemoOptions, run_demo

        return run_demo(
            DemoOptions(
                pipeline=args.pipeline,
                spec=args.spec,
                dataset=args.dataset,
                template=args.template,
                fail_job=args.fail_job,
                speed=args.speed,
                timeout_s=args.timeout,
                approve_as=None if args.no_approve else "demo",
            )
        )
    return _up(args)


def _up(args: argparse.Namespace) -> int:
    import tempfile

    from bedrock_tuner.client.stack import clear_local_state, write_local_state
    from bedrock_tuner.localcloud.demo import Timeline
    from bedrock_tuner.localcloud.server import LocalCloud

    handler_log = Path(tempfile.gettempdir()) / "bedrock-tuner-local" / "handlers.log"
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    # Ctrl-C and kill both end the loop below, which stops the cloud cleanly (SIGINT is
    # handled explicitly: a shell that backgrounds the command may have set it to ignored).
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with LocalCloud(port=args.port, handler_log=handler_log) as cloud:
        stack = cloud.deploy(args.template, parameters={"ReconcileSchedule": args.reconcile_every})
        cloud.start_schedules()
        api_url = cloud.start_api(port=args.api_port)
        state_file = write_local_state(api_url, cloud.region)
        out = sys.stdout
        bucket = stack.physical_id("DataBucket")
        sm = stack.outputs.get("StateMachineArn", "")
        approve = stack.outputs.get("HandleApprovalFunctionName", "")
        out.write(
            f"""bedrock-tuner local cloud: template.yaml deployed as stack {stack.stack_name!r} ({len(stack.resources)} resources)

  endpoint       {cloud.endpoint}   (moto; Step Functions execution on)
  bucket         {bucket}
  state machine  {sm}
  state table    {stack.physical_id("StateTable")}
  topic          {stack.outputs.get("NotificationTopicArn", "")}
  handler logs   {handler_log}
  API            {api_url}   (API Gateway proxy events -> ApiFunction; caller arn:aws:iam::123456789012:user/local)
  Swagger UI     {api_url}/docs   (OpenAPI: {api_url}/openapi.json; URL saved in {state_file})

Use it from another terminal with the AWS CLI:

  export AWS_ENDPOINT_URL={cloud.endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={cloud.region}
  aws s3 cp examples/pipelines/support-bot.yaml s3://{bucket}/pipelines/support-bot.yaml
  aws s3 cp examples/datasets/support-chat.nova.jsonl s3://{bucket}/datasets/support-bot/train.jsonl
  aws stepfunctions list-executions --state-machine-arn {sm}
  aws bedrock list-model-customization-jobs
  aws lambda invoke --function-name {approve} --payload '{{"runId": "<run id>", "decision": "approve", "by": "me"}}' --cli-binary-format raw-in-base64-out /dev/stdout

or boto3:

  import boto3
  s3 = boto3.client("s3", endpoint_url="{cloud.endpoint}", region_name="{cloud.region}",
                    aws_access_key_id="testing", aws_secret_access_key="testing")
  s3.upload_file("examples/datasets/support-chat.nova.jsonl", "{bucket}", "datasets/support-bot/train.jsonl")

or the API (no signing locally; `bedrock-tuner ... --local` finds it):

  curl {api_url}/catalog
  curl -X PUT {api_url}/pipelines/support-bot -H 'Content-Type: application/json' \\
       -d "$(python3 -c 'import json,sys; print(json.dumps({{"spec": open(sys.argv[1]).read()}}))' examples/pipelines/support-bot.yaml)"
  curl '{api_url}/runs?pipeline=support-bot'

Runs, Bedrock sub-stages and notifications are printed below as they happen. Ctrl-C stops.
"""
        )
        out.flush()
        timeline = Timeline(cloud, out, time.time(), prefix_runs=True)
        while not stopping:
            if not args.quiet:
                timeline.poll()
            time.sleep(0.25)
        out.write("\nstopping the local cloud (everything in it is gone)\n")
        clear_local_state(path=state_file)
    return 0
