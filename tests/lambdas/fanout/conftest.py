"""Fixtures for the fan-out tests (defined in webhook_fixtures, shared with the API and CLI tests)."""

from tests.lambdas.fanout.webhook_fixtures import (  # noqa: F401
    aws_credentials,
    fanout_env,
    insights_source,
    lambda_context,
    receiver,
    subscriber,
    webhook_aws,
)
