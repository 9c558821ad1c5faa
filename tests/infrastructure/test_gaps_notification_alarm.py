"""D8: a notification that cannot be published pages someone. The notify function counts
``NotificationFailed`` (layers/core/bedrock_tuner/pipeline/notifications.py) through Powertools
(namespace ``POWERTOOLS_METRICS_NAMESPACE``, dimension ``service``); ``NotificationFailedAlarm``
must watch exactly that metric, fire on one failure, and tell the stack's topic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bedrock_tuner.observability import DEFAULT_NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATIONS = ROOT / "layers" / "core" / "bedrock_tuner" / "pipeline" / "notifications.py"
ALARM = "NotificationFailedAlarm"
METRIC = "NotificationFailed"
TOPIC = {"Ref": "NotificationTopic"}


def powertools_env(cfn: dict[str, Any], function: str) -> dict[str, Any]:
    env: dict[str, Any] = cfn["Resources"][function]["Properties"]["Environment"]["Variables"]
    return env


def test_the_notify_function_counts_the_metric_the_alarm_watches() -> None:
    source = NOTIFICATIONS.read_text(encoding="utf-8")
    assert re.search(rf"""\bcount\(\s*["']{METRIC}["']\s*\)""", source), (
        f"{NOTIFICATIONS.name} no longer counts {METRIC}: the alarm would never fire"
    )


def test_notification_failed_alarm_watches_what_notify_emits(cfn: dict[str, Any]) -> None:
    resource = cfn["Resources"].get(ALARM)
    assert resource is not None, f"template.yaml has no {ALARM}"
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    alarm = resource["Properties"]
    env = powertools_env(cfn, "NotifyFunction")
    # the namespace and service dimension Powertools gives the notify function's metrics
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == DEFAULT_NAMESPACE
    assert alarm["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["MetricName"] == METRIC
    assert alarm["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]


def test_notification_failed_alarm_fires_on_one_failure(cfn: dict[str, Any]) -> None:
    alarm = cfn["Resources"][ALARM]["Properties"]
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert float(alarm["Threshold"]) == 1
    assert alarm["TreatMissingData"] == "notBreaching"  # no failures: no data, not an alarm


def test_notification_failed_alarm_tells_the_alarm_topic(cfn: dict[str, Any]) -> None:
    alarm = cfn["Resources"][ALARM]["Properties"]
    assert alarm["AlarmActions"] == [TOPIC]
    assert cfn["Resources"]["NotificationTopic"]["Type"] == "AWS::SNS::Topic"
    # the same topic every other alarm tells (notify_slack forwards alarm messages from it)
    others = [
        name
        for name, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm" and name != ALARM
    ]
    assert others
    for name in others:
        assert TOPIC in cfn["Resources"][name]["Properties"]["AlarmActions"], name
