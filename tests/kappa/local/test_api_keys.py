"""API keys are generated once, kept in the data directory, and throttled per usage plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kappa.local.api_keys import ApiKey, ApiKeyRing, UsagePlanThrottle
from stacks.config import ProducerConfig

PRODUCERS = (ProducerConfig(name="web-store", rate_limit=10, burst_limit=20, quota_per_day=1000),)


def test_keys_are_created_on_first_start_and_reused_after(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    first = ApiKeyRing.load_or_create(path, PRODUCERS)
    second = ApiKeyRing.load_or_create(path, PRODUCERS)
    assert [k.value for k in first.producers] == [k.value for k in second.producers]
    assert first.admin.value == second.admin.value
    assert first.producers[0].name == "web-store"
    assert first.lookup(first.admin.value).scope == "admin"
    assert first.lookup("not-a-key") is None
    assert first.lookup(None) is None
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_new_producer_in_config_gets_a_key_and_existing_keys_stay(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    before = ApiKeyRing.load_or_create(path, PRODUCERS)
    more = (*PRODUCERS, ProducerConfig(name="mobile-app", rate_limit=5, burst_limit=5))
    after = ApiKeyRing.load_or_create(path, more)
    assert [k.name for k in after.producers] == ["web-store", "mobile-app"]
    assert after.producers[0].value == before.producers[0].value


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"nope": 1}))
    with pytest.raises(ValueError, match="delete it to generate new keys"):
        ApiKeyRing.load_or_create(path, PRODUCERS)


def test_throttle_allows_burst_then_steady_rate() -> None:
    key = ApiKey(name="p", id="k1", value="v", scope="producer", rate_limit=2, burst_limit=3)
    throttle = UsagePlanThrottle()
    assert [throttle.allow(key, now=100.0, epoch_day=1) for _ in range(4)] == [True, True, True, False]
    assert throttle.allow(key, now=100.5, epoch_day=1)  # 0.5 s at 2/s refills one token
    assert not throttle.allow(key, now=100.5, epoch_day=1)


def test_daily_quota_is_enforced_per_day() -> None:
    key = ApiKey(
        name="p", id="k1", value="v", scope="producer", rate_limit=1000, burst_limit=1000, quota_per_day=2
    )
    throttle = UsagePlanThrottle()
    assert [throttle.allow(key, now=1.0, epoch_day=7) for _ in range(3)] == [True, True, False]
    assert throttle.allow(key, now=2.0, epoch_day=8)
