"""`kappa plan` on the command line: the explained table, the JSON document, and clear errors (exit 2)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from kappa.cli import app
from kappa.planning import Workload, estimate, load_prices
from kappa.planning.figures import usd

runner = CliRunner()


def run(*args: str, columns: int = 220) -> tuple[int, str]:
    result = runner.invoke(app, ["plan", *args], env={"COLUMNS": str(columns)})
    return result.exit_code, result.output


def test_table_shows_every_hop_with_formulas_total_and_cost_per_million() -> None:
    code, output = run("--events-per-second", "100")

    assert code == 0, output
    for hop in (
        "API Gateway",
        "Lambda ingest",
        "Kinesis raw stream (provisioned)",
        "Firehose archive",
        "S3 archive",
        "Managed Flink",
        "Kinesis insights stream (provisioned)",
        "Lambda fan-out",
        "Webhooks",
        "CloudWatch",
    ):
        assert hop in output
    # the hand-computed bill of tests/kappa/planning/test_estimate.py
    assert "$295.15" in output
    assert "$1.1231" in output
    assert "100 events/s × 2,628,000 s ÷ 100 events/request" in output
    assert "prices as of 2025-06-01" in output
    assert "shards = max(" in output
    assert "Not included:" in output


def test_the_table_fits_an_80_column_terminal() -> None:
    code, output = run("--events-per-second", "10000", columns=80)

    assert code == 0, output
    assert max(len(line) for line in output.splitlines()) <= 80
    total = estimate(Workload(events_per_second=Decimal(10_000)), load_prices("us-east-1")).total
    assert usd(total) in output  # the money column is never cut off


def test_json_has_line_items_totals_capacity_and_assumptions() -> None:
    code, output = run("--events-per-second", "100", "--json")

    assert code == 0, output
    document = json.loads(output)
    assert document["region"] == "us-east-1"
    assert document["prices_as_of"] == "2025-06-01"
    assert document["monthly_total_usd"] == 295.15
    assert document["cost_per_million_events_usd"] == 1.1231
    assert document["events_per_month"] == 262_800_000
    assert round(sum(line["monthly_usd"] for line in document["line_items"]), 2) == 295.15
    api = document["line_items"][0]
    assert api == {
        "service": "API Gateway",
        "item": "REST API requests",
        "quantity": 2_628_000,
        "unit": "requests",
        "formula": "100 events/s × 2,628,000 s ÷ 100 events/request",
        "unit_price": "$3.50/1M",
        "price_key": "apigateway.rest_requests",
        "monthly_usd": 9.2,
    }
    raw = document["capacity"]["raw_stream"]
    assert raw["recommended_mode"] == "provisioned"
    assert raw["provisioned_shards"] == 1
    assert raw["on_demand_monthly_usd"] > raw["provisioned_monthly_usd"]
    assert document["capacity"]["flink"] == {
        "kpus": 1,
        "billed_kpus": 2,
        "parallelism": 1,
        "events_per_kpu": 4_000,
    }
    assert document["assumptions"]["ingest_memory_mb"] == 512
    assert document["workload"]["peak_factor"] == 2


def test_options_change_the_plan() -> None:
    _, default = run("--events-per-second", "10000", "--json")
    _, tuned = run(
        "--events-per-second", "10000", "--peak-factor", "1", "--events-per-kpu", "2500",
        "--region", "eu-west-1", "--avg-event-bytes", "600", "--json",
    )  # fmt: skip

    default_doc, tuned_doc = json.loads(default), json.loads(tuned)
    assert tuned_doc["region"] == "eu-west-1"
    # peak 10,000 events/s ÷ 2,500 per KPU = 4 KPUs; 10,000 records/s → 10 shards
    assert tuned_doc["capacity"]["flink"]["kpus"] == 4
    assert tuned_doc["capacity"]["raw_stream"]["provisioned_shards"] == 10
    assert default_doc["capacity"]["raw_stream"]["provisioned_shards"] == 20


def test_ten_thousand_events_per_second_prints_an_explained_estimate() -> None:
    code, output = run("--events-per-second", "10000")

    assert code == 0, output
    assert "20 shards" in output
    assert "5 KPUs + 1 orchestration KPU" in output
    assert "largest costs:" in output
    assert "Per million events" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--events-per-second", "-5"],
            "Invalid value for '--events-per-second': must be greater than 0 (got -5)",
        ),
        (["--events-per-second", "0"], "must be greater than 0 (got 0)"),
        (["--events-per-second", "5000000"], "must be less than or equal to 1000000"),
        (["--events-per-second", "nan"], "must be a finite number"),
        (["--events-per-second", "abc"], "'--events-per-second'"),
        (["-e", "10", "--region", "mars-1"], "unknown region 'mars-1'; known regions: eu-west-1, us-east-1"),
        (["-e", "10", "--avg-event-bytes", "50000"], "ingestion API rejects events over 32,768 bytes"),
        (["-e", "10", "--events-per-request", "501"], "1 to 500, the batch sizes the ingestion API accepts"),
        (["-e", "10", "--peak-factor", "0.5"], "'--peak-factor': must be greater than or equal to 1"),
        (["-e", "10", "--stream-retention-hours", "12"], "24 to 8,760 hours"),
        ([], "Missing option '--events-per-second'"),
    ],
)
def test_bad_arguments_are_explained_and_exit_with_code_2(args: list[str], message: str) -> None:
    code, output = run(*args)

    assert code == 2
    flat = " ".join(output.replace("│", " ").split())
    assert message in flat


def test_several_bad_arguments_are_reported_together() -> None:
    code, output = run("-e", "10", "--avg-event-bytes", "5", "--peak-factor", "100")

    assert code == 2
    assert "'--avg-event-bytes'" in output
    assert "'--peak-factor'" in output


def test_by_default_the_kinesis_estimate_is_followed_by_the_log_backend_comparison() -> None:
    code, output = run("--events-per-second", "100")

    assert code == 0, output
    flat = " ".join(output.replace("│", " ").split())
    assert "Log backend: Kinesis or MSK Serverless" in flat
    assert "$25.76/month" in flat
    assert "$665.35/month" in flat
    assert "Kinesis is cheaper at every rate up to 1,000,000 events/s (1,024 B/event)." in flat


def test_kinesis_alone_prints_no_comparison() -> None:
    code, output = run("--events-per-second", "100", "--log-backend", "kinesis")

    assert code == 0, output
    assert "Log backend:" not in output
    assert "$295.15" in output


@pytest.mark.parametrize("backend", ["msk", "both"])
def test_msk_and_both_fit_an_80_column_terminal(backend: str) -> None:
    code, output = run("--events-per-second", "20000", "--log-backend", backend, columns=80)

    assert code == 0, output
    assert max(len(line) for line in output.splitlines()) <= 80


def test_msk_prices_the_cluster_instead_of_the_streams() -> None:
    code, output = run("--events-per-second", "100", "--log-backend", "msk")

    assert code == 0, output
    assert "MSK Serverless log" in output
    assert "1 cluster × 730 h" in output
    assert "Kinesis raw stream" not in output
    assert "raw topic: partitions = max(4 configured" in output
    assert "$934.74" in output  # $295.15 − $25.76 Kinesis log + $665.35 MSK log


def test_json_carries_the_comparison_and_the_crossover() -> None:
    code, output = run("--events-per-second", "100", "--avg-event-bytes", "100", "--stream-retention-hours",
                       "168", "--json")  # fmt: skip

    assert code == 0, output
    document = json.loads(output)
    assert document["log_backend"] == "kinesis"
    backends = document["log_backends"]
    assert backends["cheaper"] == "kinesis"
    assert backends["crossover"]["events_per_second"] == 37_001
    assert backends["crossover"]["cheaper_at_low_rates"] == "kinesis"
    assert next(line["item"] for line in backends["msk"]["log_line_items"]) == "cluster-hours"
    assert document["capacity"]["msk"]["raw_partitions"] == 4


def test_an_unknown_log_backend_is_refused() -> None:
    code, output = run("--events-per-second", "100", "--log-backend", "kafka")

    assert code == 2
    assert "'kafka' is not one of 'kinesis', 'msk', 'both'" in " ".join(output.replace("│", " ").split())
