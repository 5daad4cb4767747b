"""Builds Lambda code assets into `build/lambda/<function>/`: our sources plus pinned deps for arm64/3.12.

CDK only points at the result (`Code.from_asset`), so synthesis stays offline and needs no Docker.
`python -m stacks.lambda_build` (or `make build-lambdas`) builds every function; `--sources-only` skips
the dependency install (used by tests, which synthesize but never deploy).

Each function folder `lambdas/<name>/` has a `requirements.txt` with the pins it needs at run time.
The AWS SDK that the Lambda runtime already ships (boto3 and its dependencies) is removed from the asset
when it only came in as a transitive dependency (e.g. aws-xray-sdk → botocore): a second, different
botocore beside the runtime's boto3 would be version skew, and 30 MB. Name it in requirements.txt to
bundle it on purpose.
"""

from __future__ import annotations

import argparse
import email.parser
import re
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
# The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels run there too, and
# some packages (jsonschema-rs) publish aarch64 wheels only for it.
LAMBDA_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
LAMBDA_RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
"""Distributions the Lambda Python runtime provides (boto3 and its dependency closure)."""
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
        requested = _requirement_names(requirements)
        _remove_distributions(target, LAMBDA_RUNTIME_PACKAGES - requested)
    return target


def _install_dependencies(requirements: Path, target: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--requirement", str(requirements),
        "--target", str(target),
        *(option for platform in LAMBDA_PLATFORMS for option in ("--platform", platform)),
        "--python-version", LAMBDA_PYTHON_VERSION,
        "--implementation", "cp",
        "--only-binary=:all:",
        "--upgrade",
        "--no-compile",  # bytecode of the build interpreter is useless to the 3.12 runtime
    ]  # fmt: skip
    subprocess.run(command, check=True)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: Path) -> set[str]:
    """Normalized distribution names a requirements file asks for (`name[extra]==1.0` → `name`)."""
    names = set()
    for line in requirements.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if match:
            names.add(_normalize(match.group(1)))
    return names


def _remove_distributions(target: Path, names: set[str] | frozenset[str]) -> None:
    """Uninstall distributions from a `pip install --target` tree, file by file from their RECORD."""
    wanted = {_normalize(name) for name in names}
    root = target.resolve()
    for dist_info in sorted(target.glob("*.dist-info")):
        metadata = email.parser.Parser().parsestr((dist_info / "METADATA").read_text(errors="replace"))
        if _normalize(metadata.get("Name", "")) not in wanted:
            continue
        directories = set()
        for row in (dist_info / "RECORD").read_text().splitlines():
            recorded = Path(row.split(",", 1)[0])
            if ".." in recorded.parts and "bin" in recorded.parts:  # scripts: ../../bin/x → <target>/bin/x
                recorded = Path("bin", *recorded.parts[recorded.parts.index("bin") + 1 :])
            path = (target / recorded).resolve()
            if path.is_relative_to(root) and path.is_file():
                path.unlink()
                directories.add(path.parent)
        shutil.rmtree(dist_info, ignore_errors=True)
        for directory in sorted(directories, key=lambda d: len(d.parts), reverse=True):
            while directory != root and directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
                directory = directory.parent


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
