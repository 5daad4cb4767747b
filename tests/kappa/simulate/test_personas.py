"""Personas and session placement: exact shares, sessions inside the span, quiet time after an abandonment."""

from __future__ import annotations

import random
from collections import Counter
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from kappa.simulate.personas import allocate_personas, place_sessions, session_kinds

_kinds = st.lists(st.sampled_from(["browse", "buy", "abandon"]), min_size=1, max_size=6)


def test_personas_are_allocated_in_exact_shares() -> None:
    assert Counter(allocate_personas(random.Random(1), 1000)) == {
        "browser": 500,
        "buyer": 300,
        "abandoner": 150,
        "returning": 50,
    }
    assert len(allocate_personas(random.Random(1), 7)) == 7


def test_a_returning_customer_never_buys_after_abandoning() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        kinds = session_kinds(rng, "returning")
        assert 2 <= len(kinds) <= 5
        if "abandon" in kinds:
            assert "buy" not in kinds[kinds.index("abandon") :]


@settings(max_examples=300, deadline=None)
@given(
    kinds=_kinds,
    seed=st.integers(0, 2**32),
    span_s=st.integers(10, 3 * 86400),
    abandon_after_min=st.floats(0.5, 120),
    time_scale=st.sampled_from([0.5, 1.0, 30.0, 1000.0]),
)
def test_sessions_fit_the_span_never_overlap_and_leave_room_after_an_abandonment(
    kinds: list[str], seed: int, span_s: int, abandon_after_min: float, time_scale: float
) -> None:
    # GIVEN any mix of session kinds, spans, abandonment windows and time scales
    start_ms, end_ms = 1_767_225_600_000, 1_767_225_600_000 + span_s * 1000
    abandon_after_ms = round(abandon_after_min * 60_000)
    # WHEN the sessions are placed
    slots = place_sessions(
        random.Random(seed),
        kinds,
        user=1,
        start_ms=start_ms,
        end_ms=end_ms,
        abandon_after_ms=abandon_after_ms,
        time_scale=time_scale,
    )
    # THEN at least the first session is kept, in order, all inside the span
    assert 1 <= len(slots) <= len(kinds)
    assert [slot.kind for slot in slots] == kinds[: len(slots)]
    for slot in slots:
        assert start_ms <= slot.start_ms
        assert slot.budget_ms >= 1
        assert slot.start_ms + slot.budget_ms < end_ms
    # AND a session ends before the next one starts; after an abandonment, more than abandon_after later
    for current, following in pairwise(slots):
        quiet = following.start_ms - (current.start_ms + current.budget_ms)
        assert quiet > (abandon_after_ms if current.kind == "abandon" else 0)
