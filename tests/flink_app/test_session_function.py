"""The session summaries' Java function on the mini-cluster: Flink's session window semantics through the whole
job (touching windows merge, a longer silence splits, an out-of-order event bridges two open sessions)."""

from __future__ import annotations

import json

import pytest

from tests.flink_app.jobs import run_job

pytestmark = [pytest.mark.slow, pytest.mark.flink]


def view(event_id: str, user: str, at: str, event_type: str = "page_view") -> dict:
    event = {"event_id": event_id, "event_type": event_type, "occurred_at": f"2026-01-01T{at}Z", "user_id": user,
             "session_id": f"s-{user}"}  # fmt: skip
    if event_type == "page_view":
        event["page"] = {"url": "https://shop.example.com/"}
    else:
        event["search"] = {"query": "socks"}
    return event


@pytest.fixture(scope="module")
def sessions(flink_environment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    # GIVEN a 1-minute session gap and 2 minutes of out-of-orderness (the bridging event is not late)
    directory = tmp_path_factory.mktemp("sessions")
    events = [
        view("a-1", "u-bridge", "00:00:00.000"),
        view("a-2", "u-bridge", "00:01:30.000"),  # 90 s after a-1: a second session, for now
        view("b-1", "u-touch", "00:00:00.000"),
        view("b-2", "u-touch", "00:01:00.000"),  # exactly the gap after b-1: touching windows merge
        view("c-1", "u-split", "00:00:00.000"),
        view("c-2", "u-split", "00:01:00.001"),  # one ms more than the gap: a new session
        view(
            "a-3", "u-bridge", "00:00:45.000", "search"
        ),  # arrives late, within the gap of both: one session
    ]
    (directory / "events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events))
    # WHEN the job runs over them
    run = run_job(
        directory / "events.ndjson",
        directory / "out",
        analytics={"session.gap_minutes": "1"},
        job={"watermark.out_of_orderness_ms": "120000"},
    )
    by_user: dict[str, list[dict]] = {}
    for insight in run.of_type("session_summary"):
        by_user.setdefault(insight["user_id"], []).append(insight["payload"])
    return {user: sorted(found, key=lambda p: p["started_at"]) for user, found in by_user.items()}


def test_an_out_of_order_event_bridges_two_open_sessions_into_one(sessions) -> None:
    [bridged] = sessions["u-bridge"]
    assert (bridged["started_at"], bridged["ended_at"]) == (
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:01:30.000Z",
    )
    assert (bridged["events"], bridged["page_views"], bridged["searches"]) == (3, 2, 1)


def test_an_event_exactly_a_gap_after_the_last_joins_the_session(sessions) -> None:
    [touching] = sessions["u-touch"]
    assert touching["events"] == 2
    assert touching["duration_seconds"] == 60.0


def test_a_silence_longer_than_the_gap_starts_a_new_session(sessions) -> None:
    assert [(p["started_at"], p["events"]) for p in sessions["u-split"]] == [
        ("2026-01-01T00:00:00.000Z", 1),
        ("2026-01-01T00:01:00.001Z", 1),
    ]
