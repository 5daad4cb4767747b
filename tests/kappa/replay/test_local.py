"""Replay on a local data directory: the real Flink job over the archive, compared version to version."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kappa.replay.aws import ReplayError
from kappa.replay.compare import compare_insights
from kappa.replay.local import LocalReplay
from kappa.simulate import SimulationConfig, simulate, write_ndjson

pytestmark = [pytest.mark.slow, pytest.mark.flink]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose archive holds one simulated hour in Firehose's layout (GZIP NDJSON)."""
    root = tmp_path_factory.mktemp("replay-data")
    partition = root / "archive" / "dt=2026-01-01" / "hour=00"
    partition.mkdir(parents=True)
    simulation = simulate(SimulationConfig(seed=7, users=300, duration_seconds=3600))
    raw = partition / "raw.ndjson"
    with raw.open("wb") as stream:
        write_ndjson(simulation.deliveries(), stream)
    (partition / "kappa-dev-raw-archive-1.ndjson.gz").write_bytes(gzip.compress(raw.read_bytes()))
    raw.unlink()
    return root


@pytest.fixture(scope="module")
def replays(data_dir: Path) -> LocalReplay:
    local = LocalReplay(data_dir)
    quiet = lambda _message: None  # noqa: E731
    local.run("v1", progress=quiet)
    local.run("v1b", progress=quiet)
    local.run("v2", overrides={"analytics": {"abandonment.after_minutes": "45"}}, progress=quiet)
    return local


def test_the_same_code_over_the_same_log_gives_identical_insights(replays: LocalReplay) -> None:
    report = compare_insights(replays.read_insights("v1"), replays.read_insights("v1b"))
    assert report.baseline_count > 100
    assert report.identical, report.summary()


def test_a_longer_abandonment_timeout_changes_only_what_depends_on_carts(replays: LocalReplay) -> None:
    report = compare_insights(replays.read_insights("v1"), replays.read_insights("v2"))
    changed_types = {t for t, d in report.by_type.items() if d.added or d.removed or d.changed}
    # Recommendations leave out what is in the cart, and an abandoned cart empties it: both may change;
    # metrics, sessions, trends and conversion must not.
    assert "cart_abandoned" in changed_types
    assert changed_types <= {"cart_abandoned", "product_recommendation"}
    carts = report.by_type["cart_abandoned"]
    assert carts.changed, "each abandoned cart is now reported 45 minutes after its last change"
    for change in carts.changed:
        assert {"occurred_at", "payload.abandon_after_minutes"} <= set(change.fields)
        assert change.candidate["payload"]["abandon_after_minutes"] == 45


def test_replaying_an_existing_version_or_an_empty_directory_is_refused(
    replays: LocalReplay, tmp_path: Path
) -> None:
    with pytest.raises(ReplayError, match="replayed before"):
        replays.run("v1")
    with pytest.raises(ReplayError, match="no archive"):
        LocalReplay(tmp_path).run("v9")
    with pytest.raises(ReplayError, match="no insights of job version 'v9'"):
        list(replays.read_insights("v9"))
