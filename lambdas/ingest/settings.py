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


LOG_BACKEND_ENV: Final = "LOG_BACKEND"
LOG_BACKENDS: Final = ("kinesis", "kafka")
KAFKA_BOOTSTRAP_SERVERS_ENV: Final = "KAFKA_BOOTSTRAP_SERVERS"
RAW_TOPIC_ENV: Final = "RAW_TOPIC"
KAFKA_SECURITY_ENV: Final = "KAFKA_SECURITY"


def log_backend() -> str:
    """`kinesis` (also when unset: today's deployments) or `kafka` (the stack's `log.backend: msk`)."""
    value = os.environ.get(LOG_BACKEND_ENV) or "kinesis"
    if value not in LOG_BACKENDS:
        raise RuntimeError(f"{LOG_BACKEND_ENV} must be one of {', '.join(LOG_BACKENDS)}, not {value!r}")
    return value


def _required(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: the ingestion stack sets it to {what} when LOG_BACKEND=kafka")
    return value


def kafka_bootstrap_servers() -> str:
    return _required(KAFKA_BOOTSTRAP_SERVERS_ENV, "the cluster's host:port[,host:port]")


def raw_topic() -> str:
    return _required(RAW_TOPIC_ENV, "<prefix>-raw-events")


def kafka_security() -> str:
    """`iam` (MSK: SASL_SSL + OAUTHBEARER, the default) or `plaintext` (the local broker and tests)."""
    value = os.environ.get(KAFKA_SECURITY_ENV) or "iam"
    if value not in ("iam", "plaintext"):
        raise RuntimeError(f"{KAFKA_SECURITY_ENV} must be iam or plaintext, not {value!r}")
    return value
