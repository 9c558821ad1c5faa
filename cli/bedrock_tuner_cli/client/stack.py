"""Where the API is, in which region, and with which credentials.

The API URL comes from, first match wins:

1. ``--api-url URL``;
2. ``--local``: the URL ``bedrock-tuner local up`` wrote to :func:`local_state_path`;
3. ``--stack NAME`` given on the command line: that stack's ``ApiUrl`` output;
4. the environment variable ``BEDROCK_TUNER_API_URL``;
5. the stack named by ``BEDROCK_TUNER_STACK`` (default ``bedrock-tuner``): its ``ApiUrl``
   output (CloudFormation ``DescribeStacks``).

The region is ``--region``, else the one in an ``execute-api`` URL, else the AWS
configuration's (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile), else ``us-east-1``.
Credentials are the AWS SDK's default chain (environment, profile, SSO, instance role).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bedrock_tuner.errors import BedrockTunerError, UsageError

API_URL_ENV = "BEDROCK_TUNER_API_URL"
STACK_ENV = "BEDROCK_TUNER_STACK"
LOCAL_STATE_ENV = "BEDROCK_TUNER_LOCAL_STATE"
DEFAULT_STACK = "bedrock-tuner"
API_URL_OUTPUT = "ApiUrl"
DEFAULT_REGION = "us-east-1"

# The local cloud accepts any signature; these are moto's conventional fake credentials.
LOCAL_ACCESS_KEY = "testing"
LOCAL_SECRET_KEY = "testing"  # noqa: S105 - not a secret: the local emulator's fake key

_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


class StackError(BedrockTunerError):
    """The stack (or its ``ApiUrl`` output) could not be found."""

    code = "BT_STACK"


class CredentialsError(BedrockTunerError):
    """No AWS credentials to sign requests with."""

    code = "BT_NO_CREDENTIALS"


@dataclass(frozen=True)
class Endpoint:
    """The API's base URL (no trailing slash), the signing region and the credentials
    (a botocore ``Credentials``), and where the URL came from (for messages)."""

    url: str
    region: str
    credentials: Any
    source: str


def local_state_path() -> Path:
    """The small JSON file ``local up`` writes (``{"api_url": ..., "region": ...}``):
    ``$BEDROCK_TUNER_LOCAL_STATE``, else ``$XDG_CACHE_HOME/bedrock-tuner/local.json``
    (``~/.cache/bedrock-tuner/local.json``)."""
    explicit = os.environ.get(LOCAL_STATE_ENV)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "bedrock-tuner" / "local.json"


def write_local_state(api_url: str, region: str, *, path: Path | None = None) -> Path:
    """Record the local cloud's API URL (for ``local up``); returns the file written."""
    target = path or local_state_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"api_url": api_url, "region": region}) + "\n")
    return target


def clear_local_state(*, path: Path | None = None) -> None:
    """Forget the local cloud's URL (for ``local up`` when it stops)."""
    (path or local_state_path()).unlink(missing_ok=True)


def read_local_state(path: Path | None = None) -> tuple[str, str | None]:
    """``(api_url, region)`` from the local state file, or :class:`StackError`."""
    target = path or local_state_path()
    fix = "Start it with `bedrock-tuner local up` (in another terminal), or pass --api-url."
    try:
        data = json.loads(target.read_text())
    except FileNotFoundError:
        raise StackError(f"the local cloud is not running (no {target})", fix=fix) from None
    except (OSError, ValueError) as exc:
        raise StackError(f"cannot read {target}: {exc}", fix=fix) from None
    url = data.get("api_url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url:
        raise StackError(f"{target} has no api_url", fix=fix)
    region = data.get("region")
    return url, region if isinstance(region, str) and region else None


def region_of_url(url: str) -> str | None:
    """``us-west-2`` for ``https://abc123.execute-api.us-west-2.amazonaws.com/v1``."""
    match = _EXECUTE_API_HOST.match(urlsplit(url).hostname or "")
    return match.group(1) if match else None


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(
            f'"{url}" is not an http(s) URL',
            fix="Give the stack's ApiUrl output, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1",
        )
    return url.rstrip("/")


def _session(region: str | None) -> Any:
    import boto3

    return boto3.session.Session(region_name=region) if region else boto3.session.Session()


def stack_api_url(stack: str, region: str | None = None) -> str:
    """The ``ApiUrl`` output of CloudFormation stack ``stack``."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    where = f" in {region}" if region else ""
    try:
        cfn = _session(region).client("cloudformation")
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except NoCredentialsError:
        raise CredentialsError(
            "no AWS credentials found to look the stack up",
            fix="Configure credentials (aws configure / aws sso login / AWS_PROFILE), or pass --api-url.",
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if "does not exist" in str(error.get("Message", "")):
            raise StackError(
                f"no CloudFormation stack {stack!r}{where}",
                fix="Pass --stack NAME (or set BEDROCK_TUNER_STACK) and --region, or --api-url.",
            ) from None
        raise StackError(
            f"cannot describe stack {stack!r}{where}: {error.get('Code', '')} {error.get('Message', '')}".strip(),
            fix="Check your credentials allow cloudformation:DescribeStacks, or pass --api-url.",
        ) from None
    except BotoCoreError as exc:
        raise StackError(
            f"cannot describe stack {stack!r}{where}: {exc}",
            fix="Check --region and your network, or pass --api-url.",
        ) from None
    outputs = stacks[0].get("Outputs", []) if stacks else []
    for output in outputs:
        if output.get("OutputKey") == API_URL_OUTPUT and output.get("OutputValue"):
            return str(output["OutputValue"])
    raise StackError(
        f"stack {stack!r} has no {API_URL_OUTPUT} output",
        fix="Deploy a version of the stack with the REST API (sam deploy), or pass --api-url.",
    )


def _credentials(session: Any, *, local: bool) -> Any:
    from botocore.credentials import Credentials

    found = session.get_credentials()
    if found is not None:
        return found.get_frozen_credentials()
    if local:
        return Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    raise CredentialsError(
        "no AWS credentials found to sign API requests with",
        fix="Configure credentials (aws configure / aws sso login / AWS_PROFILE=...).",
    )


def resolve_endpoint(
    *,
    api_url: str | None = None,
    stack: str | None = None,
    local: bool = False,
    region: str | None = None,
) -> Endpoint:
    """Find the API (see the module docstring for the order) and the signing setup."""
    state_region: str | None = None
    env_url = os.environ.get(API_URL_ENV)
    session = _session(region)
    # the region of the stack lookup: --region, else the AWS configuration's, else us-east-1
    lookup_region = region or session.region_name or DEFAULT_REGION
    if api_url:
        url, source = _check_url(api_url), "--api-url"
    elif local:
        raw, state_region = read_local_state()
        url, source = _check_url(raw), f"the local cloud ({local_state_path()})"
    elif stack:
        url, source = _check_url(stack_api_url(stack, lookup_region)), f"stack {stack!r}"
    elif env_url:
        url, source = _check_url(env_url), API_URL_ENV
    else:
        name = os.environ.get(STACK_ENV) or DEFAULT_STACK
        url, source = _check_url(stack_api_url(name, lookup_region)), f"stack {name!r}"
    signing_region = (
        region or region_of_url(url) or state_region or session.region_name or DEFAULT_REGION
    )
    return Endpoint(
        url=url,
        region=signing_region,
        credentials=_credentials(session, local=local),
        source=source,
    )
