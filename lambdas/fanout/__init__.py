"""Webhook fan-out: insights from the stream (and due retries) to subscribers, signed, retried, dead-lettered."""
