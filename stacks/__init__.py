"""The CDK stacks, one per concern (ingestion, processing, delivery, monitoring), and their config."""
