"""The librdkafka settings for reaching the cluster: bootstrap servers, plaintext or MSK IAM (SASL OAUTHBEARER).

`iam` is the only mode for MSK Serverless: TLS plus an OAUTHBEARER token signed with the function's role
(`aws-msk-iam-sasl-signer-python`), refreshed by librdkafka through `oauth_cb` before it expires (15 min).
`plaintext` is for the local broker and tests only.
"""

from __future__ import annotations

import os
from typing import Any, Final, Literal, get_args

KafkaSecurity = Literal["iam", "plaintext"]
KAFKA_SECURITY_MODES: Final[tuple[str, ...]] = get_args(KafkaSecurity)
AWS_REGION_ENV: Final = "AWS_REGION"
"""Set by the Lambda runtime; the region the MSK IAM token is signed for."""


def client_config(bootstrap_servers: str, security: str, *, region: str | None = None) -> dict[str, Any]:
    """The connection part of a confluent-kafka client configuration.

    >>> client_config("localhost:9092", "plaintext")
    {'bootstrap.servers': 'localhost:9092', 'security.protocol': 'PLAINTEXT'}
    """
    if not bootstrap_servers:
        raise ValueError("Kafka bootstrap servers are empty: expected host:port[,host:port]")
    if security == "plaintext":
        return {"bootstrap.servers": bootstrap_servers, "security.protocol": "PLAINTEXT"}
    if security == "iam":
        signing_region = region or os.environ.get(AWS_REGION_ENV)
        if not signing_region:
            raise ValueError(f"{AWS_REGION_ENV} is not set: MSK IAM tokens are signed for a region")
        return {
            "bootstrap.servers": bootstrap_servers,
            "security.protocol": "SASL_SSL",
            "sasl.mechanisms": "OAUTHBEARER",
            "oauth_cb": lambda _config: msk_iam_token(signing_region),
        }
    raise ValueError(f"Kafka security must be one of {', '.join(KAFKA_SECURITY_MODES)}, not {security!r}")


def msk_iam_token(region: str) -> tuple[str, float]:
    """An MSK IAM auth token and its expiry in seconds since the epoch (the shape librdkafka's oauth_cb wants)."""
    from aws_msk_iam_sasl_signer import (
        MSKAuthTokenProvider,
    )  # imported lazily: only `iam` needs botocore here

    token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
    return token, expiry_ms / 1000
