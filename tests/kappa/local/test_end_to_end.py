"""End to end with every real part: API → ingest → raw stream → archive → Flink job → fan-out → webhooks.

The first run plays `scenario.first_run` and checks the signed webhooks it must produce (an abandoned
cart, a recommendation from affine purchases, a trending product), that invalid events were reported to
the producer, and that stopping leaves no process or port behind. The second run starts again on the
same data directory and checks that nothing is delivered twice and nothing is lost (an event accepted
just before the first run stopped still becomes its insight). The third run follows a Kappa change: v2
(a longer abandonment timeout) is replayed over the archive, cut over to, and run by the runtime; nothing
delivered before is delivered again, although v2 recomputes it, and new traffic is delivered as v2's.
Each phase runs once per module (fixtures), in that order, on the same data directory and receiver.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kappa.local.active_version import ActiveVersion
from kappa.local.insight_publisher import committed_files, read_insights
from kappa.local.paths import DataDir
from kappa.local.ports import is_listening
from kappa.local.receiver import Delivery, WebhookReceiver
from kappa.local.runtime import LocalRuntime, RuntimeInfo, RuntimeOptions
from kappa.replay.local import LocalReplay
from tests.kappa.local import scenario
from tests.kappa.local.runtime_helpers import descendants, now_utc, post_events, register, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.flink]
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


@dataclass
class SecondRun:
    before: int
    """Deliveries the receiver had when the second run started."""
    info: RuntimeInfo | None = None
    subscriptions: list[str] = field(default_factory=list)
    late_cart_delivered: bool = False
    nothing_lost: bool = False
    drained: bool = False


@pytest.fixture(scope="module")
def second_run(first_run: FirstRun) -> SecondRun:
    """A restart on the same data directory; event time moves on."""
    receiver = first_run.receiver
    run = SecondRun(before=len(receiver.deliveries))
    with LocalRuntime(options(first_run.data_dir)) as runtime:
        run.info = info = runtime.info
        listed = httpx.get(
            f"{info.api_url}/v1/webhooks", headers={"x-api-key": info.admin_key.value}, timeout=30
        )
        run.subscriptions = [item["url"] for item in listed.json()["items"]]
        play(info, scenario.second_run(first_run.builder))
        run.late_cart_delivered = wait_for(
            lambda: bool(found(receiver, "cart_abandoned", user_id="late-abandoner")), timeout=90
        )
        run.nothing_lost = wait_for(
            lambda: _committed_ids(first_run.data_dir / "insights") <= _delivered_ids(receiver), timeout=60
        )
        publisher = runtime.publisher
        assert publisher is not None
        run.drained = wait_for(lambda: publisher.pending_count == 0, timeout=30)
    return run


def test_restart_on_the_same_data_dir_neither_redelivers_nor_loses(
    first_run: FirstRun, second_run: SecondRun
) -> None:
    receiver = first_run.receiver
    # GIVEN the job resumed from its checkpoint and the subscription survived (moto started empty)
    assert second_run.info is not None
    assert second_run.info.restored_from is not None, (
        f"the job did not resume from a checkpoint in {first_run.data_dir / 'flink' / 'checkpoints'} "
        "(the runtime sets the job's job.checkpoint.dir there; a job that checkpoints elsewhere cannot resume)"
    )
    assert second_run.subscriptions == [receiver.url]
    # WHEN event time moved on, THEN the cart accepted just before the first run stopped is reported abandoned
    assert second_run.late_cart_delivered
    # AND every insight the job committed reached the receiver (nothing lost) ...
    assert second_run.nothing_lost, _committed_ids(first_run.data_dir / "insights") - _delivered_ids(receiver)
    assert second_run.drained
    # ... and nothing delivered before the restart was delivered again
    again = [
        d
        for d in receiver.deliveries[second_run.before :]
        if d.insight and d.insight["insight_id"] in first_run.delivered_ids
    ]
    assert again == []
    ids = [d.insight["insight_id"] for d in receiver.verified()]
    assert len(ids) == len(set(ids))
    assert all(d.verified and not d.duplicate for d in receiver.deliveries)


@dataclass
class CutoverRun:
    delivered_before: set[str]
    """Insight ids delivered by v1 (both earlier runs)."""
    deliveries_before: int
    forgotten_done_ids: set[str]
    """Done ids removed before the start, as a crash between a delivery and its record would lose them."""
    active: ActiveVersion
    info: RuntimeInfo | None = None
    properties: dict[str, dict[str, str]] = field(default_factory=dict)
    new_cart_delivered: bool = False
    drained: bool = False
    recomputed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Insights v1 delivered that v2's job computed again in the runtime (id → v2's insight)."""
    publisher_skipped: int = 0
    fanout_duplicates_skipped: int = 0
    stats: Any = None


