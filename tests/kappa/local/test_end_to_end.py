"""End to end with every real part: API → ingest → raw stream → archive → Flink job → fan-out → webhooks.

The first run plays `scenario.first_run` and checks the signed webhooks it must produce (an abandoned
cart, a recommendation from affine purchases, a trending product), that invalid events were reported to
the producer, and that stopping leaves no process or port behind. The second run starts again on the
same data directory and checks that nothing is delivered twice and nothing is lost (an event accepted
just before the first run stopped still becomes its insight).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kappa.local.insight_publisher import committed_files, read_insights
from kappa.local.ports import is_listening
from kappa.local.receiver import Delivery, WebhookReceiver
from kappa.local.runtime import LocalRuntime, RuntimeOptions
from tests.kappa.local import scenario
from tests.kappa.local.runtime_helpers import descendants, now_utc, post_events, register, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.flink]
JOB_MAIN = Path(__file__).resolve().parents[3] / "flink_app" / "main.py"
STEP_PAUSE_SECONDS = 0.8
"""Longer than the Firehose stand-in's buffer, so each step becomes its own archive file."""


@dataclass
class FirstRun:
    data_dir: Path
    receiver: WebhookReceiver
    builder: scenario.ScenarioBuilder
    answers: list[httpx.Response] = field(default_factory=list)
    empty_batch: httpx.Response | None = None
    processes_before: set[int] = field(default_factory=set)
    processes_after: set[int] = field(default_factory=set)
    ports: list[int] = field(default_factory=list)
    delivered_ids: set[str] = field(default_factory=set)
    stats: Any = None
    """The runtime's figures when the scenario had played (shown when an assertion fails)."""


def options(data_dir: Path) -> RuntimeOptions:
    return RuntimeOptions(data_dir=data_dir, job_property_overrides=scenario.TEST_JOB_PROPERTIES)


def play(info: Any, steps: list[scenario.Step]) -> list[httpx.Response]:
    answers = []
    for step in steps:
        answers.append(post_events(info, step.events))
        time.sleep(STEP_PAUSE_SECONDS)
    return answers


def found(receiver: WebhookReceiver, kind: str, **where: Any) -> list[dict[str, Any]]:
    matches = []
    for delivery in receiver.verified():
        insight = delivery.insight or {}
        if insight.get("type") != kind:
            continue
        if all(_lookup(insight, key) == value for key, value in where.items()):
            matches.append(insight)
    return matches


def _lookup(insight: dict[str, Any], key: str) -> Any:
    value: Any = insight
    for part in key.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not JOB_MAIN.exists():
        pytest.skip("the Flink job (flink_app/main.py) is not in this checkout")
    run = FirstRun(
        data_dir=tmp_path_factory.mktemp("e2e"),
        receiver=WebhookReceiver().start(),
        builder=scenario.ScenarioBuilder(now_utc().replace(second=0, microsecond=0) - timedelta(minutes=20)),
    )
    run.processes_before = descendants()
    try:
        with LocalRuntime(options(run.data_dir)) as runtime:
            info = runtime.info
            register(info, run.receiver)
            run.empty_batch = post_events(info, [])
            run.answers = play(info, scenario.first_run(run.builder))
            wait_for(lambda: _scenario_delivered(run.receiver), timeout=90)
            run.stats = runtime.stats()
            run.delivered_ids = {d.insight["insight_id"] for d in run.receiver.verified()}
            play(info, [scenario.late_cart(run.builder)])
            run.ports = [runtime.front.port, int(runtime.aws.endpoint_url.rsplit(":", 1)[1])]
        run.processes_after = descendants()
        yield run
    finally:
        run.receiver.stop()


def _scenario_delivered(receiver: WebhookReceiver) -> bool:
    return bool(
        found(receiver, "cart_abandoned", user_id="abandoner")
        and found(receiver, "product_recommendation", user_id="shopper")
        and found(receiver, "trending_product", payload__product_id=scenario.TREND_PRODUCT)
    )


