"""`ConfluentTopicAdmin`: confluent-kafka's AdminClient on MSK with IAM auth (SASL_SSL + OAUTHBEARER).

The MSK IAM token comes from aws-msk-iam-sasl-signer-python, signed with the function's role (no secret).
Written here because the shared Kafka client settings (`lambdas/kafka_common`, branch feat/lambda-kafka)
did not exist yet; move to them once merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from lambdas.kafka_topics.service import TopicSpec

TOPIC_ALREADY_EXISTS: Final = "TOPIC_ALREADY_EXISTS"
REQUEST_TIMEOUT_SECONDS: Final = 30.0


def iam_client_config(bootstrap_servers: str, region: str) -> dict[str, Any]:
    """librdkafka settings for MSK IAM: TLS to the brokers, an OAUTHBEARER token refreshed by the signer."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def oauth_token(_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000  # librdkafka wants seconds since the epoch

    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "OAUTHBEARER",
        "oauth_cb": oauth_token,
    }


class ConfluentTopicAdmin:
    """`TopicAdmin` over confluent_kafka.admin.AdminClient."""

    def __init__(self, config: dict[str, Any]) -> None:
        from confluent_kafka.admin import AdminClient

        self._client = AdminClient(config)

    def existing_topics(self) -> set[str]:
        return set(self._client.list_topics(timeout=REQUEST_TIMEOUT_SECONDS).topics)

    def create_topics(self, specs: Sequence[TopicSpec]) -> Mapping[str, str | None]:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import NewTopic

        futures = self._client.create_topics(
            [NewTopic(s.name, num_partitions=s.partitions, config=dict(s.config)) for s in specs],
            request_timeout=REQUEST_TIMEOUT_SECONDS,
        )
        outcome: dict[str, str | None] = {}
        for name, future in futures.items():
            try:
                future.result()
                outcome[name] = None
            except KafkaException as error:
                kafka_error = error.args[0]
                outcome[name] = None if kafka_error.name() == TOPIC_ALREADY_EXISTS else kafka_error.str()
        return outcome
