"""Builds the CDK app: one validated config, the stacks wired by explicit references, tags and cdk-nag.

`app.py` calls `build_app()`; tests call it with their own context and output directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.compliance import add_compliance_checks
from stacks.config import CONTEXT_KEYS, AppConfig, load_config
from stacks.ingestion_stack import IngestionStack


def build_app(context: dict[str, Any] | None = None, *, outdir: str | Path | None = None) -> cdk.App:
    """Create the app with every stack for the environment selected in `context` (cdk.json by default)."""
    app = cdk.App(context=context, outdir=str(outdir) if outdir else None)
    # The app merges `cdk -c key=value` from the CLI over `context`: read the merged view.
    config = load_config({key: app.node.try_get_context(key) for key in CONTEXT_KEYS})
    build_stacks(app, config)
    for key, value in {"Project": config.project, "Environment": config.env_name, **config.tags}.items():
        cdk.Tags.of(app).add(key, value)
    add_compliance_checks(app)
    return app


def build_stacks(app: cdk.App, config: AppConfig) -> None:
    """Instantiate the stacks of one environment and pass references between them."""
    env = cdk.Environment(account=config.account, region=config.region)
    ingestion = IngestionStack(
        app,
        "Ingestion",
        stack_name=f"{config.prefix}-ingestion",
        description="Kappa Commerce ingestion: API, ingestion function, raw events stream, S3 archive",
        env=env,
        settings=config.ingestion,
        names=config.names,
        retain_data=config.retain_data,
        lambda_build_dir=config.lambda_build_dir,
    )
    del ingestion  # passed explicitly to the stacks that build on it (raw_stream, archive_bucket, api)
