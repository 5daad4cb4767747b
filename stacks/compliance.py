"""cdk-nag wiring: run the AwsSolutions pack on the whole app and acknowledge findings next to resources.

cdk-nag 3.x plugs into CDK's own validation: `app.synth()` fails with a report in
`<outdir>/validation-report.json` when any unacknowledged finding remains.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_compliance_checks(app: cdk.App) -> None:
    """Run the AWS Solutions rule pack over every stack of `app` at synth time."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on `scope` (and its children) with the reason a reviewer reads.

    `rule_id` is e.g. `AwsSolutions-IAM5` or a specific finding `AwsSolutions-IAM5[Resource::*]`.
    """
    if len(reason) < 20:
        raise ValueError(f"acknowledgment of {rule_id} needs a real reason, got {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def logical_id_of(construct: IConstruct) -> str:
    """The CloudFormation logical id of a construct's main resource, as cdk-nag writes it in finding ids."""
    resource = construct.node.default_child
    if not isinstance(resource, cdk.CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    return cdk.Stack.of(construct).resolve(resource.logical_id)


def nag_arn(
    scope: IConstruct, service: str, resource: str, *, regional: bool = True, in_account: bool = True
) -> str:
    """An ARN of `scope`'s stack as cdk-nag writes it in finding ids: the stack's partition, region and
    account as literals where the stack knows them (`env` set in cdk.json), `<AWS::Partition>`-style
    placeholders where they are tokens (environment-agnostic stacks).

    `nag_arn(role, "logs", "log-group:*")` → `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*`
    in an environment-agnostic stack, `arn:aws:logs:eu-west-1:<AWS::AccountId>:log-group:*` with a region.

    Not for AWS-managed policies: CDK writes their ARNs with the `AWS::Partition` token even when the
    region is known, so `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/...]` is right in
    every environment (tests/stacks/test_application_pinned_env.py synthesizes the pinned ones).
    """
    stack = cdk.Stack.of(scope)
    region = nag_pseudo(stack.region, "Region") if regional else ""
    account = nag_pseudo(stack.account, "AccountId") if in_account else ""
    return f"arn:{nag_pseudo(stack.partition, 'Partition')}:{service}:{region}:{account}:{resource}"


def nag_pseudo(value: str, name: str) -> str:
    """A pseudo parameter's value as cdk-nag writes it: the literal, or `<AWS::name>` for a token."""
    return f"<AWS::{name}>" if cdk.Token.is_unresolved(value) else value
