"""The whole CDK app: every stack of dev and prod passes cdk-nag (at synthesis) and cfn-lint, and the
monitoring stack watches the resources the other stacks create."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from tests.stacks.cdk_checks import cfn_lint

pytestmark = [pytest.mark.slow, pytest.mark.cdk]
STACKS = ("Ingestion", "Processing", "Delivery", "Monitoring")


def test_every_environment_synthesizes_every_stack(synthesized_apps: dict[str, tuple[cdk.App, Path]]) -> None:
    for _app, outdir in synthesized_apps.values():
        assert sorted(p.name for p in outdir.glob("*.template.json")) == sorted(
            f"{s}.template.json" for s in STACKS
        )


def test_every_template_is_cfn_lint_clean(synthesized_apps: dict[str, tuple[cdk.App, Path]]) -> None:
    templates = [
        t for _app, outdir in synthesized_apps.values() for t in sorted(outdir.glob("*.template.json"))
    ]
    assert cfn_lint(*templates) == []


def test_stacks_are_tagged_with_project_and_environment(
    synthesized_apps: dict[str, tuple[cdk.App, Path]],
) -> None:
    # The tags CloudFormation applies to every resource of a stack are in the cloud assembly manifest.
    for env, (_app, outdir) in synthesized_apps.items():
        artifacts = json.loads((outdir / "manifest.json").read_text())["artifacts"]
        for name in STACKS:
            assert artifacts[name]["properties"]["tags"] == {"Environment": env, "Project": "kappa-commerce"}


def test_the_monitoring_stacks_queue_alarms_watch_queues_the_delivery_stack_creates(
    synthesized_apps: dict[str, tuple[cdk.App, Path]],
) -> None:
    # The monitoring stack knows the queues only by name: a wrong name would alarm on a queue that never
    # has data, and `ignore` missing data would keep that alarm OK forever.
    for env, (_app, outdir) in synthesized_apps.items():
        delivery = json.loads((outdir / "Delivery.template.json").read_text())["Resources"]
        monitoring = json.loads((outdir / "Monitoring.template.json").read_text())["Resources"]
        queues = {r["Properties"]["QueueName"] for r in delivery.values() if r["Type"] == "AWS::SQS::Queue"}
        watched = {
            r["Properties"]["AlarmName"]: r["Properties"]["Dimensions"]
            for r in monitoring.values()
            if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "AWS/SQS"
        }

        assert watched == {
            f"kappa-{env}-webhook-dlq-not-empty": [
                {"Name": "QueueName", "Value": f"kappa-{env}-webhook-dlq"}
            ],
            f"kappa-{env}-insight-batches-failed": [
                {"Name": "QueueName", "Value": f"kappa-{env}-insights-failed-batches"}
            ],
        }
        assert {dims[0]["Value"] for dims in watched.values()} <= queues


def test_kinesis_environments_have_no_msk_log_and_no_vpc(
    synthesized_apps: dict[str, tuple[cdk.App, Path]],
) -> None:
    # log.backend defaults to kinesis: dev and prod deploy exactly the Kinesis pipeline, nothing of MSK.
    for _app, outdir in synthesized_apps.values():
        for stack in STACKS:
            types = {
                r["Type"]
                for r in json.loads((outdir / f"{stack}.template.json").read_text())["Resources"].values()
            }
            assert not {t for t in types if t.startswith(("AWS::MSK::", "AWS::EC2::"))}, stack
        ingestion = json.loads((outdir / "Ingestion.template.json").read_text())["Resources"]
        assert sum(r["Type"] == "AWS::Kinesis::Stream" for r in ingestion.values()) == 1