@pytest.fixture(scope="module")
def cutover_run(first_run: FirstRun, second_run: SecondRun) -> CutoverRun:
    """Replay v2 with a 2-minute abandonment timeout, cut over, run the runtime on v2 with new traffic."""
    data = DataDir.at(first_run.data_dir)
    receiver = first_run.receiver
    replay = LocalReplay(data.root)
    quiet = lambda _message: None  # noqa: E731
    replay.run(
        "v2",
        overrides={"analytics": {"abandonment.after_minutes": str(scenario.V2_ABANDON_AFTER_MINUTES)}},
        progress=quiet,
    )
    # A crash right after the fan-out delivered, before the publisher recorded it, loses the newest done ids:
    # forget every metrics id (v2 recomputes each metrics window it sees with the same id), so the fan-out's
    # delivery log, not the publisher, must stop those from being delivered again.
    done = data.insights_done_ids.read_text().splitlines()
    forgotten = {line for line in done if line.startswith("metrics:")}
    data.insights_done_ids.write_text("".join(f"{line}\n" for line in done if line not in forgotten))
    run = CutoverRun(
        delivered_before=_delivered_ids(receiver),
        deliveries_before=len(receiver.deliveries),
        forgotten_done_ids=forgotten,
        active=replay.cutover("v2", overlap_seconds=3600, progress=quiet),
    )
    fanout_log = data.logs / "lambda-fanout.log"
    log_offset = fanout_log.stat().st_size
    with LocalRuntime(options(data.root)) as runtime:
        run.info = info = runtime.info
        run.properties = {
            g["PropertyGroupId"]: g["PropertyMap"] for g in json.loads(data.flink_properties.read_text())
        }
        play(info, scenario.after_cutover(first_run.builder))
        run.new_cart_delivered = wait_for(
            lambda: bool(found(receiver, "cart_abandoned", user_id="v2-abandoner")), timeout=120
        )
        publisher = runtime.publisher
        assert publisher is not None
        run.drained = wait_for(lambda: publisher.pending_count == 0, timeout=30)
        run.publisher_skipped = publisher.skipped_already_done
        run.stats = runtime.stats()
    run.recomputed = {
        i["insight_id"]: i
        for path in committed_files(info.version.insights)
        for i in read_insights(path)[0]
        if i["insight_id"] in run.delivered_before
    }
    with fanout_log.open("rb") as log:
        log.seek(log_offset)
        run.fanout_duplicates_skipped = _duplicates_skipped(log.read().decode(errors="replace"))
    return run


def test_cutover_runs_the_replayed_version_with_its_properties_in_its_own_folders(
    cutover_run: CutoverRun,
) -> None:
    info = cutover_run.info
    assert info is not None
    assert info.job_version == "v2"
    assert info.insights_stream.endswith("-insights-v2")
    # v1's checkpoints belong to another job graph: v2 starts fresh, in its own folders
    assert info.restored_from is None
    assert info.version.insights == info.data.versions / "v2" / "live" / "insights"
    properties = cutover_run.properties
    assert properties["job"]["job_version"] == "v2"
    assert properties["analytics"]["abandonment.after_minutes"] == str(scenario.V2_ABANDON_AFTER_MINUTES)
    assert properties["sink"]["files.path"] == str(info.version.insights)


def test_cutover_delivers_new_insights_as_v2_and_nothing_twice(
    first_run: FirstRun, cutover_run: CutoverRun
) -> None:
    receiver = first_run.receiver
    after = receiver.deliveries[cutover_run.deliveries_before :]
    # THEN the cart left alone after the cut-over is delivered as v2's, with v2's timeout
    assert cutover_run.new_cart_delivered, cutover_run.stats
    (cart,) = found(receiver, "cart_abandoned", user_id="v2-abandoner")
    assert cart["job_version"] == "v2"
    assert cart["payload"]["abandon_after_minutes"] == scenario.V2_ABANDON_AFTER_MINUTES
    assert cutover_run.drained
    assert {d.insight["job_version"] for d in after if d.insight} == {"v2"}
    # AND v2 recomputed insights v1 had delivered, some differently, yet none reached the receiver again:
    # the cart v1 delivered is v2's too (same id), now abandoned after v2's longer timeout
    (v1_cart,) = found(receiver, "cart_abandoned", user_id="abandoner")
    assert v1_cart["job_version"] != "v2"
    v2_cart = cutover_run.recomputed.get(v1_cart["insight_id"])
    assert v2_cart is not None, (
        f"v2 did not recompute the cart v1 delivered: {sorted(cutover_run.recomputed)}"
    )
    assert v2_cart["payload"]["abandon_after_minutes"] == scenario.V2_ABANDON_AFTER_MINUTES
    assert v2_cart["occurred_at"] > v1_cart["occurred_at"]
    assert not {d.insight["insight_id"] for d in after if d.insight} & cutover_run.delivered_before
    # ... stopped by the publisher's done ids, and where those were lost, by the fan-out's delivery log
    assert cutover_run.publisher_skipped > 0
    relied_on_delivery_log = set(cutover_run.recomputed) & cutover_run.forgotten_done_ids
    assert relied_on_delivery_log
    assert cutover_run.fanout_duplicates_skipped >= len(relied_on_delivery_log)
    # AND across all three runs no webhook-id and no insight id arrived twice
    assert all(d.verified and not d.duplicate for d in receiver.deliveries)
    webhook_ids = [d.webhook_id for d in receiver.deliveries]
    assert len(webhook_ids) == len(set(webhook_ids))
    insight_ids = [d.insight["insight_id"] for d in receiver.verified()]
    assert len(insight_ids) == len(set(insight_ids))


def _duplicates_skipped(fanout_log: str) -> int:
    """Deliveries the fan-out skipped as already delivered, summed over its "Batch settled" log lines."""
    total = 0
    for line in fanout_log.splitlines():
        if '"duplicates_skipped"' not in line:
            continue
        with contextlib.suppress(ValueError, TypeError):
            total += int(json.loads(line[line.index("{") :]).get("duplicates_skipped", 0))
    return total


def _committed_ids(insights: Path) -> set[str]:
    return {i["insight_id"] for path in committed_files(insights) for i in read_insights(path)[0]}


def _delivered_ids(receiver: WebhookReceiver) -> set[str]:
    deliveries: list[Delivery] = receiver.verified()
    return {d.insight["insight_id"] for d in deliveries if d.insight}
