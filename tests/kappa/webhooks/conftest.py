"""Fixtures for the webhook CLI tests (shared with the fan-out tests)."""

from tests.lambdas.fanout.webhook_fixtures import (  # noqa: F401
    aws_credentials,
    fanout_env,
    lambda_context,
    receiver,
    webhook_aws,
)
