"""`KafkaLog`: MSK Serverless as the Kappa log — its VPC, security groups, cluster, topics and grants.

Network and cost: the subnets are private and *isolated* (no NAT gateway, no internet route). What must
reach AWS APIs from inside gets a VPC endpoint instead: S3 (gateway, free: replays and custom-resource
responses), and interface endpoints for STS and Lambda (the Kafka event source mapping's pollers call
them from the cluster's subnets, per the Lambda developer guide), SQS (its on-failure destination) and
X-Ray (active tracing of the functions in the VPC). Four interface endpoints cost about $7.30/month per
AZ each (≈ $60/month in two AZs) against ≈ $33/month per NAT gateway plus $0.045/GB; the endpoints win on
least privilege (no path to the internet) and on data-heavy days. Functions that call the internet (the
webhook fan-out) stay outside the VPC.

Granting a function produce/consume rights also sets the environment variables of docs/contract.md
(`LOG_BACKEND`, `KAFKA_BOOTSTRAP_SERVERS`, `RAW_TOPIC`, `KAFKA_SECURITY`), so the permission and the
setting cannot drift apart. The other readers get their grants here too: `grant_write` (Flink's sink),
`grant_event_source` (a Lambda MSK event source mapping) and `grant_firehose_source` (the S3 archive,
with the cluster policy Firehose's private connection needs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_msk as msk
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.compliance import acknowledge, nag_arn
from stacks.config import LambdaConfig, MskConfig, ResourceNames
from stacks.constructs.python_function import PythonFunction, PythonFunctionProps

IAM_BROKER_PORT: Final = 9098
"""MSK Serverless brokers listen for SASL/IAM over TLS on 9098 only."""
HTTPS_PORT: Final = 443
LOG_BACKEND_ENV: Final = "LOG_BACKEND"
KAFKA_BOOTSTRAP_SERVERS_ENV: Final = "KAFKA_BOOTSTRAP_SERVERS"
KAFKA_SECURITY_ENV: Final = "KAFKA_SECURITY"
RAW_TOPIC_ENV: Final = "RAW_TOPIC"
TOPICS_FUNCTION: Final = LambdaConfig(memory_mb=256, timeout_seconds=120)
INTERFACE_ENDPOINTS: Final = ("sts", "lambda", "sqs", "xray")
ESM_NETWORK_ACTIONS: Final = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
"""The Lambda MSK event source mapping's pollers' network interfaces (Lambda developer guide); EC2 supports
no resource-level permission for the Describe* actions, and the ENIs are created by the service."""
FIREHOSE_CLUSTER_POLICY_ACTIONS: Final = (
    "kafka:CreateVpcConnection",
    "kafka:GetBootstrapBrokers",
    "kafka:DescribeCluster",
    "kafka:DescribeClusterV2",
)
"""What the Firehose service principal needs in the cluster policy for private bootstrap brokers."""
AWS_CUSTOM_RESOURCE_SINGLETON: Final = "AWS679f53fac002430cb0da5b7982bd2287"
"""Construct id of the stack-wide function behind every `AwsCustomResource` (fixed in aws-cdk-lib)."""


@dataclass(frozen=True, kw_only=True)
class KafkaLogProps:
    names: ResourceNames
    settings: MskConfig
    lambda_build_dir: Path
    removal_policy: cdk.RemovalPolicy


class KafkaLog(Construct):
    """`vpc`, `cluster`, `cluster_security_group`, `client_security_group`, `bootstrap_servers`, topics."""

    def __init__(self, scope: Construct, construct_id: str, *, props: KafkaLogProps) -> None:
        super().__init__(scope, construct_id)
        names, settings = props.names, props.settings
        stack = cdk.Stack.of(self)
        self.raw_topic = names.raw_topic
        self.insights_topic = names.insights_topic
        self.cluster_name = names.kafka_cluster
        self._firehose_policy: msk.CfnClusterPolicy | None = None

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(settings.vpc_cidr),
            availability_zones=list(settings.availability_zones),
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="log", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20)
            ],
            flow_logs={
                "rejected": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                        logs.LogGroup(
                            self,
                            "FlowLogs",
                            retention=logs.RetentionDays.ONE_MONTH,
                            removal_policy=props.removal_policy,
                        )
                    ),
                    traffic_type=ec2.FlowLogTrafficType.REJECT,
                )
            },
        )
        for subnet in self.vpc.isolated_subnets:
            # The AZs are named in cdk.json on purpose (synthesis makes no context lookups).
            subnet.node.default_child.cfn_options.metadata = {  # type: ignore[union-attr]
                "cfn-lint": {"config": {"ignore_checks": ["W3010"]}}
            }
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)

        self.cluster_security_group = ec2.SecurityGroup(
            self,
            "ClusterSecurityGroup",
            vpc=self.vpc,
            description=f"{self.cluster_name}: brokers (9098 from the log clients and the Lambda pollers)",
            allow_all_outbound=False,
        )
        self.client_security_group = ec2.SecurityGroup(
            self,
            "ClientSecurityGroup",
            vpc=self.vpc,
            description=f"{self.cluster_name}: clients (Lambda, Flink) to the brokers and VPC endpoints only",
            allow_all_outbound=False,
        )
        endpoints_security_group = ec2.SecurityGroup(
            self,
            "EndpointsSecurityGroup",
            vpc=self.vpc,
            description=f"{self.cluster_name}: interface endpoints, HTTPS from inside the VPC",
            allow_all_outbound=False,
        )
        broker_port = ec2.Port.tcp(IAM_BROKER_PORT)
        https = ec2.Port.tcp(HTTPS_PORT)
        self.cluster_security_group.add_ingress_rule(self.client_security_group, broker_port, "Kafka clients")
        # The event source mapping's pollers run with the cluster's own security group (Lambda guide).
        self.cluster_security_group.add_ingress_rule(self.cluster_security_group, broker_port, "ESM pollers")
        self.cluster_security_group.add_egress_rule(self.cluster_security_group, broker_port, "ESM pollers")
        self.cluster_security_group.add_egress_rule(
            endpoints_security_group, https, "ESM pollers to STS/Lambda/SQS"
        )
        self.client_security_group.add_egress_rule(self.cluster_security_group, broker_port, "to the brokers")
        self.client_security_group.add_egress_rule(endpoints_security_group, https, "to the VPC endpoints")
        endpoints_security_group.add_ingress_rule(self.client_security_group, https, "clients")
        endpoints_security_group.add_ingress_rule(self.cluster_security_group, https, "ESM pollers")
        for service in INTERFACE_ENDPOINTS:
            self.vpc.add_interface_endpoint(
                service.capitalize(),
                service=ec2.InterfaceVpcEndpointAwsService(service),
                security_groups=[endpoints_security_group],
                open=False,
            )

        subnets = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.cluster = msk.CfnServerlessCluster(
            self,
            "Cluster",
            cluster_name=self.cluster_name,
            client_authentication=msk.CfnServerlessCluster.ClientAuthenticationProperty(
                sasl=msk.CfnServerlessCluster.SaslProperty(
                    iam=msk.CfnServerlessCluster.IamProperty(enabled=True)
                )
            ),
            vpc_configs=[
                msk.CfnServerlessCluster.VpcConfigProperty(
                    subnet_ids=subnets.subnet_ids,
                    security_groups=[self.cluster_security_group.security_group_id],
                )
            ],
        )
        self.cluster.apply_removal_policy(props.removal_policy)
        self.cluster_arn = self.cluster.attr_arn
        # Cluster ARN: arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>; topic and group ARNs
        # share the name and uuid.
        self._cluster_uuid = cdk.Fn.select(2, cdk.Fn.split("/", self.cluster_arn))

        # CloudFormation does not return an MSK Serverless cluster's bootstrap brokers: ask the API.
        bootstrap = cr.AwsCustomResource(
            self,
            "BootstrapBrokers",
            on_update=cr.AwsSdkCall(
                service="Kafka",
                action="getBootstrapBrokers",
                parameters={"ClusterArn": self.cluster_arn},
                physical_resource_id=cr.PhysicalResourceId.of(self.cluster_arn),
                output_paths=["BootstrapBrokerStringSaslIam"],
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["kafka:GetBootstrapBrokers"], resources=[self.cluster_arn])]
            ),
            install_latest_aws_sdk=False,
        )
        self.bootstrap_servers = bootstrap.get_response_field("BootstrapBrokerStringSaslIam")

        self.topics_function = PythonFunction(
            self,
            "Topics",
            props=PythonFunctionProps(
                name="kafka_topics",
                description=f"Creates the {self.cluster_name} topics at deploy time (never deletes them)",
                settings=TOPICS_FUNCTION,
                build_dir=props.lambda_build_dir,
                vpc=self.vpc,
                security_groups=(self.client_security_group,),
                removal_policy=props.removal_policy,
            ),
        )
        topics_fn = self.topics_function.function
        self._allow(topics_fn, ["kafka-cluster:Connect"], [self.cluster_arn])
        self._allow(
            topics_fn,
            ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic"],
            [self.topic_arn(t) for t in (self.raw_topic, self.insights_topic)],
        )
        provider = cr.Provider(self, "TopicsProvider", on_event_handler=topics_fn)
        retention_ms = str(settings.retention_hours * 3_600_000)
        self.topics = cdk.CustomResource(
            self,
            "LogTopics",
            service_token=provider.service_token,
            resource_type="Custom::KafkaTopics",
            removal_policy=cdk.RemovalPolicy.RETAIN,  # the handler never deletes; neither does CloudFormation
            properties={
                "BootstrapServers": self.bootstrap_servers,
                "Region": stack.region,
                "Topics": [
                    {"Name": self.raw_topic, "Partitions": str(settings.raw_partitions),
                     "Config": {"retention.ms": retention_ms}},
                    {"Name": self.insights_topic, "Partitions": str(settings.insights_partitions),
                     "Config": {"retention.ms": retention_ms}},
                ],
            },
        )  # fmt: skip
        self._acknowledge(bootstrap, provider)

    # ------------------------------------------------------------------------------------------ ARNs
    def topic_arn(self, topic: str) -> str:
        return self._arn("topic", topic)

    def group_arn(self, group: str) -> str:
        return self._arn("group", group)

    def nag_arn(self, kind: str, name: str) -> str:
        """How cdk-nag writes `topic_arn`/`group_arn` (in this stack) in finding ids, for acknowledgments."""
        uuid = json.dumps(cdk.Stack.of(self).resolve(self._cluster_uuid), separators=(",", ":"))
        return nag_arn(self, "kafka", f"{kind}/{self.cluster_name}/{uuid}/{name}")

    def _arn(self, kind: str, name: str) -> str:
        stack = cdk.Stack.of(self)
        return (
            f"arn:{stack.partition}:kafka:{stack.region}:{stack.account}:{kind}/"
            f"{self.cluster_name}/{self._cluster_uuid}/{name}"
        )

    # ------------------------------------------------------------------------------------------ grants
    def grant_write(self, grantee: iam.IGrantable, *, topic: str) -> None:
        """Write `topic` (Connect, DescribeTopic, WriteData on that topic only); no settings (e.g. Flink)."""
        self._allow(grantee, ["kafka-cluster:Connect"], [self.cluster_arn])
        self._allow(
            grantee, ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], [self.topic_arn(topic)]
        )

    def grant_produce(self, function: lambda_.Function, *, topic: str) -> None:
        """Let `function` write `topic` (see `grant_write`) and tell it how to reach the cluster (the
        contract's environment variables)."""
        self.grant_write(function, topic=topic)
        function.add_environment(LOG_BACKEND_ENV, "kafka")
        function.add_environment(KAFKA_BOOTSTRAP_SERVERS_ENV, self.bootstrap_servers)
        function.add_environment(RAW_TOPIC_ENV, topic)
        function.add_environment(KAFKA_SECURITY_ENV, "iam")

    def grant_consume(self, grantee: iam.IGrantable, *, topic: str, group: str) -> None:
        """Read `topic` as consumer group `group` (Connect, DescribeTopic, ReadData, group Describe/Alter)."""
        self._allow(grantee, ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], [self.cluster_arn])
        self._allow(
            grantee, ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], [self.topic_arn(topic)]
        )
        self._allow(
            grantee, ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], [self.group_arn(group)]
        )

    def grant_event_source(self, function: lambda_.IFunction, *, topic: str, group: str) -> None:
        """What a Lambda MSK event source mapping needs on the function's role (Lambda developer guide,
        "Amazon MSK ... execution role permissions"): read `topic` as `group`, find the brokers, and manage
        the pollers' network interfaces in the cluster's VPC (the function itself stays outside it)."""
        assert function.role is not None
        role = function.role
        self.grant_consume(role, topic=topic, group=group)
        self._allow(role, ["kafka-cluster:DescribeClusterDynamicConfiguration"], [self.cluster_arn])
        self._allow(role, ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"], [self.cluster_arn])
        self._allow(role, list(ESM_NETWORK_ACTIONS), ["*"])

    def grant_firehose_source(self, role: iam.IRole, *, topic: str) -> None:
        """Let Firehose read `topic` with `role` over private connectivity (Firehose developer guide,
        "Configure source settings for Amazon MSK" and "Grant Firehose access to your private Amazon MSK
        cluster"): a cluster policy lets the Firehose service create its managed VPC connection, the role
        finds the brokers and reads the topic; Firehose names its own consumer group, hence `group/.../*`."""
        if self._firehose_policy is None:
            stack = cdk.Stack.of(self)
            self._firehose_policy = msk.CfnClusterPolicy(
                self,
                "FirehosePolicy",
                cluster_arn=self.cluster_arn,
                policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "firehose.amazonaws.com"},
                            "Action": list(FIREHOSE_CLUSTER_POLICY_ACTIONS),
                            "Resource": self.cluster_arn,
                            "Condition": {"StringEquals": {"aws:SourceAccount": stack.account}},
                        }
                    ],
                },
            )
        self._allow(
            role,
            ["kafka:GetBootstrapBrokers", "kafka:DescribeCluster", "kafka:DescribeClusterV2",
             "kafka-cluster:Connect"],
            [self.cluster_arn],
        )  # fmt: skip
        self._allow(
            role,
            ["kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration",
             "kafka-cluster:ReadData"],
            [self.topic_arn(topic)],
        )  # fmt: skip
        self._allow(role, ["kafka-cluster:DescribeGroup"], [self.group_arn("*")])

    @property
    def firehose_policy(self) -> msk.CfnClusterPolicy | None:
        """The cluster policy Firehose's managed VPC connection needs (after `grant_firehose_source`)."""
        return self._firehose_policy

    @property
    def subnet_ids(self) -> list[str]:
        """The isolated subnets clients in the VPC (Lambda, Managed Flink) run in."""
        return self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids

    @staticmethod
    def _allow(grantee: iam.IGrantable, actions: list[str], resources: list[str]) -> None:
        iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=resources)

    def _acknowledge(self, bootstrap: cr.AwsCustomResource, provider: cr.Provider) -> None:
        acknowledge(
            self.topics_function,
            "AwsSolutions-L1",
            "Python 3.12 is pinned: the assets are built for cp312/aarch64 like every function of the project.",
        )
        acknowledge(
            self.topics_function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.",
        )
        acknowledge(
            self.topics_function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
            "AWSLambdaVPCAccessExecutionRole only manages the function's own network interfaces in the VPC.",
        )
        acknowledge(
            self.topics_function,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (active tracing).",
        )
        basic = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
        acknowledge(
            provider, basic, "CDK's custom-resource framework function only writes its own CloudWatch logs."
        )
        acknowledge(
            provider,
            f"AwsSolutions-IAM5[Resource::<{_logical_id(topics_function_of(self))}.Arn>:*]",
            "The framework invokes the topics function and its versions (lambda:InvokeFunction on <arn>:*).",
        )
        singleton = cdk.Stack.of(self).node.try_find_child(AWS_CUSTOM_RESOURCE_SINGLETON)
        if singleton is not None:
            acknowledge(
                singleton, basic, "CDK's AwsCustomResource function only writes its own CloudWatch logs."
            )


def topics_function_of(log: KafkaLog) -> lambda_.Function:
    return log.topics_function.function


def _logical_id(construct: Construct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnElement)
    return cdk.Stack.of(construct).resolve(resource.logical_id)
