"""Shared CDK test assets: Lambda sources built once, a stand-in application zip for Managed Flink."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.application import build_app
from stacks.config import CDK_JSON
from stacks.lambda_build import build_function, function_names
from tests.stacks.cdk_checks import synth_with_nag

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_DEPRECATED", "quiet")


@pytest.fixture(scope="session")
def all_lambdas_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every function's sources laid out as `make build-lambdas` would (without dependencies)."""
    build_dir = tmp_path_factory.mktemp("lambda-build-all")
    for name in function_names():
        build_function(name, build_dir, sources_only=True)
    return build_dir


@pytest.fixture(scope="session")
def flink_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small zip where `make package-flink` would put the application (synthesis only uploads it)."""
    path = tmp_path_factory.mktemp("flink-build") / "kappa-analytics.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("main.py", "# test stand-in: synthesis needs a file, never runs it\n")
    return path


@pytest.fixture(scope="session")
def synthesized_apps(
    all_lambdas_build_dir: Path, flink_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[cdk.App, Path]]:
    """The whole app (every stack) for dev and prod, synthesized once per test session with cdk-nag."""
    context = json.loads(CDK_JSON.read_text())["context"]
    apps = {}
    for env in ("dev", "prod"):
        outdir = tmp_path_factory.mktemp(f"cdk-{env}")
        app = build_app(
            {
                **context,
                "env": env,
                "lambda_build_dir": str(all_lambdas_build_dir),
                "flink_package": str(flink_package),
            },
            outdir=outdir,
        )
        synth_with_nag(app)  # raises NagFindingsError listing any unacknowledged finding
        apps[env] = (app, outdir)
    return apps
