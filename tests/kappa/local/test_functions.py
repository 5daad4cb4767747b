"""The local functions get the handlers and environment the stacks give them (plus loopback targets)."""

from __future__ import annotations

import importlib

from kappa.local.functions import FANOUT, INGEST, WEBHOOKS_API, api_routes, function_specs
from stacks.config import load_config


def test_specs_use_the_stack_names_environment_and_limits() -> None:
    config = load_config()
    specs = function_specs(
        config,
        aws_environment={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"},
        webhook_environment={"SUBSCRIPTIONS_TABLE": config.names.subscriptions_table},
        admin_key_ids=["adminid123"],
    )
    ingest, api, fanout = specs[INGEST], specs[WEBHOOKS_API], specs[FANOUT]
    assert ingest.name == config.names.ingest_function
    assert ingest.environment["RAW_STREAM_NAME"] == config.names.raw_stream
    assert ingest.timeout_seconds == config.ingestion.function.timeout_seconds
    assert api.name == config.names.webhooks_api_function
    assert api.environment["ADMIN_API_KEY_IDS"] == "adminid123"
    assert fanout.name == config.names.fanout_function
    assert fanout.environment["ALLOW_LOOPBACK_TARGETS"] == "true"
    assert fanout.environment["SUBSCRIPTIONS_TABLE"] == config.names.subscriptions_table
    assert all(spec.environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" for spec in specs.values())
    for spec in specs.values():
        module, _, function = spec.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function))


def test_routes_cover_the_contract_and_validate_event_batches() -> None:
    routes = {(r.method, r.resource): r for r in api_routes()}
    assert routes["POST", "/v1/events"].function == INGEST
    assert routes["POST", "/v1/events"].request_model is not None
    for method, resource in [
        ("POST", "/v1/webhooks"),
        ("GET", "/v1/webhooks"),
        ("GET", "/v1/webhooks/{id}"),
        ("DELETE", "/v1/webhooks/{id}"),
        ("POST", "/v1/webhooks/{id}/rotate-secret"),
    ]:
        assert routes[method, resource].function == WEBHOOKS_API
