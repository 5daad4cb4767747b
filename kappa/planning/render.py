"""Presents an `Estimate`: a rich table with formulas and the capacity decisions, or a JSON document."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kappa.planning.comparison import LogComparison
from kappa.planning.estimate import Estimate, LineItem, StreamPlan
from kappa.planning.figures import number, short, usd

JSON_SCHEMA_VERSION = 1
WIDE_TERMINAL = 140


def estimate_table(plan: Estimate, *, width: int | None = None) -> RenderableType:
    """The estimate for a terminal: line items with formulas, totals, capacity, warnings and caveats.

    `width` is the terminal's: below `WIDE_TERMINAL` columns the service and quantity columns wrap so
    that the table still fits 80 columns.
    """
    w = plan.workload
    title = (
        f"Kappa Commerce monthly estimate · {plan.prices.region} ({plan.prices.region_name}) · "
        f"prices as of {plan.prices.as_of.isoformat()}"
    )
    narrow = width is not None and width < WIDE_TERMINAL
    table = Table(title=title, title_justify="left", header_style="bold", expand=False)
    table.add_column("Service", style="cyan", max_width=16 if narrow else None)
    table.add_column("Item · formula · unit price", min_width=24)
    table.add_column("Quantity / month", justify="right", max_width=14 if narrow else None)
    table.add_column("USD / month", justify="right", style="bold", no_wrap=True)
    previous = None
    for line in plan.lines:
        service = line.service if line.service != previous else ""
        if service and previous is not None:
            table.add_section()
        previous = line.service
        table.add_row(
            service,
            Text.assemble(line.item, "\n", (line.formula, "dim"), "\n", (f"at {line.price}", "dim italic")),
            f"{short(line.quantity)} {line.unit}",
            usd(line.cost),
        )
    table.add_section()
    table.add_row("Total", "", "", usd(plan.total), style="bold green")
    table.add_row(
        "Per million events",
        Text("total ÷ (events/month ÷ 1,000,000)", style="dim"),
        f"{short(plan.events_per_month)} events",
        f"${plan.cost_per_million_events:,.4f}",
        style="green",
    )
    workload = Text.assemble(
        ("Workload: ", "bold"),
        f"{number(w.events_per_second)} events/s average, {number(w.peak_events_per_second)} events/s peak "
        f"(× {number(w.peak_factor)}), {number(w.avg_event_bytes)} B/event, {w.events_per_request} events/request, "
        f"{number(w.insights_per_event)} insights/event delivered to {number(w.deliveries_per_insight)} "
        f"subscriber(s) each, streams keep {w.stream_retention_hours} h, archive keeps "
        f"{w.archive_retention_days} days. Usage is billed at the average rate; shards and KPUs are sized "
        "for the peak.",
    )
    log = (
        f"{plan.capacity.raw_stream.sizing.shards} raw shards if provisioned"
        if plan.log_backend == "kinesis"
        else f"MSK Serverless log with {plan.capacity.msk.partitions} partitions"
    )
    headline = Text.assemble(
        ("Estimate: ", "bold"),
        (f"{usd(plan.total)} a month", "bold green"),
        f", ${plan.cost_per_million_events:,.4f} per million events ({short(plan.events_per_month)} events/month); "
        f"{log}, {plan.capacity.flink_billed_kpus} Flink KPUs billed.",
    )
    parts: list[RenderableType] = [workload, headline, table, _capacity_panel(plan)]
    if plan.warnings:
        parts.append(
            Panel("\n".join(f"• {warning}" for warning in plan.warnings), title="Warnings", style="yellow")
        )
    if plan.notes:
        parts.append(Panel("\n".join(f"• {note}" for note in plan.notes), title="Notes"))
    parts.append(
        Text.assemble(
            ("Not included: ", "bold"),
            "; ".join(plan.excluded) + ".\n",
            ("Prices: ", "bold"),
            plan.prices.disclaimer + " ",
            ("Assumptions ", "bold"),
            "(durations, compression, log volume, ...) are listed by --json and explained in docs/cost-planning.md.",
            style="dim",
        )
    )
    return Group(*parts)


def _capacity_panel(plan: Estimate) -> Panel:
    cap = plan.capacity
    if plan.log_backend == "kinesis":
        rows = [_stream_decision(cap.raw_stream), _stream_decision(cap.insights_stream)]
    else:
        rows = [f"MSK Serverless {topic.rule}" for topic in (cap.msk.raw, cap.msk.insights)]
    kpus = cap.flink_kpus
    rows.append(
        f"Managed Flink: {kpus} KPU{'s' if kpus > 1 else ''} + 1 orchestration KPU billed, parallelism "
        f"{cap.flink_parallelism} (KPUs = ⌈peak events/s ÷ {number(plan.workload.events_per_kpu)} events/s per KPU⌉; "
        "measure yours and pass --events-per-kpu)"
    )
    rows.append(
        f"Lambda: ingest peaks at ~{cap.ingest_peak_concurrency:,} concurrent executions "
        f"({number(cap.peak_api_requests_per_second)} requests/s); fan-out runs {cap.fanout_pollers} pollers "
        "(insights shards × parallelization factor)"
    )
    return Panel("\n".join(rows), title="Capacity", title_align="left")


def _stream_decision(stream: StreamPlan) -> str:
    chosen = stream.recommended_mode
    other = "on-demand" if chosen == "provisioned" else "provisioned"
    chosen_cost = stream.provisioned_cost if chosen == "provisioned" else stream.on_demand_cost
    other_cost = stream.on_demand_cost if chosen == "provisioned" else stream.provisioned_cost
    shards = stream.sizing.shards
    return (
        f"Kinesis {stream.name}: {chosen.replace('_', '-')} at {usd(chosen_cost)}/month is cheaper than "
        f"{other} at {usd(other_cost)} (provisioned needs {shards} shard{'s' if shards > 1 else ''}: "
        f"{stream.sizing.rule})"
    )


def comparison_panel(comparison: LogComparison) -> Panel:
    """The log's monthly cost on each backend, the difference, and the crossover rate for this event size."""
    kinesis, msk = comparison.kinesis, comparison.msk
    cheaper = comparison.cheaper
    saving = abs(kinesis.log_cost - msk.log_cost)
    rows = [
        f"Kinesis (two streams, cheaper capacity mode each): {usd(kinesis.log_cost)}/month, "
        f"pipeline total {usd(kinesis.total)}",
        f"MSK Serverless (one cluster, {msk.capacity.msk.partitions} partitions, VPC endpoints): "
        f"{usd(msk.log_cost)}/month, pipeline total {usd(msk.total)}",
        f"At this rate {'Kinesis' if cheaper == 'kinesis' else 'MSK Serverless'} is cheaper by {usd(saving)}/month.",
        comparison.crossover.sentence(kinesis.workload.avg_event_bytes) + ".",
        "Run with --log-backend msk for the MSK lines with their formulas.",
    ]
    return Panel("\n".join(rows), title="Log backend: Kinesis or MSK Serverless", title_align="left")


