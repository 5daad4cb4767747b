"""The webhook subscription management API (`/v1/webhooks`), behind the REST API with an admin API key."""
