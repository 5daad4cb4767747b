"""Test support for CDK stacks: synthesize with cdk-nag, surface its findings, run cfn-lint on templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk

from stacks.compliance import add_compliance_checks


class NagFindingsError(AssertionError):
    """cdk-nag reported unacknowledged findings; the message lists rule, resource path and description."""


def synth_with_nag(app: cdk.App) -> Path:
    """Synthesize `app` with the AwsSolutions pack; raise NagFindingsError listing every finding.

    Apps built by `stacks.application.build_app` already have the checks; pass `add_checks=True` apps
    built by hand in a test (see `synth_stack_with_nag`).
    """
    try:
        app.synth()
    except RuntimeError:
        # The error's text changes between CDK versions ("Validation failed", "ValidationFailed: ..."):
        # go by the report CDK writes into the fresh output directory instead.
        report = Path(app.outdir) / "validation-report.json"
        findings = describe_findings(report) if report.exists() else []
        if not findings:
            raise
        raise NagFindingsError("cdk-nag findings:\n" + "\n".join(findings)) from None
    return Path(app.outdir)


def synth_stack_with_nag(app: cdk.App) -> Path:
    """Add the AwsSolutions checks to a hand-built test app, then synthesize (see `synth_with_nag`)."""
    add_compliance_checks(app)
    return synth_with_nag(app)


def describe_findings(report_path: Path) -> list[str]:
    report = json.loads(report_path.read_text())
    lines = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                lines.append(
                    f"{violation['ruleName']} at {construct['constructPath']}: {violation['description']}"
                )
    return lines


def cfn_lint(*templates: Path) -> list[str]:
    """Run cfn-lint on synthesized templates; returns its findings (empty when clean)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) and not result.stdout:
        raise RuntimeError(f"cfn-lint failed to run: {result.stderr.strip()[-2000:]}")
    return [line for line in result.stdout.splitlines() if line.strip()]