def comparison_as_dict(comparison: LogComparison) -> dict[str, Any]:
    """The comparison for machines: each backend's log lines and totals, and the crossover."""
    crossover = comparison.crossover
    return {
        "cheaper": comparison.cheaper,
        "kinesis": {
            "log_monthly_usd": _plain(comparison.kinesis.log_cost),
            "monthly_total_usd": _plain(comparison.kinesis.total),
            "log_line_items": [_line(line) for line in comparison.kinesis.log_lines],
        },
        "msk": {
            "log_monthly_usd": _plain(comparison.msk.log_cost),
            "monthly_total_usd": _plain(comparison.msk.total),
            "log_line_items": [_line(line) for line in comparison.msk.log_lines],
            "partition_rules": [
                comparison.msk.capacity.msk.raw.rule,
                comparison.msk.capacity.msk.insights.rule,
            ],
        },
        "crossover": {
            "cheaper_at_low_rates": crossover.cheaper_at_low_rates,
            "events_per_second": _plain(crossover.rate) if crossover.rate is not None else None,
            "searched_up_to_events_per_second": _plain(crossover.searched_up_to),
            "summary": crossover.sentence(comparison.kinesis.workload.avg_event_bytes),
        },
    }


def estimate_as_dict(plan: Estimate) -> dict[str, Any]:
    """The estimate for machines: every input, assumption, line item, capacity decision and caveat."""
    cap = plan.capacity
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "region": plan.prices.region,
        "currency": plan.prices.currency,
        "log_backend": plan.log_backend,
        "prices_as_of": plan.prices.as_of.isoformat(),
        "prices_disclaimer": plan.prices.disclaimer,
        "workload": _plain(plan.workload.model_dump()),
        "assumptions": {f.name: _plain(getattr(plan.assumptions, f.name)) for f in fields(plan.assumptions)},
        "events_per_month": _plain(plan.events_per_month),
        "line_items": [_line(line) for line in plan.lines],
        "service_totals_usd": {service: _plain(cost) for service, cost in plan.service_totals().items()},
        "monthly_total_usd": _plain(plan.total),
        "cost_per_million_events_usd": _plain(plan.cost_per_million_events),
        "capacity": {
            "raw_stream": _stream(cap.raw_stream),
            "insights_stream": _stream(cap.insights_stream),
            "msk": {
                "raw_partitions": cap.msk.raw.partitions,
                "insights_partitions": cap.msk.insights.partitions,
                "partition_rules": [cap.msk.raw.rule, cap.msk.insights.rule],
            },
            "flink": {
                "kpus": cap.flink_kpus,
                "billed_kpus": cap.flink_billed_kpus,
                "parallelism": cap.flink_parallelism,
                "events_per_kpu": plan.workload.events_per_kpu,
            },
            "lambda": {
                "peak_api_requests_per_second": _plain(cap.peak_api_requests_per_second),
                "ingest_peak_concurrency": cap.ingest_peak_concurrency,
                "fanout_pollers": cap.fanout_pollers,
            },
        },
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "excluded": list(plan.excluded),
    }


def _stream(stream: StreamPlan) -> dict[str, Any]:
    return {
        "recommended_mode": stream.recommended_mode,
        "provisioned_shards": stream.sizing.shards,
        "shard_rule": stream.sizing.rule,
        "avg_records_per_second": _plain(stream.avg_records_per_second),
        "peak_records_per_second": _plain(stream.sizing.peak_records_per_second),
        "peak_write_mib_per_second": _plain(stream.sizing.peak_write_mib_per_second),
        "record_bytes": stream.record_bytes,
        "provisioned_monthly_usd": _plain(stream.provisioned_cost),
        "on_demand_monthly_usd": _plain(stream.on_demand_cost),
        "provisioned_line_items": [_line(line) for line in stream.provisioned],
        "on_demand_line_items": [_line(line) for line in stream.on_demand],
    }


def _line(line: LineItem) -> dict[str, Any]:
    return {
        "service": line.service,
        "item": line.item,
        "quantity": _plain(line.quantity),
        "unit": line.unit,
        "formula": line.formula,
        "unit_price": line.price,
        "price_key": line.price_key,
        "monthly_usd": _plain(line.cost),
    }


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals become numbers (exact ones as ints), tuples lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(round(value, 6))
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
