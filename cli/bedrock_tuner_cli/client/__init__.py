"""A client for a deployed stack's REST API (or the local cloud's): find it, sign, call.

endpoint = resolve_endpoint(stack="bedrock-tuner", region="eu-west-1")
api = BedrockTunerApi(ApiClient(endpoint.url, endpoint.region, endpoint.credentials))
api.list_runs(status="RUNNING")
"""

from __future__ import annotations

from bedrock_tuner_cli.client.api import BedrockTunerApi
from bedrock_tuner_cli.client.http import ApiClient, ApiError, ApiUnreachableError
from bedrock_tuner_cli.client.stack import Endpoint, local_state_path, resolve_endpoint

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiUnreachableError",
    "BedrockTunerApi",
    "Endpoint",
    "local_state_path",
    "resolve_endpoint",
]
