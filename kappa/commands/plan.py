"""`kappa plan`: capacity and monthly cost estimate of a deployment for a given event rate."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from kappa.planning import Workload, describe_validation_error, estimate, known_regions, load_prices
from kappa.planning.comparison import compare_log_backends
from kappa.planning.render import comparison_as_dict, comparison_panel, estimate_as_dict, estimate_table
from kappa.planning.workload import DEFAULT_EVENTS_PER_KPU


class LogBackendChoice(StrEnum):
    KINESIS = "kinesis"
    MSK = "msk"
    BOTH = "both"


def plan(
    events_per_second: Annotated[
        float,
        typer.Option(
            "--events-per-second", "-e", help="Average events/s over the month.", show_default=False
        ),
    ],
    avg_event_bytes: Annotated[
        int, typer.Option(help="Average size of one event on the raw stream (JSON incl. _meta), bytes.")
    ] = 1024,
    peak_factor: Annotated[
        float, typer.Option(help="Peak rate ÷ average rate; shards and KPUs are sized for the peak.")
    ] = 2.0,
    region: Annotated[
        str, typer.Option(help="AWS region whose price file to use (see kappa/planning/prices/).")
    ] = "us-east-1",
    events_per_request: Annotated[
        int, typer.Option(help="Events producers batch per API request (1-500).")
    ] = 100,
    events_per_kpu: Annotated[
        int,
        typer.Option(
            help="Events/s one Managed Flink KPU sustains for this job (measure with `make bench`)."
        ),
    ] = DEFAULT_EVENTS_PER_KPU,
    insights_per_event: Annotated[float, typer.Option(help="Insights the Flink job emits per event.")] = 0.05,
    deliveries_per_insight: Annotated[
        float, typer.Option(help="Webhook subscribers each insight goes to.")
    ] = 1.0,
    stream_retention_hours: Annotated[
        int, typer.Option(help="Retention of the Kinesis streams (24-8760).")
    ] = 24,
    archive_retention_days: Annotated[int, typer.Option(help="Days the S3 archive keeps events.")] = 365,
    log_backend: Annotated[
        LogBackendChoice,
        typer.Option(
            help="The log to price: kinesis, msk (MSK Serverless), or both: the Kinesis estimate (the default "
            "deployment) plus the log's cost on each backend and the rate where the cheaper one changes."
        ),
    ] = LogBackendChoice.BOTH,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON for machines.")] = False,
) -> None:
    """Estimate capacity (shards, KPUs, concurrency) and the monthly AWS bill, with every formula shown."""
    regions = known_regions()
    if region not in regions:
        raise typer.BadParameter(
            f"unknown region {region!r}; known regions: {', '.join(regions)}", param_hint="'--region'"
        )
    try:
        workload = Workload(
            events_per_second=Decimal(str(events_per_second)),
            avg_event_bytes=avg_event_bytes,
            peak_factor=Decimal(str(peak_factor)),
            events_per_request=events_per_request,
            events_per_kpu=events_per_kpu,
            insights_per_event=Decimal(str(insights_per_event)),
            deliveries_per_insight=Decimal(str(deliveries_per_insight)),
            stream_retention_hours=stream_retention_hours,
            archive_retention_days=archive_retention_days,
        )
    except ValidationError as error:
        problems = describe_validation_error(error)
        if len(problems) == 1:
            name, message = problems[0]
            raise typer.BadParameter(message, param_hint=_option(name)) from None
        raise typer.BadParameter(
            "\n" + "\n".join(f"{_option(name)}: {message}" for name, message in problems)
        ) from None
    prices = load_prices(region)
    backend = "msk" if log_backend is LogBackendChoice.MSK else "kinesis"
    result = estimate(workload, prices, log_backend=backend)
    comparison = compare_log_backends(workload, prices) if log_backend is LogBackendChoice.BOTH else None
    if as_json:
        document = estimate_as_dict(result)
        if comparison is not None:
            document["log_backends"] = comparison_as_dict(comparison)
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        # Made per call, not at import: the table fits the terminal the command runs in.
        console = Console()
        console.print(estimate_table(result, width=console.width))
        if comparison is not None:
            console.print(comparison_panel(comparison))


def _option(field_name: str) -> str:
    """The command-line spelling of a workload field: `events_per_second` → `'--events-per-second'`."""
    return "'--" + field_name.replace("_", "-") + "'"
