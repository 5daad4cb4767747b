"""Builds the CDK app: one validated config, the stacks wired by explicit references, tags and cdk-nag.

`app.py` calls `build_app()`; tests call it with their own context and output directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.compliance import add_compliance_checks
from stacks.config import AppConfig, load_config


def build_app(context: dict[str, Any] | None = None, *, outdir: str | Path | None = None) -> cdk.App:
    """Create the app with every stack for the environment selected in `context` (cdk.json by default)."""
    app = cdk.App(context=context, outdir=str(outdir) if outdir else None)
    # The app merges `cdk -c key=value` from the CLI over `context`: read the merged view.
    config = load_config({key: app.node.try_get_context(key) for key in ("env", "environments", "overrides")})
    build_stacks(app, config)
    for key, value in {"Project": config.project, "Environment": config.env_name, **config.tags}.items():
        cdk.Tags.of(app).add(key, value)
    add_compliance_checks(app)
    return app


def build_stacks(app: cdk.App, config: AppConfig) -> None:
    """Instantiate the stacks of one environment and pass references between them."""
    env = cdk.Environment(account=config.account, region=config.region)
    del env  # used as stacks are added
