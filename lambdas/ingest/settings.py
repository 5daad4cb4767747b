"""The ingestion Lambda's environment, read through small accessors (the stack sets these variables)."""

from __future__ import annotations

import os
from typing import Final

RAW_STREAM_NAME_ENV: Final = "RAW_STREAM_NAME"
"""Set by the stack when it grants the function write access to the raw events stream."""
PUT_RECORDS_TIME_BUDGET_ENV: Final = "PUT_RECORDS_TIME_BUDGET_SECONDS"
DEFAULT_PUT_RECORDS_TIME_BUDGET_SECONDS: Final = 8.0


def raw_stream_name() -> str:
    name = os.environ.get(RAW_STREAM_NAME_ENV)
    if not name:
        raise RuntimeError(
            f"{RAW_STREAM_NAME_ENV} is not set: the ingestion stack sets it when it grants the stream"
        )
    return name


def put_records_time_budget_seconds() -> float:
    """How long one request may keep retrying refused records before answering 503."""
    value = os.environ.get(PUT_RECORDS_TIME_BUDGET_ENV)
    if not value:
        return DEFAULT_PUT_RECORDS_TIME_BUDGET_SECONDS
    try:
        budget = float(value)
    except ValueError:
        raise RuntimeError(
            f"{PUT_RECORDS_TIME_BUDGET_ENV} must be a number of seconds, not {value!r}"
        ) from None
    if budget <= 0:
        raise RuntimeError(f"{PUT_RECORDS_TIME_BUDGET_ENV} must be positive, not {value!r}")
    return budget
