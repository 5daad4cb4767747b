"""`flink_app.sql.run_starts` (the start of each run of TRUE rows after a FALSE one, per partition, in event-time
order) gives exactly what the MATCH_RECOGNIZE it replaced gave, evaluated by Flink over random flag sequences
(NULL flags, single-row and all-TRUE partitions included), out-of-order arrival within the watermark's bound."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from flink_app.sql import run_starts

pytestmark = [pytest.mark.slow, pytest.mark.flink]

SLIDE_MS = 60_000


def match_recognize_starts(source: str, *, partition_by: str | None) -> str:
    """The reference: the pattern the trending and conversion analyses used before."""
    partition = f"PARTITION BY {partition_by}" if partition_by else ""
    return f"""SELECT `start_k`, `start_at_ms` FROM {source}
MATCH_RECOGNIZE (
  {partition}
  ORDER BY `ts`
  MEASURES T.`k` AS `start_k`, T.`at_ms` AS `start_at_ms`
  ONE ROW PER MATCH
  AFTER MATCH SKIP TO LAST T
  PATTERN (N T)
  DEFINE N AS NOT N.`flag`, T AS T.`flag`
)"""


def random_rows(seed: int) -> list[tuple[str, int, bool | None]]:
    """(k, at_ms, flag): per key, one row per slide over a random stretch; runs of TRUE and FALSE, some NULLs."""
    rng = random.Random(seed)
    rows = []
    for key in range(40):
        start = rng.randrange(0, 50)
        flag: bool | None = rng.random() < 0.5
        for slide in range(start, start + rng.choice([1, 2, 5, 30, 80])):
            roll = rng.random()
            if roll < 0.25:
                flag = not flag if flag is not None else rng.random() < 0.5
            elif roll < 0.28:
                flag = None
            rows.append((f"k{key}", slide * SLIDE_MS, flag))
    # arrival: mostly in time order, shuffled within a few slides (the watermark allows 10 slides)
    rows.sort(key=lambda row: row[1] + rng.randrange(0, 5 * SLIDE_MS))
    return rows


def starts(t_env, query: str) -> list[tuple[str, int]]:
    with t_env.execute_sql(query).collect() as results:
        return sorted((row[0], row[1]) for row in results)


@pytest.mark.parametrize("seed", [1, 2])
def test_run_starts_is_the_match_recognize_it_replaced(flink_environment, tmp_path: Path, seed: int) -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    # GIVEN random flag sequences per key as a file with an event-time column and a watermark
    rows = random_rows(seed)
    data = tmp_path / "rows.csv"
    data.write_text(
        "".join(f"{k},{at},{'' if flag is None else str(flag).lower()}\n" for k, at, flag in rows)
    )
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("table.local-time-zone", "UTC")
    t_env.get_config().set("parallelism.default", "2")
    t_env.execute_sql(
        f"""CREATE TABLE `flags` (`k` STRING, `at_ms` BIGINT, `flag` BOOLEAN,
  `ts` AS TO_TIMESTAMP_LTZ(`at_ms`, 3),
  WATERMARK FOR `ts` AS `ts` - INTERVAL '10' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '{data}', 'format' = 'csv', 'csv.null-literal' = '')"""
    )
    longest = max({k for k, _, _ in rows}, key=lambda key: sum(1 for k, _, _ in rows if k == key))
    for partition_by in ("`k`", None):
        # (unpartitioned, as the conversion analysis: one key's rows)
        source = "`flags`" if partition_by else f"(SELECT * FROM `flags` WHERE `k` = '{longest}')"
        # WHEN Flink evaluates both
        expected = starts(t_env, match_recognize_starts(source, partition_by=partition_by))
        actual = starts(
            t_env,
            "SELECT `k`, `at_ms` FROM ("
            + run_starts(f"SELECT * FROM {source}", flag="`flag`", order_by="`ts`", partition_by=partition_by)
            + ")",
        )
        # THEN the starts are the same rows (and there are some, and not every TRUE row)
        assert actual == expected
        assert expected
    trues = sum(1 for _, _, flag in rows if flag)
    assert len(starts(t_env, match_recognize_starts("`flags`", partition_by="`k`"))) < trues
