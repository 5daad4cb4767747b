"""Writes the golden files of the Java insight envelopes' JUnit tests from the Python reference (run once, commit).

    .venv/bin/python -m tests.flink_app.java_insight_goldens

Into flink_app/src/test/resources/dev/kappa/flink/insights/: what orjson writes for floats (any double, Python's
round to 2/3/4 decimals, from_cents, ms / 1000), format_rfc3339, make_insight_id, orjson's string escapes, and
whole session_summary / product_recommendation insights (emitted_at fixed). Seeded: the same files every run.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import orjson

from events import format_rfc3339, make_insight_id
from flink_app.rules.money import from_cents

OUT = Path(__file__).resolve().parents[2] / "flink_app/src/test/resources/dev/kappa/flink/insights"
EMITTED_AT = "2026-12-07T00:00:00.000Z"


def bits(value: float) -> str:
    return f"{struct.unpack('<q', struct.pack('<d', value))[0]:016x}"


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def random_doubles(rng: random.Random, count: int) -> list[float]:
    values: list[float] = []
    while len(values) < count:
        kind = rng.random()
        if kind < 0.4:  # any finite double
            value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if value != value or value in (float("inf"), float("-inf")):
                continue
        elif kind < 0.8:  # around the layout switches (1e-5 ... 1e16) and everyday magnitudes
            value = rng.uniform(1, 10) * 10 ** rng.randint(-8, 18) * rng.choice((1, -1))
        else:  # short decimals, k / 10^n
            value = rng.randint(-(10**7), 10**7) / 10 ** rng.randint(0, 8)
        values.append(value)
    return values


def special_doubles() -> list[float]:
    edges = [0.0, -0.0, 1e-5, 9.999999999999999e-6, 1e-6, 1.5e-5, 1e-4, 0.1, 1.0, 1e15, 9999999999999998.0,
             1e16, 1.5e16, 1e22, 1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.30000000000000004,
             123456789012345.67, 1234567890123456.8]  # fmt: skip
    return edges + [-value for value in edges]


def main() -> None:
    rng = random.Random(20261207)
    OUT.mkdir(parents=True, exist_ok=True)
    doubles = special_doubles() + random_doubles(rng, 4000)
    lines = [f"{bits(v)}\t{dumps(v)}" for v in doubles]
    (OUT / "floats.tsv").write_text("\n".join(lines) + "\n")

    rounded = []
    for digits in (2, 3, 4):
        candidates = special_doubles() + random_doubles(rng, 1500)
        # halves of the last kept digit (ties on the decimal, not on the binary value) and tiny negatives
        candidates += [rng.randint(-(10**9), 10**9) / 10**digits + 5 / 10 ** (digits + 1) for _ in range(500)]
        candidates += [-rng.random() * 10**-digits / 2 for _ in range(50)]
        for value in candidates:
            result = round(value, digits)
            rounded.append(f"{digits}\t{bits(value)}\t{dumps(result)}")
    (OUT / "rounded.tsv").write_text("\n".join(rounded) + "\n")

    cents = [0, 1, -1, 5, 10, 99, 100, 1999, -350, 10**15 - 1, 10**15, -(10**15), 10**16 + 1, 2**53 + 1,
             9_223_372_036_854_775_807, -9_223_372_036_854_775_808]  # fmt: skip
    cents += [rng.randint(-(10**6), 10**7) for _ in range(1000)]
    cents += [rng.randint(-(2**63), 2**63 - 1) for _ in range(300)]
    money = [f"cents\t{c}\t{dumps(from_cents(c))}" for c in cents]
    money += [f"seconds\t{c}\t{dumps(c / 1000)}" for c in cents]
    (OUT / "integers.tsv").write_text("\n".join(money) + "\n")

    times = [0, 1, 999, 86_399_999, 86_400_000, 1_767_225_600_000, 253_402_300_799_999, -1, -999, -1000, -1001,
             -86_400_001, -2_208_988_800_001, -30_610_223_999_999, -62_135_596_800_000, -62_135_596_799_877]  # fmt: skip
    times += [rng.randint(0, 253_402_300_799_999) for _ in range(1000)]
    times += [rng.randint(-62_135_596_800_000, -1) for _ in range(1000)]
    (OUT / "rfc3339.tsv").write_text("\n".join(f"{t}\t{format_rfc3339(t)}" for t in times) + "\n")

    alphabet = [chr(c) for c in range(0x80)] + ["é", "€", "\u2028", "😀", "/"]
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(500)]
    strings += [chr(c) for c in range(0x80)]
    (OUT / "strings.tsv").write_text(
        "\n".join(f"{s.encode().hex()}\t{dumps(s)}" for s in strings) + "\n", encoding="utf-8"
    )

    ids = []
    id_alphabet = "abcXYZ019_.:@|-"
    for _ in range(300):
        parts = [
            "".join(rng.choice(id_alphabet) for _ in range(rng.randint(0, 10)))
            for _ in range(rng.randint(1, 4))
        ]
        insight_type = rng.choice(("session_summary", "product_recommendation"))
        material = "\t".join(p.encode().hex() for p in parts)
        ids.append(f"{insight_type}\t{make_insight_id(insight_type, *parts)}\t{material}")
    (OUT / "ids.tsv").write_text("\n".join(ids) + "\n")

    (OUT / "sessions.tsv").write_text("\n".join(session_lines(rng)) + "\n")


def nullable(value: object) -> str:
    return "\\N" if value is None else str(value)


def session_lines(rng: random.Random) -> list[str]:
    """`user, session, started, ended, events, page_views, product_views, searches, cart_adds, cart_value_cents,
    cart_currency, checkouts, order_amounts` (\\N = None) and the insight, emitted_at fixed."""
    from flink_app.rules.insights import session_insight
    from flink_app.rules.sessions import SessionAggregates

    lines = []
    for _ in range(200):
        started = rng.randint(1_700_000_000_000, 1_800_000_000_000)
        orders = [
            f"{rng.choice(('EUR', 'USD', 'GBP', 'JPY'))},{rng.randint(-5, 10**6)}"
            for _ in range(rng.randint(0, 4))
        ]
        args = [
            f"u-{rng.randint(0, 999)}@x|y.z:1_-",
            f"s-{rng.randint(0, 99)}",
            started,
            started + rng.choice((0, 1, 999, 1000, rng.randint(0, 10**7))),
            *[rng.randint(0, 50) for _ in range(5)],
            rng.choice((0, 1, 5, 100, 1999, rng.randint(0, 10**8))),
            rng.choice((None, "EUR", "USD")),
            rng.randint(0, 3),
            ";".join(orders) if orders else rng.choice((None, "")),
        ]
        insight = session_insight(SessionAggregates(*args), job_version="v-golden")
        insight["emitted_at"] = EMITTED_AT
        lines.append("\t".join([*map(nullable, args), dumps(insight)]))
    return lines


if __name__ == "__main__":
    main()
