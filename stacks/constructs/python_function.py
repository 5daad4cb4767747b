"""`PythonFunction`: our standard Lambda — Python 3.12 on arm64, Powertools settings, X-Ray, owned log group.

The code comes from `build/lambda/<name>/` (see `stacks/lambda_build.py`); a missing build is a clear
error, not a silent empty asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import LIVE_ALIAS, LambdaConfig

POWERTOOLS_METRICS_NAMESPACE = "KappaCommerce"


@dataclass(frozen=True, kw_only=True)
class PythonFunctionProps:
    """What differs between our functions; everything else is the house standard."""

    name: str
    """Folder under `lambdas/` and Powertools service name, e.g. `ingest`."""
    description: str
    settings: LambdaConfig
    build_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    function_name: str | None = None
    """A fixed physical name (e.g. `ResourceNames.ingest_function`) when other stacks watch it by name."""
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY
    vpc: ec2.IVpc | None = None
    """Run in this VPC's private subnets (Kafka clients); None: Lambda's own network, as for Kinesis."""
    security_groups: tuple[ec2.ISecurityGroup, ...] = ()


class PythonFunction(Construct):
    """A Lambda function plus its log group; `function` (and `alias` when provisioned) for others to use."""

    def __init__(self, scope: Construct, construct_id: str, *, props: PythonFunctionProps) -> None:
        super().__init__(scope, construct_id)
        asset = props.build_dir / props.name
        if not (asset / "lambdas" / props.name / "handler.py").exists():
            raise FileNotFoundError(
                f"Lambda asset for {props.name!r} not built at {asset}: run `make build-lambdas` first"
            )
        self.log_group = logs.LogGroup(
            self, "Logs", retention=props.log_retention, removal_policy=props.removal_policy
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=props.function_name,
            description=props.description,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"lambdas.{props.name}.handler.handler",
            code=lambda_.Code.from_asset(str(asset)),
            memory_size=props.settings.memory_mb,
            timeout=cdk.Duration.seconds(props.settings.timeout_seconds),
            reserved_concurrent_executions=props.settings.reserved_concurrency,
            vpc=props.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            if props.vpc
            else None,
            security_groups=list(props.security_groups) or None,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                "POWERTOOLS_SERVICE_NAME": props.name,
                "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **props.environment,
            },
        )
        self.alias: lambda_.Alias | None = None
        if props.settings.provisioned_concurrency:
            self.alias = lambda_.Alias(
                self,
                "Live",
                alias_name=LIVE_ALIAS,
                version=self.function.current_version,
                provisioned_concurrent_executions=props.settings.provisioned_concurrency,
            )

    @property
    def invocable(self) -> lambda_.IFunction:
        """What triggers should invoke: the provisioned alias when there is one, else the function."""
        return self.alias or self.function
