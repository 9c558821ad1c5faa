"""The functions' settings: read once from BT_* variables, lists split on commas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bedrock_tuner.errors import ConfigurationError
from bedrock_tuner.settings import get_settings, reset_settings

REQUIRED = {
    "BT_DATA_BUCKET": "data",
    "BT_TABLE_NAME": "state",
    "BT_IDEMPOTENCY_TABLE": "idem",
    "BT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "BT_BEDROCK_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith("BT_"):
            monkeypatch.delenv(name)
    reset_settings()
    yield
    reset_settings()


def test_values_lists_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BT_JOB_SUBNET_IDS", "subnet-a, subnet-b,")
    monkeypatch.setenv("BT_JOB_SECURITY_GROUP_IDS", "")
    monkeypatch.setenv("BT_KMS_KEY_ARN", "")
    monkeypatch.setenv("BT_AUTO_APPROVE_USD", "12.5")
    settings = get_settings()
    assert settings.data_bucket == "data"
    assert settings.job_subnet_ids == ("subnet-a", "subnet-b")
    assert settings.job_security_group_ids == ()
    assert not settings.vpc_configured
    assert settings.kms_key_arn is None
    assert settings.auto_approve_usd == 12.5
    assert settings.max_concurrent_jobs == 2
    assert get_settings() is settings  # read once


def test_missing_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BT_DATA_BUCKET", "data")
    with pytest.raises(ConfigurationError) as caught:
        get_settings()
    for name in ("BT_TABLE_NAME", "BT_IDEMPOTENCY_TABLE", "BT_TOPIC_ARN", "BT_BEDROCK_ROLE_ARN"):
        assert name in str(caught.value)


def test_function_specific_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    with pytest.raises(ConfigurationError, match="BT_STATE_MACHINE_ARN"):
        settings.require_state_machine_arn()
    with pytest.raises(ConfigurationError, match="BT_SLACK_SECRET_ARN"):
        settings.require_slack_secret_arn()


def test_shared_data_prefixes_are_folders_under_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BT_SHARED_DATA_PREFIXES", "datasets/shared-eval, /datasets/golden/,")
    assert get_settings().shared_data_prefixes == ("datasets/shared-eval/", "datasets/golden/")
    for bad in ("datasets/", "work/eval/", "datasets/../pipelines/"):
        monkeypatch.setenv("BT_SHARED_DATA_PREFIXES", bad)
        reset_settings()
        with pytest.raises(ConfigurationError, match="BT_SHARED_DATA_PREFIXES"):
            get_settings()
