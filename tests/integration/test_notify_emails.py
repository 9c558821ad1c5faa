"""notify.emails is delivered (issue 7, finding 19): uploading a spec subscribes each address
to the topic with a filter on the ``emails`` message attribute, and the pipeline's messages
name its addresses, so each person gets exactly the runs of the pipelines that list them.

moto delivers nothing to email endpoints, so the filter's effect is observed through an SQS
probe subscribed with the very filter policy the function gives an address.
"""

from __future__ import annotations

import json
from typing import Any

from bedrock_tuner.aws.sns import email_filter_policy
from integration.conftest import BUCKET, SPEC, Cloud
from integration.helpers import KEY, RECORDS
from lambda_handlers import invoke


def spec_event(cloud: Cloud, pipeline: str, text: str) -> dict[str, Any]:
    key = f"pipelines/{pipeline}.yaml"
    response = cloud.s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    uploaded = {"versionId": response.get("VersionId"), "etag": response["ETag"].strip('"')}
    return cloud.s3_event(key, {**uploaded, "size": len(text)})


def email_subscriptions(cloud: Cloud) -> dict[str, dict[str, Any]]:
    import boto3

    sns = boto3.client("sns", region_name="us-east-1")
    out: dict[str, dict[str, Any]] = {}
    for sub in sns.list_subscriptions_by_topic(TopicArn=cloud.topic_arn)["Subscriptions"]:
        if sub["Protocol"] == "email":
            attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
            out[sub["Endpoint"]] = attrs["Attributes"]
    return out


def probe(cloud: Cloud, email: str) -> str:
    """An SQS queue subscribed with the filter the function gives ``email``."""
    import boto3

    sns = boto3.client("sns", region_name="us-east-1")
    name = "probe-" + email.split("@", maxsplit=1)[0]
    url = cloud.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = cloud.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=cloud.topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(email_filter_policy(email))},
    )
    return str(url)


def received(cloud: Cloud, url: str) -> list[str]:
    messages = cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"])["Subject"] for m in messages.get("Messages", [])]


def test_uploading_a_spec_subscribes_its_emails_with_a_filter(cloud: Cloud) -> None:
    result = invoke("on_dataset_uploaded", spec_event(cloud, "support-bot", SPEC))
    assert result["status"] == "subscribed"
    assert set(result["subscriptions"]) == {"ml-team@example.com"}
    subs = email_subscriptions(cloud)
    assert json.loads(subs["ml-team@example.com"]["FilterPolicy"]) == {
        "emails": ["ml-team@example.com"]
    }
    # the same spec again: still one subscription per address
    invoke("on_dataset_uploaded", spec_event(cloud, "support-bot", SPEC + "# again\n"))
    assert list(email_subscriptions(cloud)) == ["ml-team@example.com"]


def test_each_address_gets_only_the_runs_of_pipelines_that_list_it(cloud: Cloud) -> None:
    team, other = probe(cloud, "ml-team@example.com"), probe(cloud, "other@example.com")
    invoke("on_dataset_uploaded", spec_event(cloud, "support-bot", SPEC))
    quiet = SPEC.replace("ml-team@example.com", "other@example.com")
    invoke("on_dataset_uploaded", spec_event(cloud, "quiet", quiet))
    for pipeline in ("support-bot", "quiet"):
        key = KEY.replace("support-bot", pipeline)
        uploaded = cloud.upload(key, RECORDS)
        state = cloud.execution_input(
            invoke("on_dataset_uploaded", cloud.s3_event(key, uploaded))["executionArn"]
        )
        state["validation"] = invoke("validate_dataset", state)
        invoke("notify", {"kind": "over_budget", "run": state})
    assert [s for s in received(cloud, team) if "support-bot" in s]
    assert not [s for s in received(cloud, team) if "quiet" in s]
    assert [s for s in received(cloud, other) if "quiet" in s]
    notes = [n for n in cloud.notifications() if n["kind"] == "over_budget"]
    assert {tuple(json.loads(n["_attributes"]["emails"])) for n in notes} == {
        ("ml-team@example.com",),
        ("other@example.com",),
    }


def test_a_bad_spec_is_reported_when_it_is_uploaded(cloud: Cloud) -> None:
    result = invoke("on_dataset_uploaded", spec_event(cloud, "broken", "base_model: nope\n"))
    assert result["status"] == "spec_error"
    [note] = cloud.notifications()
    assert note["kind"] == "spec_error" and note["pipeline"] == "broken"
    assert note["details"]["problems"][0]["path"] == "base_model"
    assert email_subscriptions(cloud) == {}
