"""The Java insight functions (dev.kappa.flink.insights) against the Python reference, run by Flink SQL.

`session_insight`, `recommendation_insights` and `abandoned_cart_insights` replaced Python UDFs whose rules stay
in flink_app/rules as the documented reference. Here both see the same MANY random rows — identifiers of every
allowed character (letters, digits and `_ . : @ | -`), amounts, currencies or none, order amounts in any order;
triggers with neighbors (ties, scores at min_support, the trigger product), cart histories (same-millisecond
changes of every kind, abandoned carts, changes after the trigger), model ages from 0 to thousands of half lives;
cart windows (changes in any order, several carts abandoned in one text, quantities of 0 and below, prices at the
float limits, empty fields and records) — and every insight must be the same text byte for byte, `emitted_at`
aside (the wall clock: only its format is checked), a table function's insights of one row in the same order.
The settings and the job version reach the Java functions as the job's SQL passes them (string literals).
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import orjson
import pytest

from flink_app.java_functions import register_java_functions
from flink_app.rules.insights import abandoned_cart_insights, session_insight
from flink_app.rules.sessions import SessionAggregates
from flink_app.settings import AnalyticsSettings, RecommendationSettings
from flink_app.sql import string_literal
from flink_app.sql.carts import ABANDONED_CART_INSIGHTS_FUNCTION, abandoned_cart_options
from flink_app.sql.recommendations import RECOMMENDATION_INSIGHTS_FUNCTION, recommendation_options
from tests.flink_app.java_insight_goldens import (
    ABANDON_AFTER_MINUTES,
    RECOMMENDATION_OPTIONS,
    python_recommendation,
    random_cart_windows,
    random_triggers,
)

pytestmark = [pytest.mark.slow, pytest.mark.flink]

ID_CHARACTERS = string.ascii_letters + string.digits + "_.:@|-"
JOB_VERSION = "v'1"
"""With a quote: the SQL literal must carry it (the settings allow none, the function must not care)."""
EMITTED_AT = re.compile(r'"emitted_at":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)",')
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def an_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(ID_CHARACTERS) for _ in range(rng.randint(0, 12)))


def without_emitted_at(line: str) -> str:
    match = EMITTED_AT.search(line)
    assert match, f"no emitted_at in {line}"
    return EMITTED_AT.sub("", line, count=1)


def table_environment(jar: Path):
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("table.local-time-zone", "UTC")
    config.set("parallelism.default", "1")
    config.set("pipeline.jars", jar.as_uri())
    register_java_functions(t_env)
    return t_env


def collect(t_env, query: str) -> list[str]:
    with t_env.execute_sql(query).collect() as results:
        return [row[0] for row in results]


def random_sessions(rng: random.Random, count: int) -> list[tuple]:
    currencies = ["EUR", "USD", "GBP", "JPY", "CHF"]
    sessions = []
    for _ in range(count):
        started = START_MS + rng.randint(-(10**11), 10**11)
        orders = [
            f"{rng.choice(currencies)},{rng.choice((0, 1, 5, 99, 1999, rng.randint(-500, 10**9)))}"
            for _ in range(rng.choice((0, 0, 1, 1, 2, 5)))
        ]
        sessions.append(
            (
                an_id(rng, "u"),
                an_id(rng, "s"),
                started,
                started + rng.choice((0, 1, 999, 1000, 60_000, rng.randint(0, 10**8))),
                *[rng.randint(0, 200) for _ in range(5)],
                rng.choice((0, 5, 10, 1999, 2000, rng.randint(0, 10**9))),
                rng.choice((None, *currencies)),
                rng.randint(0, 5),
                ";".join(orders) if orders else rng.choice((None, "")),
            )
        )
    return sessions


def test_session_insight_in_java_is_the_python_reference_byte_for_byte(
    flink_environment, connector_jar
) -> None:
    from pyflink.table import DataTypes

    # GIVEN 3,000 random sessions
    rng = random.Random(15)
    sessions = random_sessions(rng, 3000)
    t_env = table_environment(connector_jar)
    columns = [
        ("user_id", DataTypes.STRING()),
        ("session_id", DataTypes.STRING()),
        *[
            (name, DataTypes.BIGINT())
            for name in (
                "started_at_ms",
                "ended_at_ms",
                "events",
                "page_views",
                "product_views",
                "searches",
                "cart_adds",
                "cart_value_cents",
            )
        ],
        ("cart_currency", DataTypes.STRING()),
        ("checkouts", DataTypes.BIGINT()),
        ("order_amounts", DataTypes.STRING()),
    ]
    table = t_env.from_elements(sessions, DataTypes.ROW([DataTypes.FIELD(n, t) for n, t in columns]))
    t_env.create_temporary_view("random_sessions", table)
    # WHEN the Java function writes their insights through Flink SQL
    names = ", ".join(f"`{name}`" for name, _ in columns)
    java = collect(
        t_env, f"SELECT session_insight({string_literal(JOB_VERSION)}, {names}) FROM `random_sessions`"
    )
    # THEN each is the Python reference's text (what the Python UDF wrote), emitted_at aside
    python = [
        orjson.dumps(session_insight(SessionAggregates(*row), job_version=JOB_VERSION)).decode()
        for row in sessions
    ]
    assert len(java) == len(sessions)
    assert sorted(map(without_emitted_at, java)) == sorted(map(without_emitted_at, python))


@pytest.mark.parametrize(
    "options", RECOMMENDATION_OPTIONS, ids=lambda o: f"top{o['top_k']}-min{o['min_support']}"
)
def test_recommendation_insights_in_java_are_the_python_references_byte_for_byte(
    flink_environment, connector_jar, options
) -> None:
    from pyflink.table import DataTypes

    # GIVEN 2,000 random triggers, each meeting a model version
    rng = random.Random(options["top_k"])
    triggers = random_triggers(rng, 2000)
    t_env = table_environment(connector_jar)
    string_columns = ("user_id", "session_id", "event_id", "event_type", "product_id")
    columns = [
        *[(name, DataTypes.STRING()) for name in string_columns],
        ("ts_ms", DataTypes.BIGINT()),
        ("cart_history", DataTypes.STRING()),
        ("neighbors", DataTypes.STRING()),
        ("version_ms", DataTypes.BIGINT()),
    ]
    table = t_env.from_elements(triggers, DataTypes.ROW([DataTypes.FIELD(n, t) for n, t in columns]))
    t_env.create_temporary_view("random_triggers", table)
    analytics = AnalyticsSettings(
        abandon_after_minutes=options["abandon_after_ms"] // 60_000,
        recommendation=RecommendationSettings(
            top_k=options["top_k"],
            min_support=options["min_support"],
            half_life_minutes=options["half_life_ms"] // 60_000,
        ),
    )
    # WHEN the Java table function writes their insights through Flink SQL, with the job's literal settings
    names = ", ".join(f"t.`{name}`" for name, _ in columns)
    java = collect(
        t_env,
        f"""SELECT r.`insight` FROM `random_triggers` AS t,
