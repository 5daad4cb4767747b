"""End to end on the Kafka log: API → ingest → raw topic → Flink job → insights topic → MSK mapping → webhooks.

The production topology with MSK (`kappa local up --log kafka`), with the same scripted scenario as the Kinesis
end-to-end test (`test_end_to_end.py`, whose helpers it reuses):
1. the first run must deliver the same signed webhooks (abandoned cart, recommendation, trending product) and
   archive every accepted event from the raw topic;
2. a restart on the same data directory (the broker's storage, every consumer group's offsets and the job's
   checkpoint survive) delivers the cart accepted just before the stop, nothing twice, and archives nothing twice;
3. `kappa replay --from` on the Kafka data directory runs v2 over the raw topic into its own topic, and its insights
   equal those of the Kinesis path's replay of the same events (the archive, read by the files source).
"""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kappa.local.paths import DataDir
from kappa.local.ports import is_listening
from kappa.local.receiver import WebhookReceiver
from kappa.local.runtime import LocalRuntime, RuntimeInfo, RuntimeOptions
from kappa.replay.compare import compare_insights
from kappa.replay.local import LocalReplay
from tests.kappa.local import scenario
from tests.kappa.local.runtime_helpers import descendants, now_utc, register, wait_for
from tests.kappa.local.test_end_to_end import _delivered_ids, _scenario_delivered, found, play

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.flink]


def options(data_dir: Path) -> RuntimeOptions:
    return RuntimeOptions(data_dir=data_dir, job_property_overrides=scenario.TEST_JOB_PROPERTIES, log="kafka")


