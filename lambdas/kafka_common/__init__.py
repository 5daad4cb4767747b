"""Kafka client configuration shared by the Lambdas that talk to the log on MSK (bootstrap, security, IAM tokens).

from lambdas.kafka_common import client_config
Producer(client_config("b-1.example:9098", "iam") | {"acks": "all"})
"""

from lambdas.kafka_common.client_config import (
    KAFKA_SECURITY_MODES,
    KafkaSecurity,
    client_config,
    msk_iam_token,
)

__all__ = ["KAFKA_SECURITY_MODES", "KafkaSecurity", "client_config", "msk_iam_token"]
