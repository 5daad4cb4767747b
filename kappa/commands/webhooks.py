"""`kappa webhooks ...`: redrive dead-lettered deliveries, and list/create/delete subscriptions via the API."""

from __future__ import annotations

from typing import Annotated

import boto3
import typer
from rich.table import Column, Table

from kappa.commands.terminal import output_console
from kappa.webhooks.api_client import WebhooksApiClient, WebhooksApiError
from kappa.webhooks.redrive import RedriveReport, redrive_dead_letters
from stacks.config import ConfigError, load_config

app = typer.Typer(
    help="Webhook operations: dead-letter redrive and subscription management.", no_args_is_help=True
)
console = output_console()

EnvOption = Annotated[str, typer.Option("--env", help="Environment whose queue names to use (cdk.json).")]
EndpointOption = Annotated[
    str | None,
    typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS endpoint, e.g. a local moto server."),
]
RegionOption = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION", help="AWS region.")]
ApiUrlOption = Annotated[
    str, typer.Option("--api-url", envvar="KAPPA_API_URL", help="Base URL of the REST API stage.")
]
ApiKeyOption = Annotated[
    str, typer.Option("--api-key", envvar="KAPPA_ADMIN_API_KEY", help="The webhooks admin API key value.")
]


@app.command()
def redrive(
    max_messages: Annotated[
        int | None, typer.Option("--max", min=1, help="Move at most this many messages (default: all).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count and summarize; move nothing.")] = False,
    env: EnvOption = "dev",
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    dead_letter_queue_url: Annotated[
        str | None, typer.Option(help="Dead-letter queue URL (default: looked up by the environment's name).")
    ] = None,
    retry_queue_url: Annotated[
        str | None, typer.Option(help="Retry queue URL (default: looked up by the environment's name).")
    ] = None,
) -> None:
    """Move dead-lettered webhook deliveries back to the retry queue, restarting their attempts."""
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    if dead_letter_queue_url is None or retry_queue_url is None:
        try:
            names = load_config(env_name=env).names
        except ConfigError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(code=2) from None
        dead_letter_queue_url = (
            dead_letter_queue_url or sqs.get_queue_url(QueueName=names.dead_letter_queue)["QueueUrl"]
        )
        retry_queue_url = retry_queue_url or sqs.get_queue_url(QueueName=names.retry_queue)["QueueUrl"]
    verb = "would move" if dry_run else "moved"
    console.print(f"Redriving from {dead_letter_queue_url}\n          to   {retry_queue_url}")

    def show(report: RedriveReport) -> None:
        console.print(f"  … {verb} {report.moved} so far")

    report = redrive_dead_letters(
        sqs,
        dead_letter_url=dead_letter_queue_url,
        retry_url=retry_queue_url,
        max_messages=max_messages,
        dry_run=dry_run,
        progress=show,
    )
    _summarize(report, verb)
    if report.failed:
        raise typer.Exit(code=1)


def _summarize(report: RedriveReport, verb: str) -> None:
    if report.by_reason:
        table = Table("reason", "messages", title="Dead letters by reason")
        for reason, count in report.by_reason.most_common():
            table.add_row(reason, str(count))
        console.print(table)
    console.print(
        f"{verb} {report.moved} message(s); kept {report.kept_unreadable} unreadable; "
        f"{report.failed} refused by the retry queue"
        + (" (dry run: nothing moved)" if report.dry_run else "")
    )


@app.command("list")
def list_webhooks(api_url: ApiUrlOption, api_key: ApiKeyOption) -> None:
    """List webhook subscriptions."""
    client = WebhooksApiClient(api_url, api_key=api_key)
    table = Table(
        Column("id", no_wrap=True),
        "status",
        Column("event types", overflow="fold"),
        Column("url", overflow="fold"),
    )
    try:
        for item in client.list():
            table.add_row(item["id"], item["status"], ", ".join(item["event_types"]), item["url"])
    except WebhooksApiError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        client.close()
    console.print(table)


@app.command()
def create(
    url: Annotated[str, typer.Argument(help="The subscriber's public HTTPS endpoint.")],
    event_types: Annotated[
        list[str], typer.Option("--type", "-t", help="Insight type to receive (repeat for several).")
    ],
    api_url: ApiUrlOption,
    api_key: ApiKeyOption,
    description: Annotated[str | None, typer.Option(help="What the subscription is for.")] = None,
) -> None:
    """Register a subscription; prints its signing secret (shown only this once)."""
    client = WebhooksApiClient(api_url, api_key=api_key)
    try:
        created = client.create(url, event_types, description)
    except WebhooksApiError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        client.close()
    console.print(f"created {created['id']} for {created['url']}")
    console.print(f"signing secret (store it now, it is not shown again): [bold]{created['secret']}[/bold]")


@app.command()
def delete(
    subscription_id: Annotated[str, typer.Argument(help="The subscription id (wh_...).")],
    api_url: ApiUrlOption,
    api_key: ApiKeyOption,
) -> None:
    """Delete a subscription."""
    client = WebhooksApiClient(api_url, api_key=api_key)
    try:
        client.delete(subscription_id)
    except WebhooksApiError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    finally:
        client.close()
    console.print(f"deleted {subscription_id}")
