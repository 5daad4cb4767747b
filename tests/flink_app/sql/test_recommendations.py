"""The model_lookup PTF call (flink_app/sql/recommendations.py): both tables by product, the update interval."""

from __future__ import annotations

from flink_app.java_functions import JAVA_FUNCTIONS
from flink_app.sql.recommendations import (
    MODEL_LOOKUP_FUNCTION,
    MODEL_VERSIONS,
    RECOMMENDATION_TRIGGERS,
    recommendation_statements,
)
from tests.flink_app.sql.test_carts import analytics, views


def test_each_trigger_looks_up_its_model_version_by_product_on_event_time() -> None:
    # GIVEN a model updated every 30 minutes
    settings = analytics(**{"recommendation.update_minutes": "30"})
    # WHEN the recommendation statements are built
    statements = recommendation_statements(settings, job_version="v1")
    insert = statements.inserts[0].query
    # THEN the triggers and the model versions go into model_lookup, both partitioned by product, on `ts`
    assert f"{MODEL_LOOKUP_FUNCTION}(" in insert
    assert f"triggers => TABLE `{RECOMMENDATION_TRIGGERS}` PARTITION BY `product_id`" in insert
    assert f"model => TABLE `{MODEL_VERSIONS}` PARTITION BY `product_id`" in insert
    assert "on_time => DESCRIPTOR(`ts`)" in insert
    assert "JOIN" not in insert
    # AND both inputs carry the update interval in ms (model_lookup takes no scalar argument beside two tables)
    for name in (RECOMMENDATION_TRIGGERS, MODEL_VERSIONS):
        assert "CAST(1800000 AS BIGINT) AS `update_ms`" in views(statements)[name]
    assert "`version_time` AS `ts`" in views(statements)[MODEL_VERSIONS]


def test_model_lookup_is_the_java_ptf() -> None:
    assert JAVA_FUNCTIONS[MODEL_LOOKUP_FUNCTION] == "dev.kappa.flink.affinity.ModelLookup"
