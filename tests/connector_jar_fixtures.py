"""Pytest plugin: the connector uber-jar (flink_app/pom.xml), built with Maven once per test session.

Registered in tests/conftest.py. Tests that run the job on Kafka, or inspect the jar, ask for `connector_jar`.
Nothing is skipped: when Maven or Java is missing or the build fails, the test fails with Maven's error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flink_app.packaging import PackagingError, build_connector_jar


@pytest.fixture(scope="session")
def connector_jar() -> Path:
    """flink_app/target/kappa-flink-connectors.jar, freshly built (Maven reuses ~/.m2, so later builds are quick)."""
    try:
        return build_connector_jar()
    except PackagingError as error:
        pytest.fail(f"the connector jar could not be built: {error}", pytrace=False)
