"""The generated log: determinism, validity, delivery quirks (late and duplicate deliveries) and session shape."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from events import EventValidator, to_epoch_millis
from kappa.simulate import SimulationConfig, simulate
from tests.kappa.simulate.conftest import DEFAULT, Run, generate

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def test_same_options_give_byte_identical_events_and_truth(default_run: Run) -> None:
    # GIVEN the default run already generated once
    # WHEN the same options are generated again from scratch
    again = generate(DEFAULT)
    # THEN the NDJSON and the truth file are byte for byte the same
    assert again.ndjson == default_run.ndjson
    assert again.truth.to_json() == default_run.truth.to_json()


def test_a_simulation_can_be_iterated_twice_with_the_same_result() -> None:
    simulation = simulate(SimulationConfig(users=50, duration_seconds=600))
    first = list(simulation.events())
    truth = simulation.truth
    assert list(simulation.events()) == first
    assert simulation.truth == truth


def test_a_different_seed_gives_different_traffic(default_run: Run) -> None:
    other = generate(dataclasses.replace(DEFAULT, seed=2))
    assert other.ndjson != default_run.ndjson
    assert other.truth.affinities != default_run.truth.affinities
    assert other.truth.abandoned_carts != default_run.truth.abandoned_carts


def test_a_different_start_only_shifts_event_time() -> None:
    # GIVEN two runs that differ only in their start (as `--start now` does)
    config = SimulationConfig(users=100, duration_seconds=1800)
    shift = timedelta(days=300, hours=5, milliseconds=123)
    base = list(simulate(config).events())
    shifted = list(simulate(dataclasses.replace(config, start=config.start + shift)).events())
    # THEN the same shoppers do the same things, each exactly `shift` later
    assert [(e["event_type"], e["user_id"], e.get("product")) for e in base] == [
        (e["event_type"], e["user_id"], e.get("product")) for e in shifted
    ]
    delta_ms = shift // timedelta(milliseconds=1)
    assert all(
        to_epoch_millis(b["occurred_at"]) + delta_ms == to_epoch_millis(s["occurred_at"])
        for b, s in zip(base, shifted, strict=True)
    )


def test_every_event_is_valid_against_the_contract(any_run: Run) -> None:
    validator = EventValidator()
    invalid = {}
    for event in any_run.events:
        errors = validator.validate(event, now=FAR_FUTURE)
        if errors:
            invalid[event["event_id"]] = [str(error) for error in errors]
    assert invalid == {}


def test_ndjson_is_one_compact_object_per_line(default_run: Run) -> None:
    assert default_run.ndjson.endswith(b"\n")
    lines = default_run.ndjson.split(b"\n")[:-1]
    assert len(lines) == default_run.truth.events == len(default_run.events)
    assert all(line.startswith(b'{"event_id":') and line.endswith(b"}") for line in lines)


def test_every_event_type_occurs(default_run: Run) -> None:
    counts = Counter(event["event_type"] for event in default_run.events)
    assert set(counts) == {
        "page_view",
        "product_view",
        "search",
        "add_to_cart",
        "remove_from_cart",
        "checkout_started",
        "purchase",
    }
    assert counts["product_view"] > counts["add_to_cart"] > counts["purchase"] > counts["remove_from_cart"]


def test_duplicates_repeat_an_event_exactly_and_match_the_truth(any_run: Run) -> None:
    # GIVEN the delivered lines grouped by event_id
    by_id: dict[str, list[bytes]] = defaultdict(list)
    for line in any_run.ndjson.splitlines():
        by_id[line[len(b'{"event_id":"') : line.index(b'","')].decode()].append(line)
    repeated = {event_id: lines for event_id, lines in by_id.items() if len(lines) > 1}
    # THEN each duplicate is a byte-identical second delivery, and the truth counts them
    assert all(len(lines) == 2 and lines[0] == lines[1] for lines in repeated.values())
    assert len(repeated) == any_run.truth.duplicates
    assert any_run.truth.events == len(any_run.events)


def test_duplicate_share_is_close_to_the_requested_rate(statistics_run: Run) -> None:
    share = statistics_run.truth.duplicates / len(statistics_run.unique_events)
    assert abs(share - statistics_run.config.duplicate_rate) < 0.002


def test_out_of_order_deliveries_match_the_truth_and_are_bounded(any_run: Run) -> None:
    # GIVEN the log in delivery order
    latest = -1
    late = 0
    worst_ms = 0
    for event in any_run.events:
        occurred = to_epoch_millis(event["occurred_at"])
        if occurred < latest:
            late += 1
            worst_ms = max(worst_ms, latest - occurred)
        latest = max(latest, occurred)
    # THEN the number of events that arrive after a later event is the truth's, and none is later than the bound
    assert late == any_run.truth.out_of_order
    assert late > 0
    assert worst_ms <= any_run.config.max_disorder_seconds * 1000


def test_no_late_deliveries_when_disorder_is_off() -> None:
    run = generate(SimulationConfig(users=200, duration_seconds=1800, max_disorder_seconds=0))
    occurred = [to_epoch_millis(e["occurred_at"]) for e in run.events]
    assert occurred == sorted(occurred)
    assert run.truth.out_of_order == 0


def test_events_lie_inside_the_span_and_each_user_acts_in_strictly_increasing_time(any_run: Run) -> None:
    start_ms, end_ms = any_run.config.start_ms, any_run.config.end_ms
    per_user: dict[str, list[int]] = defaultdict(list)
    for event in any_run.unique_events:
        per_user[event["user_id"]].append(to_epoch_millis(event["occurred_at"]))
    for user, times in per_user.items():
        times.sort()
        assert start_ms <= times[0], user
        assert times[-1] < end_ms, user
        assert all(a < b for a, b in pairwise(times)), user


def test_sessions_belong_to_one_user_and_returning_customers_come_back(default_run: Run) -> None:
    owner: dict[str, str] = {}
    sessions_per_user: dict[str, set[str]] = defaultdict(set)
    for event in default_run.events:
        assert owner.setdefault(event["session_id"], event["user_id"]) == event["user_id"]
        sessions_per_user[event["user_id"]].add(event["session_id"])
    assert len(sessions_per_user) == default_run.config.users
    assert sum(1 for sessions in sessions_per_user.values() if len(sessions) >= 2) >= 40


def test_personas_follow_their_shares_and_purchases_are_counted(default_run: Run) -> None:
    assert default_run.truth.personas == {"browser": 500, "buyer": 300, "abandoner": 150, "returning": 50}
    purchases = sum(1 for e in default_run.unique_events if e["event_type"] == "purchase")
    assert purchases == default_run.truth.purchases


def test_think_times_range_from_seconds_to_a_couple_of_minutes(default_run: Run) -> None:
    per_session: dict[str, list[int]] = defaultdict(list)
    for event in default_run.unique_events:
        per_session[event["session_id"]].append(to_epoch_millis(event["occurred_at"]))
    gaps = sorted(b - a for times in per_session.values() for a, b in pairwise(sorted(times)))
    # (a session that would run past the end of the span or into its next session is squeezed: rare)
    assert gaps[len(gaps) // 1000] >= 2_000
    assert gaps[-1] <= 150_000
    assert 8_000 <= gaps[len(gaps) // 2] <= 40_000


def test_time_scale_makes_shoppers_faster(runs: dict[str, Run]) -> None:
    demo = runs["live-demo"]  # time_scale 30
    per_session: dict[str, list[int]] = defaultdict(list)
    for event in demo.unique_events:
        per_session[event["session_id"]].append(to_epoch_millis(event["occurred_at"]))
    longest = max(max(times) - min(times) for times in per_session.values())
    assert longest <= 30 * 60_000 / 30


def test_purchases_carry_catalogue_prices_and_totals_to_the_cent(default_run: Run) -> None:
    prices = {p.product_id: p.price for p in default_run.simulation.catalogue.products}
    for event in default_run.unique_events:
        if event["event_type"] == "purchase":
            order = event["order"]
            assert order["currency"] == "EUR"
            assert all(item["price"] == prices[item["product_id"]] for item in order["items"])
            assert order["total"] == round(sum(i["quantity"] * i["price"] for i in order["items"]), 2)
        elif "product" in event:
            assert event["product"]["price"] == prices[event["product"]["product_id"]]
