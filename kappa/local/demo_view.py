"""How `kappa demo` draws the pipeline in the terminal (rich): live figures, sample insights, the summary."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from events import INSIGHT_TYPES
from kappa.local.demo_session import SAMPLE_TYPES, DemoSnapshot
from kappa.local.runtime import RuntimeInfo


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def pipeline_table(snap: DemoSnapshot) -> Table:
    stats = snap.stats
    table = Table(title="pipeline", expand=True, show_edge=False)
    table.add_column("stage", style="bold")
    table.add_column("figures")
    table.add_row(
        "API (ingest Lambda)",
        f"[green]{snap.accepted}[/green] accepted · [yellow]{snap.rejected}[/yellow] rejected · {snap.sent} sent",
    )
    table.add_row(
        "raw stream → archive",
        f"{stats.archived_records} events in {stats.archive_files} files (Firehose stand-in)",
    )
    job = stats.job
    through = (
        f"{job.source_records} events read · {job.checkpoints_completed} checkpoints" if job else "starting…"
    )
    table.add_row("Flink job", f"[bold]{stats.job_state}[/bold] · {through}")
    by_type = " · ".join(f"{t.replace('_', ' ')} {stats.insights_by_type.get(t, 0)}" for t in INSIGHT_TYPES)
    table.add_row("insights", f"{sum(stats.insights_by_type.values())} ({by_type})")
    table.add_row(
        "webhooks (fan-out Lambda)",
        f"[green]{snap.webhooks_verified}[/green] delivered & verified · "
        f"{stats.retry_queue_depth} retrying · {stats.dead_letter_depth} dead-lettered · "
        f"{snap.webhooks_invalid} bad signatures · {snap.webhooks_duplicates} duplicates",
    )
    table.add_row(
        "end-to-end latency",
        f"p50 [bold]{_seconds(snap.latency_p50)}[/bold] · p99 [bold]{_seconds(snap.latency_p99)}[/bold] "
        f"(event received → webhook delivered, {snap.latency_count} webhooks)",
    )
    return table


def describe_insight(insight: dict[str, Any]) -> str:
    payload = insight.get("payload") or {}
    kind = insight.get("type")
    if kind == "cart_abandoned":
        items = payload.get("items") or []
        return (
            f"user {insight.get('user_id')} left {len(items)} item(s) worth "
            f"{payload.get('value')} {payload.get('currency')} (last change {payload.get('last_cart_change_at')})"
        )
    if kind == "product_recommendation":
        recommended = [
            r.get("product_id", r) if isinstance(r, dict) else r
            for r in (payload.get("recommendations") or [])[:4]
        ]
        return f"user {insight.get('user_id')}: after {payload.get('trigger_product_id')} → {', '.join(map(str, recommended))}"
    if kind == "trending_product":
        return (
            f"{payload.get('product_id')} score {payload.get('score')} in "
            f"{payload.get('window_start')} → {payload.get('window_end')}"
        )
    return str(payload)[:120]


def samples_table(snap: DemoSnapshot) -> Table:
    table = Table(title="latest insights delivered", expand=True, show_edge=False)
    table.add_column("type", style="bold")
    table.add_column("insight")
    for kind in SAMPLE_TYPES:
        insight = snap.samples.get(kind)
        table.add_row(kind.replace("_", " "), describe_insight(insight) if insight else "[dim]waiting…[/dim]")
    return table


def live_view(snap: DemoSnapshot, info: RuntimeInfo) -> Group:
    header = Text.assemble(
        ("kappa demo", "bold"),
        f" · {snap.elapsed:.0f} s · simulator ",
        ("done" if snap.simulator_done else f"{snap.remaining:.0f} s left", "cyan"),
        f" · job {info.job_version} · API {info.api_url} · data {info.data.root}",
    )
    parts: list[Any] = [header, pipeline_table(snap), samples_table(snap)]
    if snap.rejection_examples:
        parts.append(
            Text(
                "rejected events (reported to the producer): " + "; ".join(snap.rejection_examples[:3]),
                style="yellow",
            )
        )
    if snap.simulator_error:
        parts.append(Text(f"simulator stopped: {snap.simulator_error}", style="red"))
    for problem in snap.stats.problems[-3:]:
        parts.append(Text(problem, style="red"))
    return Group(*parts)


def _behind(snap: DemoSnapshot, info: RuntimeInfo) -> list[str]:
    """Say so when the job had not read everything when the demo stopped (a busy machine)."""
    job, archived = snap.stats.job, snap.stats.archived_records
    if job is None or job.source_records >= archived:
        return []
    return [
        f"[yellow]the job had read {job.source_records} of {archived} archived events when the demo stopped "
        f"(a busy machine); the rest is read when you run `kappa local up --data-dir {info.data.root}`[/yellow]"
    ]


def summary(snap: DemoSnapshot, info: RuntimeInfo) -> Panel:
    lines = [
        f"events: {snap.accepted} accepted, {snap.rejected} rejected ({snap.sent} sent)",
        f"job {info.job_version}: read {snap.stats.job.source_records if snap.stats.job else '?'} events; "
        f"insights: {sum(snap.stats.insights_by_type.values())} "
        + "("
        + ", ".join(f"{k} {v}" for k, v in sorted(snap.stats.insights_by_type.items()))
        + ")",
        f"webhooks: {snap.webhooks_verified} delivered with valid signatures; {snap.stats.dead_letter_depth} dead-lettered",
        f"end-to-end latency: p50 {_seconds(snap.latency_p50)}, p99 {_seconds(snap.latency_p99)}",
        *_behind(snap, info),
        "",
        f"files: archive {info.data.archive}",
        (
            f"       insights topic {info.insights_stream} ({info.data.kafka})"
            if info.log == "kafka"
            else f"       insights {info.version.insights}"
        ),
        f"       logs {info.data.logs}",
        f"run it yourself: kappa local up --data-dir {info.data.root}"
        + (" --log kafka" if info.log == "kafka" else ""),
    ]
    return Panel(
        "\n".join(lines), title="demo summary", border_style="green" if snap.webhooks_verified else "red"
    )
