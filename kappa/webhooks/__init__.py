"""Operator tooling for webhooks: dead-letter redrive, the management API client, local resources."""
