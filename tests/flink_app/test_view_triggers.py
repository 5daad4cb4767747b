"""`recommendation.view_triggers = none` on the mini-cluster: the per-shopper function reads every event, and only
its trigger rule leaves product views out (before the sessions moved into it, the SQL filtered them out)."""

from __future__ import annotations

import json

import pytest

from tests.flink_app.jobs import ONE_HOUR_ANALYTICS, JobRun, run_job

pytestmark = [pytest.mark.slow, pytest.mark.flink]


@pytest.fixture(scope="module")
def without_view_triggers(
    flink_environment, simulated_log, tmp_path_factory: pytest.TempPathFactory
) -> JobRun:
    # GIVEN the simulator hour, with product views not triggering recommendations
    return run_job(
        simulated_log.events,
        tmp_path_factory.mktemp("run-no-view-triggers"),
        analytics={**ONE_HOUR_ANALYTICS, "recommendation.view_triggers": "none"},
    )


def normalized(run: JobRun, *, keep) -> list[str]:
    return [line for line in run.normalized() if keep(json.loads(line))]


def test_only_cart_adds_trigger_and_each_gives_what_it_gives_with_views_triggering(
    without_view_triggers: JobRun, job_run: JobRun
) -> None:
    # WHEN the job runs without view triggers, and (job_run) with them
    def cart_add_recommendation(insight: dict) -> bool:
        return (
            insight["type"] == "product_recommendation"
            and insight["payload"]["trigger_event_type"] == "add_to_cart"
        )

    # THEN every recommendation comes from an add_to_cart (views reached no trigger)
    recommendations = without_view_triggers.of_type("product_recommendation")
    assert recommendations
    assert {r["payload"]["trigger_event_type"] for r in recommendations} == {"add_to_cart"}
    # AND those are exactly the add_to_cart recommendations of the run with view triggers (a view adds no cart
    # history), while that run also has view-triggered ones
    assert normalized(without_view_triggers, keep=cart_add_recommendation) == normalized(
        job_run, keep=cart_add_recommendation
    )
    assert len(job_run.of_type("product_recommendation")) > len(recommendations)


def test_sessions_and_carts_do_not_depend_on_view_triggers(
    without_view_triggers: JobRun, job_run: JobRun
) -> None:
    # THEN the session summaries and the abandoned carts, which read every event or every cart change, are the same
    def sessions_and_carts(insight: dict) -> bool:
        return insight["type"] in ("session_summary", "cart_abandoned")

    same = normalized(without_view_triggers, keep=sessions_and_carts)
    assert same
    assert same == normalized(job_run, keep=sessions_and_carts)
