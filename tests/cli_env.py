"""The environment of a CLI under test: no profile, config or credentials file of the machine,
no instance metadata, no API URL or stack from the shell, its own local-cloud state file."""

from __future__ import annotations

from pathlib import Path

import pytest

FROM_THE_SHELL = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "BEDROCK_TUNER_API_URL",
    "BEDROCK_TUNER_STACK",
)


def isolate_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, access_key: str | None = None
) -> None:
    """Clear what the shell could leak into the CLI; with ``access_key``, also give it fake
    credentials in us-east-1 (else the caller's, e.g. the integration tier's moto ones)."""
    for key in FROM_THE_SHELL:
        monkeypatch.delenv(key, raising=False)
    if access_key is not None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("BEDROCK_TUNER_LOCAL_STATE", str(tmp_path / "local.json"))
