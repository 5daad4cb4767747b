"""stacks.compliance: the ARNs acknowledgments name are the ones cdk-nag writes, pinned environment or not."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from stacks.compliance import acknowledge, nag_arn, nag_pseudo

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def stack_in(env: cdk.Environment | None) -> cdk.Stack:
    # cdk.json turns partition literals on: with a known region the partition is written as `aws`.
    app = cdk.App(context={"@aws-cdk/core:enablePartitionLiterals": True})
    return cdk.Stack(app, "Stack", env=env)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (None, "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*"),
        (cdk.Environment(region=REGION), f"arn:aws:logs:{REGION}:<AWS::AccountId>:log-group:*"),
        (cdk.Environment(account=ACCOUNT), f"arn:<AWS::Partition>:logs:<AWS::Region>:{ACCOUNT}:log-group:*"),
        (cdk.Environment(account=ACCOUNT, region=REGION), f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"),
    ],
    ids=["agnostic", "region", "account", "region-and-account"],
)
def test_nag_arn_writes_literals_where_the_stack_knows_them(
    env: cdk.Environment | None, expected: str
) -> None:
    # GIVEN a stack with (part of) its environment pinned
    stack = stack_in(env)

    # WHEN an acknowledgment names an ARN in it
    # THEN known values are literals and unknown ones cdk-nag's `<AWS::...>` placeholders
    assert nag_arn(stack, "logs", "log-group:*") == expected


def test_nag_arn_leaves_out_region_and_account_for_global_resources() -> None:
    stack = stack_in(cdk.Environment(account=ACCOUNT, region=REGION))

    assert nag_arn(stack, "s3", "bucket-*", regional=False, in_account=False) == "arn:aws:s3:::bucket-*"


def test_nag_pseudo_is_the_literal_or_the_placeholder() -> None:
    pinned, agnostic = stack_in(cdk.Environment(account=ACCOUNT)), stack_in(None)

    assert nag_pseudo(pinned.account, "AccountId") == ACCOUNT
    assert nag_pseudo(agnostic.account, "AccountId") == "<AWS::AccountId>"


def test_acknowledge_refuses_a_reason_a_reviewer_could_not_judge() -> None:
    with pytest.raises(ValueError, match="needs a real reason"):
        acknowledge(stack_in(None), "AwsSolutions-IAM5", "ok")
