"""The runtime as a whole, with a stand-in Flink job: restarts lose and repeat nothing, stops leave nothing.

The real handlers run (ingest, webhooks API, fan-out); the Flink job is `standin_flink_job.py` (one
"metrics" insight per event). This checks the runtime's own guarantees in a checkout without the job;
where `flink_app/main.py` exists, `test_end_to_end.py` checks them with the real job instead (and this
test is skipped, to keep the slow suite within its time budget).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kappa.local.paths import DataDir
from kappa.local.ports import is_listening
from kappa.local.receiver import WebhookReceiver
from kappa.local.runtime import LocalRuntime, RuntimeOptions
from stacks.config import AppConfig
from tests.kappa.local.runtime_helpers import (
    at,
    descendants,
    now_utc,
    page_view,
    post_events,
    register,
    wait_for,
)

STANDIN_JOB = Path(__file__).parent / "standin_flink_job.py"
REAL_JOB = Path(__file__).resolve().parents[3] / "flink_app" / "main.py"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(
        REAL_JOB.exists(),
        reason="the real job is here: test_end_to_end.py checks the same guarantees with it",
    ),
]


def standin_properties(config: AppConfig, data: DataDir) -> list[dict[str, Any]]:
    return [
        {
            "PropertyGroupId": "standin",
            "PropertyMap": {"input": str(data.archive), "output": str(data.insights)},
        }
    ]


def options(data_dir: Path) -> RuntimeOptions:
    return RuntimeOptions(data_dir=data_dir, flink_main=STANDIN_JOB, job_properties=standin_properties)


def test_restart_neither_redelivers_nor_loses_and_stop_leaves_nothing_behind(tmp_path: Path) -> None:
    before = descendants()
    receiver = WebhookReceiver().start()
    base = now_utc()
    try:
        # GIVEN a runtime with the receiver registered and 5 events delivered as webhooks
        with LocalRuntime(options(tmp_path)) as runtime:
            info = runtime.info
            assert info is not None
            register(info, receiver)
            answer = post_events(info, [page_view(f"first-{i}", f"u{i}", at(base, i)) for i in range(5)])
            assert answer.json()["accepted"] == 5
            assert wait_for(lambda: len(receiver.verified()) >= 5, timeout=60)
            # AND 3 more accepted just before the stop (not yet through the job)
            post_events(info, [page_view(f"late-{i}", f"u{i}", at(base, 10 + i)) for i in range(3)])
            ports = [runtime.front.port, runtime.aws.endpoint_url.rsplit(":", 1)[1]]
        # THEN nothing of the runtime is left running
        assert descendants() <= before
        assert not any(is_listening(int(port)) for port in ports)
        # WHEN it starts again on the same data directory (moto starts empty)
        with LocalRuntime(options(tmp_path)) as runtime:
            info = runtime.info
            assert info is not None
            assert info.restored_from is not None  # the job resumed from its checkpoint
            post_events(info, [page_view(f"second-{i}", f"u{i}", at(base, 20 + i)) for i in range(2)])
            # THEN the 3 late and 2 new events arrive, signed with the secret registered before the restart
            assert wait_for(lambda: len(receiver.verified()) >= 10, timeout=60)
            wait_for(lambda: False, timeout=3)  # room for an unwanted re-delivery to show up
        ids = sorted(d.insight["insight_id"] for d in receiver.verified())
        expected = sorted(
            [f"metrics:first-{i}" for i in range(5)]
            + [f"metrics:late-{i}" for i in range(3)]
            + [f"metrics:second-{i}" for i in range(2)]
        )
        # AND nothing was delivered twice (no duplicate webhook ids, no insight twice)
        assert ids == expected
        assert not [d for d in receiver.deliveries if d.duplicate or not d.verified]
        assert descendants() <= before
    finally:
        receiver.stop()
