"""The source's event time: the Java function `epoch_millis` (dev.kappa.flink.time.EpochMillis, the source
table's `ts_ms`/`ts`, flink_app/connectors.py) evaluated by Flink itself, against Python's own parser, over
calendar edge cases (leap days, century years, month and year ends, offsets, fractions). The same cases are the
JUnit tests' (flink_app/src/test/java/dev/kappa/flink/time), which also compare it with java.time on random
instants."""

from __future__ import annotations

import datetime as dt

import pytest

from flink_app.connectors import EPOCH_MILLIS_FUNCTION
from flink_app.java_functions import register_source_functions

pytestmark = [pytest.mark.slow, pytest.mark.flink]

TIMESTAMPS = (
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999Z",
    "2000-02-29T12:30:45.1+05:30",
    "2000-03-01T00:00:00Z",
    "2024-02-29T23:59:59-08:00",
    "2026-01-01T01:00:00.5+01:00",
    "2025-12-31T19:00:02.25-05:00",
    "2026-11-25T12:00:00.123456789Z",
    "2100-02-28T23:59:59Z",
    "2100-03-01T00:00:00z",
    "2400-02-29T06:07:08.009Z",
    "9999-12-31T23:59:59.999+14:00",
)


def python_epoch_millis(text: str) -> int:
    """Python's reading of an RFC 3339 string, truncated to milliseconds like the SQL."""
    date_time, fraction, offset = text[:19], "", text[19:]
    if offset.startswith("."):
        end = next((i for i, c in enumerate(offset) if c in "Zz+-"), len(offset))
        fraction, offset = offset[1:end], offset[end:]
    parsed = dt.datetime.fromisoformat(date_time + ("+00:00" if offset in ("Z", "z") else offset))
    return int(parsed.timestamp()) * 1000 + int((fraction + "000")[:3])


def test_python_reading_of_the_cases_is_the_expected_instant() -> None:
    # GIVEN one case checked by hand: 2000-02-29T12:30:45.1+05:30 is 07:00:45.100 UTC that day
    expected = dt.datetime(2000, 2, 29, 7, 0, 45, 100_000, tzinfo=dt.UTC).timestamp() * 1000
    assert python_epoch_millis("2000-02-29T12:30:45.1+05:30") == int(expected)


def test_flink_reads_every_case_as_python_does(flink_environment, connector_jar) -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    # GIVEN the cases as a table and the source's Java function
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("table.local-time-zone", "UTC")
    t_env.get_config().set("pipeline.jars", connector_jar.as_uri())
    register_source_functions(t_env)
    rows = ", ".join(f"('{text}')" for text in TIMESTAMPS)
    t_env.create_temporary_view(
        "cases", t_env.sql_query(f"SELECT * FROM (VALUES {rows}) AS t (`occurred_at`)")
    )

    # WHEN Flink evaluates the source's event-time function
    with t_env.execute_sql(
        f"SELECT `occurred_at`, {EPOCH_MILLIS_FUNCTION}(`occurred_at`) AS `ms` FROM `cases`"
    ).collect() as results:
        flink = {row[0]: row[1] for row in results}

    # THEN every instant is Python's
    assert flink == {text: python_epoch_millis(text) for text in TIMESTAMPS}
