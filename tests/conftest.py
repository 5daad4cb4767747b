"""Suite-wide test controls: shared plugins (the Kafka broker) and the wall clock moved (`KAPPA_TEST_CLOCK_SHIFT_DAYS`).

How time is controlled in tests:
- Logic that reads the time takes a clock (`clock=time.time`, `wall_clock=utc_now`, ...) and tests pass a
  fake; moto's SQS model is pointed at the same fake where delays matter (tests/lambdas/fanout/test_service.py).
- Tests never compare against today's date: fixed instants in data, or ones derived from the clock under test.
- To prove it, run the suite with the wall clock moved, e.g. a year ahead in a 60-column terminal:
  `KAPPA_TEST_CLOCK_SHIFT_DAYS=365 COLUMNS=60 make test`. The shift (time-machine, ticking) applies to this
  Python process: `time.time`, `datetime.now` and friends; monotonic clocks and child processes (the JVM,
  a moto server) keep the real time. libfaketime would shift those too but breaks Python's `time.sleep`
  (EINVAL from clock_nanosleep) with libfaketime 0.9.10.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.kafka_fixtures", "tests.connector_jar_fixtures"]

CLOCK_SHIFT_ENV = "KAPPA_TEST_CLOCK_SHIFT_DAYS"


@pytest.fixture(scope="session", autouse=True)
def shifted_wall_clock() -> Iterator[None]:
    days = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
    if not days:
        yield
        return
    import time_machine

    try:
        shift = dt.timedelta(days=float(days))
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_SHIFT_ENV} must be a number of days, not {days!r}") from None
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + shift, tick=True):
        yield
