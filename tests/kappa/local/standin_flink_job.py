"""A stand-in for the Flink job in runtime tests (tests only): archive files in, one insight out per event.

It has the real job's interface (`--properties FILE` in the Managed Flink shape, a continuously
monitored files source, a files sink committed on checkpoint) and nothing of its logic.
"""

from __future__ import annotations

import argparse
import json

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--properties", required=True)
    args = parser.parse_args()
    with open(args.properties) as file:
        groups = {g["PropertyGroupId"]: g["PropertyMap"] for g in json.load(file)}
    settings = groups["standin"]
    env = StreamExecutionEnvironment.get_execution_environment()
    tables = StreamTableEnvironment.create(env)
    tables.execute_sql(
        f"""CREATE TABLE archive (event_id STRING, user_id STRING, occurred_at STRING, event_type STRING) WITH (
            'connector' = 'filesystem', 'path' = '{settings["input"]}', 'format' = 'json',
            'json.ignore-parse-errors' = 'true', 'source.monitor-interval' = '200ms')"""
    )
    tables.execute_sql(
        f"""CREATE TABLE insights (insight_id STRING, type STRING, occurred_at STRING, emitted_at STRING,
            job_version STRING, user_id STRING, payload ROW<window_start STRING, window_end STRING,
            events_by_type MAP<STRING, BIGINT>, funnel MAP<STRING, BIGINT>>) WITH (
            'connector' = 'filesystem', 'path' = '{settings["output"]}', 'format' = 'json',
            'sink.rolling-policy.rollover-interval' = '1s', 'sink.rolling-policy.check-interval' = '200ms')"""
    )
    # One "metrics" insight per event: a valid envelope, so the real fan-out delivers it.
    tables.execute_sql(
        "INSERT INTO insights SELECT CONCAT('metrics:', event_id), 'metrics', occurred_at, occurred_at, "
        "'standin', user_id, ROW(occurred_at, occurred_at, MAP[event_type, CAST(1 AS BIGINT)], "
        "MAP['views', CAST(1 AS BIGINT)]) FROM archive"
    ).wait()


if __name__ == "__main__":
    main()
