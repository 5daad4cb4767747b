"""`AlarmTopic`: the SNS topic alarms notify, KMS-encrypted, TLS-only, with the configured subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import MonitoringConfig


@dataclass(frozen=True, kw_only=True)
class AlarmTopicProps:
    topic_name: str
    config: MonitoringConfig
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY
    """Of the KMS key; RETAIN in environments whose data is retained."""


class AlarmTopic(Construct):
    """`topic` (for alarm actions) encrypted with `key`; emails and HTTPS endpoints subscribed from config."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AlarmTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the {props.topic_name} alarm notifications",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        # CloudWatch publishes to an encrypted topic only with a customer managed key it may use
        # (the AWS managed aws/sns key does not allow it).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=props.topic_name,
            display_name="Kappa Commerce alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        for email in props.config.alarm_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        for url in props.config.alarm_https_endpoints:
            self.topic.add_subscription(
                subscriptions.UrlSubscription(url, protocol=sns.SubscriptionProtocol.HTTPS)
            )
