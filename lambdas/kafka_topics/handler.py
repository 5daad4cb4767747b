"""CloudFormation custom resource (CDK Provider `onEvent`): create the log's topics on Create and Update.

Delete does nothing on purpose (retain): deleting a stack must not delete the Kappa log's history.
Properties: `BootstrapServers`, `Region`, `Topics` = [{"Name", "Partitions", "Config": {...}}].
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.kafka_topics.admin import ConfluentTopicAdmin, iam_client_config
from lambdas.kafka_topics.service import TopicAdmin, TopicSpec, ensure_topics

logger = Logger()


def topic_specs(properties: dict[str, Any]) -> list[TopicSpec]:
    """The custom resource's `Topics` (CloudFormation passes every value as a string)."""
    return [
        TopicSpec(
            name=str(topic["Name"]),
            partitions=int(topic["Partitions"]),
            config={str(k): str(v) for k, v in (topic.get("Config") or {}).items()},
        )
        for topic in properties["Topics"]
    ]


def admin_for(properties: dict[str, Any]) -> TopicAdmin:
    return ConfluentTopicAdmin(iam_client_config(properties["BootstrapServers"], properties["Region"]))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    properties = event["ResourceProperties"]
    physical_id = event.get("PhysicalResourceId") or f"topics@{properties['BootstrapServers']}"
    if event["RequestType"] == "Delete":
        logger.info("topics retained on delete", extra={"physical_id": physical_id})
        return {"PhysicalResourceId": physical_id}
    created = ensure_topics(admin_for(properties), topic_specs(properties))
    logger.info("topics ensured", extra={"topics_created": created})
    return {"PhysicalResourceId": physical_id, "Data": {"Created": ",".join(created)}}
