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


def run_starts(source_sql: str, *, flag: str, order_by: str, partition_by: str | None = None) -> str:
    """The rows of `source_sql` where `flag` is TRUE and the row before it (in `order_by` order, per
    `partition_by`) has it FALSE: the start of each run of TRUE rows that follows a FALSE row. That is what
    `MATCH_RECOGNIZE (ORDER BY <order_by> ... AFTER MATCH SKIP TO LAST T PATTERN (N T) DEFINE N AS NOT N.<flag>,
    T AS T.<flag>)` matches (a pattern's rows are consecutive; the first row of a partition has no N before it;
    a NULL flag satisfies neither condition), written as an OVER window over the row and the one before it:
    one comparison per row instead of Flink's CEP operator (its NFA and shared buffer; measured CPU-neutral in
    the job, docs/benchmarks.md run 10, and one operator kind fewer in the plan).
    `order_by` must be the source's time attribute (ascending, as every streaming OVER window). The result has
    the source's columns plus `_rows` and `_false_rows`, the frame's counts."""
    partition = f"PARTITION BY {partition_by} " if partition_by else ""
    return f"""SELECT * FROM (
  SELECT *,
    COUNT(*) OVER `previous` AS `_rows`,
    SUM(CASE WHEN NOT {flag} THEN 1 ELSE 0 END) OVER `previous` AS `_false_rows`
  FROM ({source_sql})
  WINDOW `previous` AS ({partition}ORDER BY {order_by} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
) WHERE {flag} AND `_rows` = 2 AND `_false_rows` = 1"""
