"""The whole CDK app for environments pinned to a region (and account): cdk-nag and cfn-lint stay clean.

With `region`/`account` set, CDK writes the literal partition, region and account into ARNs where an
environment-agnostic stack has `AWS::Partition`-style tokens, and cdk-nag names findings after those
literals: an acknowledgment that hard-codes `<AWS::Region>` stops matching. The default `dev`/`prod` are
environment-agnostic (tests/stacks/test_application.py), `dev-msk` has a region only
(tests/stacks/test_application_msk.py); these cover the other combinations, one synthesis each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.application import build_app
from stacks.config import CDK_JSON
from tests.stacks.cdk_checks import NagFindingsError, cfn_lint, synth_with_nag

pytestmark = [pytest.mark.slow, pytest.mark.cdk]
STACKS = ("Ingestion", "Processing", "Delivery", "Monitoring")
ACCOUNT = "123456789012"
REGION = "eu-west-1"

# name → (cdk.json environment, overrides): the pinned variants no other module synthesizes.
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "prod-region-account": ("prod", {"region": REGION, "account": ACCOUNT}),
    "prod-region": ("prod", {"region": REGION}),
    "dev-msk-account": ("dev-msk", {"account": ACCOUNT}),
}


@dataclass(frozen=True)
class PinnedSynth:
    """One pinned variant, synthesized with cdk-nag: where the templates went and what cdk-nag reported."""

    variant: str
    outdir: Path
    nag_findings: str  # empty when cdk-nag accepted every stack


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def pinned(
    request: pytest.FixtureRequest,
    all_lambdas_build_dir: Path,
    flink_package: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> PinnedSynth:
    """One variant of `VARIANTS`, synthesized once for this module (pytest orders tests by variant)."""
    env, overrides = VARIANTS[request.param]
    context = json.loads(CDK_JSON.read_text())["context"]
    outdir = tmp_path_factory.mktemp(f"cdk-{request.param}")
    app = build_app(
        {
            **context,
            "env": env,
            "overrides": overrides,
            "lambda_build_dir": str(all_lambdas_build_dir),
            "flink_package": str(flink_package),
        },
        outdir=outdir,
    )
    try:
        synth_with_nag(app)
    except NagFindingsError as findings:
        # CDK writes the templates before validating them: keep going so cfn-lint still runs.
        return PinnedSynth(request.param, outdir, str(findings))
    return PinnedSynth(request.param, outdir, "")


def test_stacks_are_deployed_to_the_pinned_account_and_region(pinned: PinnedSynth) -> None:
    # Guards the other tests: without a pinned environment they would only repeat test_application.py.
    env, overrides = VARIANTS[pinned.variant]
    base = json.loads(CDK_JSON.read_text())["context"]["environments"][env]
    settings = {**base, **overrides}
    expected = f"aws://{settings.get('account', 'unknown-account')}/{settings['region']}"
    artifacts = json.loads((pinned.outdir / "manifest.json").read_text())["artifacts"]
    assert {name: artifacts[name]["environment"] for name in STACKS} == dict.fromkeys(STACKS, expected)


def test_cdk_nag_accepts_every_stack(pinned: PinnedSynth) -> None:
    assert pinned.nag_findings == ""


def test_every_template_is_cfn_lint_clean(pinned: PinnedSynth) -> None:
    templates = sorted(pinned.outdir.glob("*.template.json"))
    assert [t.name for t in templates] == sorted(f"{s}.template.json" for s in STACKS)
    assert cfn_lint(*templates) == []
