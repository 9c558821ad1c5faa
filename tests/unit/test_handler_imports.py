"""Importing a handler needs no AWS and no settings: clients, settings and idempotency are
built on first use (moto, or the local cloud, must be able to start before any client)."""

from __future__ import annotations

import pytest

from lambda_handlers import FUNCTIONS, fresh_handler_module


def test_every_documented_function_has_a_handler() -> None:
    assert (
        sorted(
            [
                "on_dataset_uploaded",
                "validate_dataset",
                "request_approval",
                "start_customization_job",
                "stop_customization_job",
                "track_job",
                "on_job_state_change",
                "reconcile_jobs",
                "register_model_version",
                "notify",
                "notify_slack",
                "api",
            ]
        )
        == FUNCTIONS
    )


@pytest.mark.parametrize("name", FUNCTIONS)
def test_import_needs_no_aws(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for variable in list(os.environ):
        if variable.startswith(("BT_", "AWS_")):
            monkeypatch.delenv(variable)
    from bedrock_tuner.aws.clients import client

    client.cache_clear()
    module = fresh_handler_module(name)
    assert callable(module.handler)
    assert client.cache_info().currsize == 0  # no boto3 client was built
