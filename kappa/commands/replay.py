"""`kappa replay`, `kappa compare`, `kappa cutover`: change an analysis the Kappa way (runbook: docs/replay.md).

With `--data-dir` they work on the local runtime's data directory; without it, on the AWS deployment of
`--env` (credentials and region from the usual AWS settings).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from events.timefmt import parse_rfc3339
from kappa.commands.terminal import error_console, output_console
from kappa.replay.compare import ComparisonReport, compare_insights
from stacks.config import ConfigError, load_config

console = error_console()

EnvOption = Annotated[str, typer.Option("--env", help="Environment in cdk.json whose deployment to use.")]
RegionOption = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION", help="AWS region.")]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Work on the local runtime's data directory (e.g. .kappa) instead of AWS."
    ),
]


def _timestamp(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an RFC 3339 timestamp with a timezone, e.g. 2026-11-25T12:00:00Z",
            param_hint=option,
        ) from None


def _aws_replay(env: str, region: str | None) -> Any:
    import boto3

    from kappa.replay.aws import AwsReplay

    try:
        config = load_config(env_name=env)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--env") from None
    session = boto3.session.Session(region_name=region or config.region)
    account = session.client("sts").get_caller_identity()["Account"]
    return AwsReplay(
        config,
        kinesis=session.client("kinesis"),
        flink=session.client("kinesisanalyticsv2"),
        lambda_=session.client("lambda"),
        account_id=account,
    )


def _local_replay(data_dir: Path) -> Any:
    from kappa.replay.local import LocalReplay

    return LocalReplay(data_dir)


def replay(
    job_version: Annotated[str, typer.Option("--job-version", help="The new job version, e.g. v2.")],
    from_time: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Replay the raw stream (or, with --data-dir on a `--log kafka` runtime, the raw topic) from this "
            "RFC 3339 time (default: its oldest record).",
        ),
    ] = None,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="Replay the S3 archive: refused in AWS (its files would be read out of order; the error says "
            "what to do instead). Local replays (--data-dir) always read the local archive, in order.",
        ),
    ] = False,
    set_property: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Change a job property for the new version: GROUP.KEY=VALUE (local runtime only)."
        ),
    ] = None,
    data_dir: DataDirOption = None,
    env: EnvOption = "dev",
    region: RegionOption = None,
) -> None:
    """Run a new job version over the log with the same code, writing to its own output."""
    from kappa.replay.aws import ReplayError, ReplaySource

    if data_dir is not None:
        from kappa.replay.local import LocalReplay

        overrides = _parse_overrides(set_property or [])
        try:
            output = LocalReplay(data_dir).run(
                job_version,
                overrides=overrides,
                progress=console.print,
                from_time=_timestamp(from_time, "--from"),
            )
        except ReplayError as error:
            console.print(f"[red]replay failed:[/red] {error}")
            raise typer.Exit(code=1) from None
        console.print(f"[green]replayed the log as {job_version}[/green]: insights in {output}")
        return
    if set_property:
        raise typer.BadParameter(
            "in AWS a new version's properties come from its deployment; use --set with --data-dir",
            param_hint="--set",
        )
    source = ReplaySource(from_timestamp=_timestamp(from_time, "--from"), archive=archive)
    try:
        name = _aws_replay(env, region).start(job_version, source, progress=console.print)
    except ReplayError as error:
        console.print(f"[red]replay failed:[/red] {error}")
        raise typer.Exit(code=1) from None
    console.print(
        f"[green]started {name}[/green]; compare with `kappa compare <running> {job_version} --env {env}`"
    )


def compare(
    baseline: Annotated[str, typer.Argument(help="The running job version, e.g. v1.")],
    candidate: Annotated[str, typer.Argument(help="The replayed job version, e.g. v2.")],
    start: Annotated[str | None, typer.Option("--from", help="Event-time range start (RFC 3339).")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Event-time range end (RFC 3339, exclusive).")
    ] = None,
    examples: Annotated[int, typer.Option(min=0, help="Examples shown per type and kind of difference.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDirOption = None,
    env: EnvOption = "dev",
    region: RegionOption = None,
) -> None:
    """Report insights added, removed and changed by type between two job versions (keyed by insight_id)."""
    since = _timestamp(start, "--from") or datetime(1970, 1, 1, tzinfo=UTC)
    until = _timestamp(end, "--to") or datetime.now(tz=UTC) + timedelta(days=1)
    from kappa.replay.aws import ReplayError

    source = _local_replay(data_dir) if data_dir is not None else _aws_replay(env, region)
    try:
        report = compare_insights(
            source.read_insights(baseline, since, until),
            source.read_insights(candidate, since, until),
            baseline_version=baseline,
            candidate_version=candidate,
        )
    except ReplayError as error:
        console.print(f"[red]compare failed:[/red] {error}")
        raise typer.Exit(code=1) from None
    if as_json:
        sys.stdout.write(orjson.dumps(report.as_dict(examples), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_report(report, examples)
    raise typer.Exit(code=0 if report.identical else 3)


def cutover(
    to_version: Annotated[str, typer.Argument(help="The job version to switch the fan-out to, e.g. v2.")],
    overlap_seconds: Annotated[
        int,
        typer.Option(
            min=0,
            help="Start the new mapping this long before now (locally: before the newest delivered "
            "insight's event time); what was delivered is not delivered again.",
        ),
    ] = 900,
    data_dir: DataDirOption = None,
    env: EnvOption = "dev",
    region: RegionOption = None,
) -> None:
    """Point webhook delivery at a new job version's insights and stop the old version.

    With --data-dir: the local runtime (stopped) runs the replayed version from its next start.
    """
    from kappa.replay.aws import ReplayError

    try:
        if data_dir is not None:
            _local_replay(data_dir).cutover(
                to_version, overlap_seconds=overlap_seconds, progress=console.print
            )
        else:
            _aws_replay(env, region).cutover(
                to_version, overlap_seconds=overlap_seconds, progress=console.print
            )
    except ReplayError as error:
        console.print(f"[red]cut-over failed:[/red] {error}")
        raise typer.Exit(code=1) from None
    if data_dir is not None:
        console.print(
            f"[green]the local runtime runs {to_version} from its next start[/green] "
            f"(kappa local up --data-dir {data_dir})"
        )
    else:
        console.print(f"[green]fan-out now delivers {to_version}'s insights[/green]")


def _parse_overrides(assignments: list[str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        group, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise typer.BadParameter(
                f"{assignment!r} is not GROUP.KEY=VALUE, e.g. analytics.abandonment.after_minutes=45",
                param_hint="--set",
            )
        overrides.setdefault(group, {})[name] = value
    return overrides


def _print_report(report: ComparisonReport, examples: int) -> None:
    table = Table(
        title=f"{report.baseline_version} ({report.baseline_count}) → {report.candidate_version} ({report.candidate_count})"
    )
    for column in ("type", "added", "removed", "changed", "unchanged"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for insight_type, counts in report.summary().items():
        table.add_row(insight_type, *(str(counts[k]) for k in ("added", "removed", "changed", "unchanged")))
    output_console().print(table)
    for insight_type, difference in sorted(report.by_type.items()):
        for label, items in (("added", difference.added), ("removed", difference.removed)):
            for insight in items[:examples]:
                output_console().print(
                    f"  {label:8} {insight_type}: {insight['insight_id']} at {insight.get('occurred_at')}"
                )
        for change in difference.changed[:examples]:
            output_console().print(
                f"  changed  {insight_type}: {change.insight_id} ({', '.join(change.fields)})"
            )
    output_console().print(
        "identical" if report.identical else "versions differ",
        style="green" if report.identical else "yellow",
    )