def test_scenario_produces_signed_webhooks_and_reports_rejections(first_run: FirstRun) -> None:
    receiver = first_run.receiver
    # THEN the abandoned cart arrived, with what was in it
    carts = found(receiver, "cart_abandoned", user_id="abandoner")
    assert len(carts) == 1, f"expected one abandoned cart webhook; the runtime saw {first_run.stats}"
    (cart,) = carts
    assert [item["product_id"] for item in cart["payload"]["items"]] == [scenario.ABANDONED_PRODUCT]
    assert cart["payload"]["currency"] == "EUR"
    # AND the shopper who viewed the kettle was recommended the teapot bought with it twice
    kettle, teapot = scenario.AFFINE_PRODUCTS
    recommendations = found(
        receiver, "product_recommendation", user_id="shopper", payload__trigger_product_id=kettle
    )
    assert recommendations
    assert teapot in [r["product_id"] for r in recommendations[0]["payload"]["recommendations"]]
    # AND the flooded product trended
    assert found(receiver, "trending_product", payload__product_id=scenario.TREND_PRODUCT), first_run.stats
    # AND every delivery was signed with the secret from registration, none twice
    assert receiver.deliveries
    assert all(d.verified for d in receiver.deliveries), [
        d.error for d in receiver.deliveries if not d.verified
    ]
    assert not [d for d in receiver.deliveries if d.duplicate]
    # AND the producer was told which events were rejected and why; the gateway refused an empty batch
    warm_up = first_run.answers[0]
    assert warm_up.status_code == 202
    body = warm_up.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    rejected = [r for r in body["results"] if r["status"] == "rejected"]
    assert [r["index"] for r in rejected] == [2, 3]
    assert all(r["error"] for r in rejected)
    assert all(answer.status_code == 202 for answer in first_run.answers[1:])
    assert first_run.empty_batch is not None
    assert first_run.empty_batch.status_code == 400


def test_stop_leaves_no_process_or_port_behind(first_run: FirstRun) -> None:
    assert first_run.processes_after <= first_run.processes_before
    assert first_run.ports
    assert not any(is_listening(port) for port in first_run.ports)


def test_restart_on_the_same_data_dir_neither_redelivers_nor_loses(first_run: FirstRun) -> None:
    receiver = first_run.receiver
    before = len(receiver.deliveries)
    with LocalRuntime(options(first_run.data_dir)) as runtime:
        info = runtime.info
        # GIVEN the job resumed from its checkpoint and the subscription survived (moto started empty)
        assert info.restored_from is not None, (
            f"the job did not resume from a checkpoint in {first_run.data_dir / 'flink' / 'checkpoints'} "
            "(the runtime's config.yaml sets execution.checkpointing.dir; a job that overrides it cannot resume)"
        )
        listed = httpx.get(
            f"{info.api_url}/v1/webhooks", headers={"x-api-key": info.admin_key.value}, timeout=30
        )
        assert [item["url"] for item in listed.json()["items"]] == [receiver.url]
        # WHEN event time moves on
        play(info, scenario.second_run(first_run.builder))
        # THEN the cart accepted just before the first run stopped is reported abandoned
        assert wait_for(lambda: found(receiver, "cart_abandoned", user_id="late-abandoner"), timeout=90)
        # AND every insight the job committed reaches the receiver (nothing lost) ...
        assert wait_for(lambda: _committed_ids(first_run.data_dir) <= _delivered_ids(receiver), timeout=60)
        publisher = runtime.publisher
        assert publisher is not None
        assert wait_for(lambda: publisher.pending_count == 0, timeout=30)
    # ... and nothing delivered before the restart was delivered again
    again = [
        d
        for d in receiver.deliveries[before:]
        if d.insight and d.insight["insight_id"] in first_run.delivered_ids
    ]
    assert again == []
    ids = [d.insight["insight_id"] for d in receiver.verified()]
    assert len(ids) == len(set(ids))
    assert all(d.verified and not d.duplicate for d in receiver.deliveries)


def _committed_ids(data_dir: Path) -> set[str]:
    return {
        i["insight_id"] for path in committed_files(data_dir / "insights") for i in read_insights(path)[0]
    }


def _delivered_ids(receiver: WebhookReceiver) -> set[str]:
    deliveries: list[Delivery] = receiver.verified()
    return {d.insight["insight_id"] for d in deliveries if d.insight}