LATERAL TABLE({RECOMMENDATION_INSIGHTS_FUNCTION}({recommendation_options(analytics, job_version=JOB_VERSION)},
  {names})) AS r(`insight`)""",
    )
    # THEN they are the Python reference's insights (what the Python UDF wrote), emitted_at aside
    python = [
        orjson.dumps(insight).decode()
        for insight in (python_recommendation(row, options, JOB_VERSION) for row in triggers)
        if insight is not None
    ]
    assert len(python) > 500, "the random triggers must produce insights"
    assert sorted(map(without_emitted_at, java)) == sorted(map(without_emitted_at, python))


@pytest.mark.parametrize("minutes", ABANDON_AFTER_MINUTES, ids=lambda m: f"after{m}min")
def test_abandoned_cart_insights_in_java_are_the_python_references_byte_for_byte_in_order(
    flink_environment, connector_jar, minutes
) -> None:
    from pyflink.table import DataTypes

    # GIVEN 2,000 random cart windows (see random_cart_windows: beyond what one session window holds)
    rng = random.Random(minutes)
    windows = random_cart_windows(rng, 2000, abandon_after_ms=minutes * 60_000)
    rows = [(index, user, changes) for index, (user, changes) in enumerate(windows)]
    t_env = table_environment(connector_jar)
    columns = [("idx", DataTypes.INT()), ("user_id", DataTypes.STRING()), ("changes", DataTypes.STRING())]
    table = t_env.from_elements(rows, DataTypes.ROW([DataTypes.FIELD(n, t) for n, t in columns]))
    t_env.create_temporary_view("random_cart_windows", table)
    analytics = AnalyticsSettings(abandon_after_minutes=minutes)
    # WHEN the Java table function writes their insights through Flink SQL, with the job's literal settings
    options = abandoned_cart_options(analytics, job_version=JOB_VERSION)
    with t_env.execute_sql(
        f"""SELECT w.`idx`, a.`insight` FROM `random_cart_windows` AS w,
LATERAL TABLE({ABANDONED_CART_INSIGHTS_FUNCTION}({options}, w.`user_id`, w.`changes`)) AS a(`insight`)"""
    ).collect() as results:
        java: dict[int, list[str]] = {}
        for index, insight in results:
            java.setdefault(index, []).append(without_emitted_at(insight))
    # THEN each window's insights are the Python reference's (what the Python UDF wrote), in the same order
    python = {
        index: [
            without_emitted_at(orjson.dumps(insight).decode())
            for insight in abandoned_cart_insights(
                user, changes, abandon_after_minutes=minutes, job_version=JOB_VERSION
            )
        ]
        for index, user, changes in rows
    }
    python = {index: insights for index, insights in python.items() if insights}
    assert sum(map(len, python.values())) > 1000, "the random windows must produce insights"
    assert sum(len(insights) > 1 for insights in python.values()) > 100, "and several per window"
    assert java == python
