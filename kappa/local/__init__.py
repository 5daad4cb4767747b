"""The embedded local runtime: the whole pipeline on one machine, with the real handlers and the real job.

>>> from kappa.local import LocalRuntime, RuntimeOptions      # doctest: +SKIP
>>> with LocalRuntime(RuntimeOptions(data_dir=".kappa")) as runtime:  # doctest: +SKIP
...     print(runtime.info.api_url)

`kappa local up` and `kappa demo` are built on it; `docs/local-runtime.md` explains every part. The
names below load lazily: the Lambda worker processes import `kappa.local.function_worker` and must not
pay for moto, boto3 and the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "LocalRuntime": "kappa.local.runtime",
    "RuntimeOptions": "kappa.local.runtime",
    "RuntimeInfo": "kappa.local.runtime",
    "RuntimeStats": "kappa.local.runtime",
    "DataDir": "kappa.local.paths",
    "WebhookReceiver": "kappa.local.receiver",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'kappa.local' has no attribute {name!r}")
