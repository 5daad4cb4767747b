"""The Java affinity model (`affinity_versions`, dev.kappa.flink.affinity) against the SQL it replaced, run by Flink.

The SQL below is the model of flink_app/sql/recommendations.py before issue 15 (TUMBLE slices → HOP decayed
scores → window Top-N + LISTAGG). Both run over the same random co-occurrences, with weights of every 4-decimal
shape (so the DOUBLE decay and its DECIMAL(20, 6) rounding meet many digits), ties in score, duplicate pairs per
slice and slices with gaps; every model row must be identical: product, version time, version ms and every
neighbor's digits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from flink_app.java_functions import register_java_functions
from flink_app.settings import RecommendationSettings
from flink_app.sql import minutes
from flink_app.sql.recommendations import AFFINITY_PAIRS, affinity_model_sql, candidate_count

pytestmark = [pytest.mark.slow, pytest.mark.flink]

START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def reference_model_sql(t_env, rec: RecommendationSettings) -> str:
    """The three views the process table function replaced (flink_app/sql/recommendations.py at bf46935): the
    first two registered, the third returned."""
    half_life_s = rec.half_life_minutes * 60
    slices = f"""SELECT `a`, `b`, `window_time` AS `slice_time`, SUM(`weight`) AS `weight`
FROM TABLE(TUMBLE(TABLE `{AFFINITY_PAIRS}`, DESCRIPTOR(`at`), {minutes(rec.update_minutes)}))
GROUP BY `window_start`, `window_end`, `window_time`, `a`, `b`"""
    t_env.create_temporary_view("reference_slices", t_env.sql_query(slices))
    scores = f"""SELECT `window_start`, `window_end`, `window_time`, `a`, `b`, `score` FROM (
  SELECT `window_start`, `window_end`, `window_time`, `a`, `b`,
    SUM(CAST(`weight` * POWER(2.0, -CAST(TIMESTAMPDIFF(SECOND, `slice_time`, `window_time`) AS DOUBLE) / {half_life_s})
      AS DECIMAL(20, 6))) AS `score`
  FROM TABLE(HOP(TABLE `reference_slices`, DESCRIPTOR(`slice_time`), {minutes(rec.update_minutes)},
    {minutes(rec.horizon_minutes)}))
  GROUP BY `window_start`, `window_end`, `window_time`, `a`, `b`
) WHERE `score` >= CAST({rec.min_support!r} AS DECIMAL(20, 6))"""
    t_env.create_temporary_view("reference_scores", t_env.sql_query(scores))
    return f"""SELECT `a` AS `product_id`, `window_time` AS `version_time`,
  UNIX_TIMESTAMP(DATE_FORMAT(`window_end`, 'yyyy-MM-dd HH:mm:ss')) * 1000 AS `version_ms`,
  LISTAGG(CONCAT(`b`, ',', CAST(`score` AS STRING)), ';') AS `neighbors`
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY `window_start`, `window_end`, `a` ORDER BY `score` DESC, `b` ASC)
    AS `rank_in_product`
  FROM `reference_scores`
) WHERE `rank_in_product` <= {candidate_count(rec.top_k)}
GROUP BY `window_start`, `window_end`, `window_time`, `a`"""


@dataclass(frozen=True)
class ModelRow:
    product_id: str
    version_time: str
    version_ms: int
    neighbors: tuple[str, ...]


def random_pairs(seed: int, *, rows: int, update_minutes: int) -> list[str]:
    """CSV lines `a,b,weight,at_ms`: in event-time order but for steps back of 500 ms (within the watermark's
    1 s bound: no row is at or behind the watermark, as no pair of the job is, see docs/flink-job.md), with gaps
    of several slices now and then."""
    rng = random.Random(seed)
    products = [f"p-{i:03d}" for i in range(12)]
    weights = ["3.0000", "1.0000", "0.0001", "1.2345", "2.5000", "0.3333", "7.7777", "0.0500"]
    lines = []
    latest_ms = START_MS
    for _ in range(rows):
        latest_ms += (
            rng.choice([0, 1, 997, 60_000, 170_000]) if rng.random() > 0.01 else update_minutes * 240_000
        )
        at_ms = latest_ms - rng.choice([0, 0, 0, 500])
        a, b = rng.sample(products, 2)
        weight = rng.choice(weights) if rng.random() < 0.5 else f"{rng.randrange(1, 200_000) / 10_000:.4f}"
        lines.append(f"{a},{b},{weight},{at_ms}")
        if rng.random() < 0.1:  # the same pair again in the same slice
            lines.append(f"{a},{b},{weight},{at_ms}")
        if rng.random() < 0.1:  # another neighbor with the same weight: a tie in score
            c = next(p for p in products if p not in (a, b))
            lines.append(f"{a},{c},{weight},{at_ms}")
    return lines


def run_model(pairs_csv: Path, jar: Path, query_for: str, rec: RecommendationSettings) -> list[ModelRow]:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("table.local-time-zone", "UTC")
    config.set("parallelism.default", "2")
    config.set("pipeline.jars", jar.as_uri())
    register_java_functions(t_env)
    t_env.execute_sql(
        f"""CREATE TEMPORARY TABLE `pair_rows` (
  `a` STRING, `b` STRING, `weight` DECIMAL(12, 4), `at_ms` BIGINT,
  `at` AS TO_TIMESTAMP_LTZ(`at_ms`, 3),
  WATERMARK FOR `at` AS `at` - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '{pairs_csv.as_uri()}', 'format' = 'csv')"""
    )
    t_env.create_temporary_view(AFFINITY_PAIRS, t_env.sql_query("SELECT * FROM `pair_rows`"))
    query = affinity_model_sql(rec) if query_for == "java" else reference_model_sql(t_env, rec)
    rows = []
    with t_env.execute_sql(
        f"""SELECT `product_id`, CAST(`version_time` AS STRING), `version_ms`, `neighbors` FROM ({query})"""
    ).collect() as results:
        for product_id, version_time, version_ms, neighbors in results:
            rows.append(ModelRow(product_id, version_time, version_ms, tuple(neighbors.split(";"))))
    return rows


def best_first(neighbors: tuple[str, ...]) -> tuple[str, ...]:
    """The Top-N order: score descending (as decimals), then product id."""
    from decimal import Decimal

    return tuple(sorted(neighbors, key=lambda entry: (-Decimal(entry.split(",")[1]), entry.split(",")[0])))


CONFIGURATIONS = {
    # short slices, an odd half life (exponents like -300/420), low support, a cut at 6 of up to 11 neighbors
    "fine": RecommendationSettings(
        update_minutes=5, horizon_minutes=60, half_life_minutes=7, min_support=0.5, top_k=1
    ),
    # the job's defaults (replay.json's analytics)
    "default": RecommendationSettings(),
}


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_java_model_emits_the_rows_of_the_sql_it_replaced(
    name: str, flink_environment, connector_jar: Path, tmp_path: Path
) -> None:
    # GIVEN 2,500 random co-occurrences (a day and more of event time)
    rec = CONFIGURATIONS[name]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("\n".join(random_pairs(15, rows=2_500, update_minutes=rec.update_minutes)) + "\n")

    # WHEN both models run over them
    java = run_model(pairs, connector_jar, "java", rec)
    sql = run_model(pairs, connector_jar, "sql", rec)

    # THEN the Java model lists each version's neighbors best first
    assert java, "the model emitted nothing: the test data does not exercise it"
    assert all(row.neighbors == best_first(row.neighbors) for row in java)

    # AND its rows are the SQL's, digit for digit (LISTAGG's order aside: the reader sorts them)
    def key(row: ModelRow) -> tuple[str, int]:
        return (row.product_id, row.version_ms)

    normalized_sql = sorted(
        (ModelRow(r.product_id, r.version_time, r.version_ms, best_first(r.neighbors)) for r in sql), key=key
    )
    assert sorted(java, key=key) == normalized_sql