def archived_event_ids(data: DataDir) -> list[str]:
    import json

    return [
        json.loads(line)["event_id"]
        for path in sorted(data.archive.rglob("*.ndjson.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]


@dataclass
class KafkaRun:
    data_dir: Path
    receiver: WebhookReceiver
    builder: scenario.ScenarioBuilder
    started_at: Any = None
    answers: list[httpx.Response] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    processes_before: set[int] = field(default_factory=set)
    processes_after: set[int] = field(default_factory=set)
    ports: list[int] = field(default_factory=list)
    info: RuntimeInfo | None = None
    delivered_ids: set[str] = field(default_factory=set)
    delivered: bool = False
    stats: Any = None


def accepted(answers: list[httpx.Response], steps: list[scenario.Step]) -> list[str]:
    ids = []
    for answer, step in zip(answers, steps, strict=True):
        results = answer.json().get("results", [])
        ids += [step.events[r["index"]]["event_id"] for r in results if r["status"] == "accepted"]
    return ids


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, connector_jar: Path) -> Any:
    run = KafkaRun(
        data_dir=tmp_path_factory.mktemp("e2e-kafka"),
        receiver=WebhookReceiver().start(),
        builder=scenario.ScenarioBuilder(now_utc().replace(second=0, microsecond=0) - timedelta(minutes=20)),
    )
    run.started_at = now_utc() - timedelta(seconds=5)
    run.processes_before = descendants()
    try:
        with LocalRuntime(options(run.data_dir)) as runtime:
            run.info = info = runtime.info
            register(info, run.receiver)
            steps = scenario.first_run(run.builder)
            run.answers = play(info, steps)
            run.accepted_ids = accepted(run.answers, steps)
            run.delivered = wait_for(lambda: _scenario_delivered(run.receiver), timeout=120)
            run.stats = runtime.stats()
            run.delivered_ids = _delivered_ids(run.receiver)
            late = [scenario.late_cart(run.builder)]
            run.accepted_ids += accepted(play(info, late), late)
            assert runtime.broker is not None
            run.ports = [
                runtime.front.port,
                int(runtime.aws.endpoint_url.rsplit(":", 1)[1]),
                int(runtime.broker.bootstrap_servers.rsplit(":", 1)[1]),
            ]
        run.processes_after = descendants()
        yield run
    finally:
        run.receiver.stop()


def test_kafka_run_produces_the_scenarios_signed_webhooks(first_run: KafkaRun) -> None:
    info = first_run.info
    assert info is not None
    assert info.log == "kafka"
    assert (info.raw_stream, info.insights_stream) == ("kappa-dev-raw-events", "kappa-dev-insights")
    receiver = first_run.receiver
    # THEN the abandoned cart, the recommendation and the trending product arrived, signed, once each
    assert first_run.delivered, f"the runtime saw {first_run.stats}"
    (cart,) = found(receiver, "cart_abandoned", user_id="abandoner")
    assert [item["product_id"] for item in cart["payload"]["items"]] == [scenario.ABANDONED_PRODUCT]
    kettle, teapot = scenario.AFFINE_PRODUCTS
    recommendations = found(
        receiver, "product_recommendation", user_id="shopper", payload__trigger_product_id=kettle
    )
    assert teapot in [r["product_id"] for r in recommendations[0]["payload"]["recommendations"]]
    assert all(d.verified and not d.duplicate for d in receiver.deliveries)
    # AND the producer was told about the invalid events, as on Kinesis
    body = first_run.answers[0].json()
    assert (body["accepted"], body["rejected"]) == (2, 2)


def test_kafka_run_stops_without_leftovers(first_run: KafkaRun) -> None:
    assert first_run.processes_after <= first_run.processes_before
    assert len(first_run.ports) == 3
    assert not any(is_listening(port) for port in first_run.ports)


@dataclass
class SecondRun:
    before: int
    info: RuntimeInfo | None = None
    subscriptions: list[str] = field(default_factory=list)
    late_cart_delivered: bool = False
    archive_complete: bool = False
    stats: Any = None


@pytest.fixture(scope="module")
def second_run(first_run: KafkaRun) -> SecondRun:
    receiver = first_run.receiver
    run = SecondRun(before=len(receiver.deliveries))
    data = DataDir.at(first_run.data_dir)
    with LocalRuntime(options(first_run.data_dir)) as runtime:
        run.info = info = runtime.info
        listed = httpx.get(
            f"{info.api_url}/v1/webhooks", headers={"x-api-key": info.admin_key.value}, timeout=30
        )
        run.subscriptions = [item["url"] for item in listed.json()["items"]]
        steps = scenario.second_run(first_run.builder)
        first_run.accepted_ids += accepted(play(info, steps), steps)
        run.late_cart_delivered = wait_for(
            lambda: bool(found(receiver, "cart_abandoned", user_id="late-abandoner")), timeout=120
        )
        run.archive_complete = wait_for(
            lambda: len(archived_event_ids(data)) >= len(first_run.accepted_ids), timeout=30
        )
        run.stats = runtime.stats()
    return run


def test_restart_on_kafka_neither_redelivers_nor_loses(first_run: KafkaRun, second_run: SecondRun) -> None:
    receiver = first_run.receiver
    # GIVEN the job resumed from its checkpoint and the subscription survived
    assert second_run.info is not None
    assert second_run.info.restored_from is not None
    assert second_run.subscriptions == [receiver.url]
    # THEN the cart accepted just before the first stop is reported abandoned after the restart
    assert second_run.late_cart_delivered, second_run.stats
    # AND nothing delivered before the restart arrived again, and no insight arrived twice
    again = [
        d
        for d in receiver.deliveries[second_run.before :]
        if d.insight and d.insight["insight_id"] in first_run.delivered_ids
    ]
    assert again == []
    ids = [d.insight["insight_id"] for d in receiver.verified()]
    assert len(ids) == len(set(ids))
    assert all(d.verified and not d.duplicate for d in receiver.deliveries)
    # AND every accepted event is in the archive exactly once, across the stop
    assert second_run.archive_complete
    archived = archived_event_ids(DataDir.at(first_run.data_dir))
    assert sorted(archived) == sorted(first_run.accepted_ids)


@dataclass
class Replays:
    kafka: list[dict[str, Any]]
    kinesis: list[dict[str, Any]]
    running: list[dict[str, Any]]
    record: dict[str, Any]


@pytest.fixture(scope="module")
def replays(first_run: KafkaRun, second_run: SecondRun, tmp_path_factory: pytest.TempPathFactory) -> Replays:
    """v2 replayed from the raw topic (from before the first event) and, for the Kinesis path, from the archive."""
    import json

    quiet = lambda _message: None  # noqa: E731
    data = DataDir.at(first_run.data_dir)
    on_kafka = LocalReplay(data.root)
    on_kafka.run("v2", progress=quiet, from_time=first_run.started_at)
    # The Kinesis path's data directory: the same archive and the same job properties, no Kafka.
    copy = DataDir.at(tmp_path_factory.mktemp("e2e-kinesis-copy"))
    shutil.copytree(data.archive, copy.archive)
    copy.flink.mkdir(parents=True)
    shutil.copy(data.flink_properties, copy.flink_properties)
    on_kinesis = LocalReplay(copy.root)
    on_kinesis.run("v2", progress=quiet)
    return Replays(
        kafka=list(on_kafka.read_insights("v2")),
        kinesis=list(on_kinesis.read_insights("v2")),
        running=list(on_kafka.read_insights("v1")),
        record=json.loads((data.versions / "v2" / "replay.json").read_text()),
    )


def test_replay_from_a_time_on_kafka_equals_the_kinesis_paths_insights(
    first_run: KafkaRun, replays: Replays
) -> None:
    # GIVEN v2 read the raw topic from a time into its own topic
    assert replays.record["topic"] == "kappa-dev-insights-v2"
    assert replays.record["from"] is not None
    # THEN its insights are the Kinesis path's over the same events, id for id and body for body
    report = compare_insights(
        replays.kinesis, replays.kafka, baseline_version="kinesis", candidate_version="kafka"
    )
    assert replays.kafka
    assert report.identical, report.summary()
    # AND every insight the live Kafka run delivered is one of them (the running version's topic holds them all)
    delivered = _delivered_ids(first_run.receiver)
    assert delivered <= {i["insight_id"] for i in replays.kafka}
    assert delivered <= {i["insight_id"] for i in replays.running}
