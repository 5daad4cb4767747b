"""Builds Lambda code assets into `build/lambda/<function>/`: our sources plus pinned deps for arm64/3.12.

CDK only points at the result (`Code.from_asset`), so synthesis stays offline and needs no Docker.
`python -m stacks.lambda_build` (or `make build-lambdas`) builds every function; `--sources-only` skips
the dependency install (used by tests, which synthesize but never deploy).

Each function folder `lambdas/<name>/` has a `requirements.txt` with the pins it needs at run time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUILD_DIR = REPO_ROOT / "build" / "lambda"
SHARED_PACKAGES = ("events",)
SHARED_LAMBDA_PACKAGES: dict[str, tuple[str, ...]] = {
    "fanout": ("webhooks_common",),
    "webhooks_api": ("webhooks_common",),
}
"""Library folders under `lambdas/` (no handler.py) and the functions that bundle them."""
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "requirements.txt")


def function_names() -> list[str]:
    """Every Lambda function in `lambdas/` (a folder with a handler.py)."""
    return sorted(p.parent.name for p in (REPO_ROOT / "lambdas").glob("*/handler.py"))


def build_function(name: str, build_dir: Path = DEFAULT_BUILD_DIR, *, sources_only: bool = False) -> Path:
    """Lay out one function's asset: `lambdas/<name>`, the shared packages, and its pinned dependencies."""
    source = REPO_ROOT / "lambdas" / name
    if not (source / "handler.py").exists():
        raise FileNotFoundError(f"no Lambda function {name!r}: {source}/handler.py does not exist")
    target = build_dir / name
    shutil.rmtree(target, ignore_errors=True)
    (target / "lambdas").mkdir(parents=True)
    (target / "lambdas" / "__init__.py").write_text('"""Lambda handlers."""\n')
    shutil.copytree(source, target / "lambdas" / name, ignore=_IGNORED)
    for package in SHARED_PACKAGES:
        shutil.copytree(REPO_ROOT / package, target / package, ignore=_IGNORED)
    for package in SHARED_LAMBDA_PACKAGES.get(name, ()):
        shutil.copytree(REPO_ROOT / "lambdas" / package, target / "lambdas" / package, ignore=_IGNORED)
    requirements = source / "requirements.txt"
    if requirements.exists() and not sources_only:
        _install_dependencies(requirements, target)
    return target


def _install_dependencies(requirements: Path, target: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--requirement", str(requirements),
        "--target", str(target),
        "--platform", LAMBDA_PLATFORM,
        "--python-version", LAMBDA_PYTHON_VERSION,
        "--implementation", "cp",
        "--only-binary=:all:",
        "--upgrade",
    ]  # fmt: skip
    subprocess.run(command, check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="functions to build (default: all)")
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    parser.add_argument("--sources-only", action="store_true", help="skip installing dependencies")
    args = parser.parse_args(argv)
    for name in args.names or function_names():
        path = build_function(name, args.build_dir, sources_only=args.sources_only)
        print(f"built {name} → {path}")


if __name__ == "__main__":
    main()
