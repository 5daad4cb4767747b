"""The job's Flink SQL, one module per analysis. Each returns `Statements`: views to register and INSERTs.

SQL is where the volume goes (the JVM runs it at hundreds of thousands of events per second); Python UDFs
(`flink_app/udfs.py`) only see what SQL has already reduced: one row per window, session, cart or trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class View:
    name: str
    query: str


@dataclass(frozen=True, slots=True)
class Insert:
    table: str
    query: str

    @property
    def statement(self) -> str:
        return f"INSERT INTO `{self.table}`\n{self.query}"


@dataclass(frozen=True, slots=True)
class Statements:
    views: tuple[View, ...] = ()
    inserts: tuple[Insert, ...] = field(default_factory=tuple)

    def __add__(self, other: Statements) -> Statements:
        return Statements(self.views + other.views, self.inserts + other.inserts)


def interval(milliseconds: int) -> str:
    """An SQL day-to-second interval literal (Flink accepts any length this way, e.g. '0 00:14:00.000')."""
    total_seconds, millis = divmod(milliseconds, 1000)
    days, rest = divmod(total_seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    return f"INTERVAL '{days} {hours:02d}:{mins:02d}:{secs:02d}.{millis:03d}' DAY TO SECOND(3)"


def string_literal(value: str) -> str:
    """An SQL character string literal (quotes doubled): `it's` → `'it''s'`."""
    return "'" + value.replace("'", "''") + "'"


def minutes(value: int) -> str:
    return interval(value * 60_000)


def seconds(value: int) -> str:
    return interval(value * 1000)


def cents(amount_sql: str) -> str:
    """SQL for integer cents of a DOUBLE money amount (exact sums, whatever the summation order)."""
    return f"CAST(ROUND({amount_sql} * 100, 0) AS BIGINT)"
