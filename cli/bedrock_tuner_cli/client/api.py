"""One typed method per route of the stack's REST API (``docs/openapi.json``).

Answers are returned as decoded JSON (``dict``/``list``), unchanged: the CLI's tables read
the fields they know and ignore the rest, so new fields on the server never break a client.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bedrock_tuner_cli.client.http import ApiClient

Json = Any
"""A decoded JSON answer (usually a ``dict``)."""


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


class BedrockTunerApi:
    """The stack's API: pipelines, runs, approvals, model versions and aliases."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    # ------------------------------------------------------------------ pipelines
    def list_pipelines(self) -> Json:
        return self.client.request("GET", "/pipelines")

    def get_pipeline(self, name: str) -> Json:
        return self.client.request("GET", f"/pipelines/{_seg(name)}")

    def put_pipeline(self, name: str, spec_yaml: str) -> Json:
        """Create or replace ``pipelines/<name>.yaml`` (the API validates the YAML first)."""
        return self.client.request("PUT", f"/pipelines/{_seg(name)}", body={"spec": spec_yaml})

    def delete_pipeline(self, name: str) -> Json:
        return self.client.request("DELETE", f"/pipelines/{_seg(name)}")

    # ------------------------------------------------------------------ runs
    def list_runs(self, *, pipeline: str | None = None, status: str | None = None) -> Json:
        return self.client.request("GET", "/runs", query={"pipeline": pipeline, "status": status})

    def start_run(self, pipeline: str | None, dataset_uri: str) -> Json:
        """Start a run on ``s3://<data bucket>/datasets/<pipeline>/<file>.jsonl``."""
        body: dict[str, Any] = {"datasetUri": dataset_uri}
        if pipeline:
            body["pipeline"] = pipeline
        return self.client.request("POST", "/runs", body=body)

    def get_run(self, run_id: str) -> Json:
        return self.client.request("GET", f"/runs/{_seg(run_id)}")

    def stop_run(self, run_id: str, reason: str | None = None) -> Json:
        body = {"reason": reason} if reason else {}
        return self.client.request("POST", f"/runs/{_seg(run_id)}/stop", body=body)

    def recover_run(self, run_id: str) -> Json:
        """Register the model of a completed job whose run failed after training."""
        return self.client.request("POST", f"/runs/{_seg(run_id)}/recover", body={})

    # ------------------------------------------------------------------ datasets
    def validate_dataset(self, request: dict[str, Any]) -> Json:
        return self.client.request("POST", "/datasets/validate", body=request)

    # ------------------------------------------------------------------ approvals
    def list_approvals(self) -> Json:
        return self.client.request("GET", "/approvals")

    def decide(self, run_id: str, decision: str, reason: str | None = None) -> Json:
        """``decision`` is ``approve`` or ``reject``; ``reason`` is sent when given."""
        body = {"decision": decision} | ({"reason": reason} if reason else {})
        return self.client.request("POST", f"/approvals/{_seg(run_id)}", body=body)

    # ------------------------------------------------------------------ models
    def list_models(self) -> Json:
        return self.client.request("GET", "/models")

    def list_versions(self, family: str) -> Json:
        return self.client.request("GET", f"/models/{_seg(family)}/versions")

    def get_version(self, family: str, version: int) -> Json:
        return self.client.request("GET", f"/models/{_seg(family)}/versions/{_seg(version)}")

    def compare_versions(self, family: str, a: int, b: int) -> Json:
        return self.client.request("GET", f"/models/{_seg(family)}/compare", query={"a": a, "b": b})

    def get_alias(self, family: str, alias: str) -> Json:
        return self.client.request("GET", f"/models/{_seg(family)}/aliases/{_seg(alias)}")

    def set_alias(self, family: str, alias: str, version: int, reason: str) -> Json:
        return self.client.request(
            "PUT",
            f"/models/{_seg(family)}/aliases/{_seg(alias)}",
            body={"version": version, "reason": reason},
        )

    def rollback_alias(self, family: str, alias: str, reason: str) -> Json:
        return self.client.request(
            "POST",
            f"/models/{_seg(family)}/aliases/{_seg(alias)}/rollback",
            body={"reason": reason},
        )

    def alias_history(self, family: str, alias: str) -> Json:
        return self.client.request("GET", f"/models/{_seg(family)}/aliases/{_seg(alias)}/history")

    # ------------------------------------------------------------------ catalog, estimate
    def catalog(self) -> Json:
        return self.client.request("GET", "/catalog")

    def estimate(self, request: dict[str, Any]) -> Json:
        return self.client.request("POST", "/estimate", body=request)
