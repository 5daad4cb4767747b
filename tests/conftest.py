"""Plugins every test directory may use."""

pytest_plugins = ["tests.kafka_fixtures"]
