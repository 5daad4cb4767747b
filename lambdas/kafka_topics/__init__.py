"""Creates the Kafka log's topics at deploy time (a CloudFormation custom resource on MSK Serverless)."""

from lambdas.kafka_topics.service import TopicAdmin, TopicsError, TopicSpec, ensure_topics

__all__ = ["TopicAdmin", "TopicSpec", "TopicsError", "ensure_topics"]
