"""Writes the golden files of the Java insight envelopes' JUnit tests from the Python reference (run once, commit).

    .venv/bin/python -m tests.flink_app.java_insight_goldens

Into flink_app/src/test/resources/dev/kappa/flink/insights/: what orjson writes for floats (any double, Python's
round to 2/3/4 decimals, from_cents, ms / 1000), format_rfc3339, make_insight_id, orjson's string escapes, and
whole session_summary / product_recommendation / cart_abandoned insights (emitted_at fixed). Seeded: the same files
every run (each file its own stream of the seed, so adding a file does not change the others).
"""

from __future__ import annotations

import math
import random
import string
import struct
from pathlib import Path

import orjson

from events import format_rfc3339, make_insight_id
from flink_app.rules.insights import abandoned_cart_insights, recommendation_insight
from flink_app.rules.lines import CartChange
from flink_app.rules.money import from_cents
from flink_app.rules.recommendations import recommend_for_trigger

ID_CHARACTERS = string.ascii_letters + string.digits + "_.:@|-"
"""What the event contract allows in an identifier."""
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
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

    (OUT / "decay.tsv").write_text("\n".join(decay_lines(rng)) + "\n")

    (OUT / "recommendations.tsv").write_text("\n".join(recommendation_lines(rng)) + "\n")

    (OUT / "abandoned_carts.tsv").write_text("\n".join(abandoned_cart_lines(random.Random(20261215))) + "\n")


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


def an_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(ID_CHARACTERS) for _ in range(rng.randint(0, 12)))


RECOMMENDATION_OPTIONS = (
    {"top_k": 5, "min_support": 1.0, "half_life_ms": 240 * MINUTE, "abandon_after_ms": 30 * MINUTE},
    {"top_k": 2, "min_support": 0.3, "half_life_ms": 120 * MINUTE, "abandon_after_ms": 1 * MINUTE},
    {"top_k": 1, "min_support": 0.0, "half_life_ms": 7 * MINUTE, "abandon_after_ms": 5 * MINUTE},
)
"""Configurations of recommendation_insights: 0.3 is not a binary fraction, 0.0 lets every score through."""


def random_triggers(rng: random.Random, count: int) -> list[tuple]:
    """Rows `user_id, session_id, event_id, event_type, product_id, ts_ms, cart_history, neighbors, version_ms`
    as the interval join hands them over: neighbors best first with 6 decimals (ties, exact min_support values, the
    trigger product among them), cart histories with same-millisecond changes of every kind, changes after the
    trigger, abandoned carts, None and "" where SQL may give them."""
    products = [f"p-{i:02d}" for i in range(10)] + [an_id(rng, "p") for _ in range(5)]
    rows = []
    for _ in range(count):
        version_ms = START_MS + rng.randint(0, 10**10)
        age = rng.choice(
            (0, 1, -5_000, rng.randint(0, 5 * MINUTE), rng.randint(0, 60 * MINUTE), rng.randint(0, 10**9))
        )
        ts_ms = version_ms + age
        product_id = rng.choice([*products, ""])
        scores = ["0.300000", "1.000000", "9.000000", "4.500000"]
        neighbors = [
            f"{rng.choice(products)},{rng.choice(scores) if rng.random() < 0.3 else f'{rng.randint(0, 10**8) / 10**6:.6f}'}"
            for _ in range(rng.randint(0, 12))
        ]
        changes = []
        for _ in range(rng.randint(0, 8)):
            kind = rng.choice(("add", "add", "remove", "purchase"))
            at = ts_ms + rng.choice(
                (0, 0, -1, 1, -rng.randint(0, 10 * MINUTE), -rng.randint(0, 120 * MINUTE))
            )
            changes.append(
                CartChange(at, kind, an_id(rng, "e"), an_id(rng, "s"), rng.choice(products) if kind != "purchase" else "",
                           rng.choice((0, 1, 1, 2, 3)) if kind != "purchase" else 0, rng.randint(1, 10**5), "EUR")
            )  # fmt: skip
        rows.append(
            (
                an_id(rng, "u"),
                an_id(rng, "s"),
                an_id(rng, "e"),
                rng.choice(("add_to_cart", "product_view")),
                product_id,
                ts_ms,
                ";".join(c.encode() for c in changes) if changes else rng.choice((None, "")),
                ";".join(neighbors) if neighbors else rng.choice((None, "")),
                version_ms,
            )
        )
    return rows


def python_recommendation(row: tuple, options: dict, job_version: str) -> dict | None:
    """The insight the Python UDF wrote for one row (udfs.RecommendationInsights before Java), or None."""
    user_id, session_id, event_id, event_type, product_id, ts_ms, cart_history, neighbors, version_ms = row
    chosen = recommend_for_trigger(
        trigger_product_id=product_id, at_ms=ts_ms, cart_history=cart_history, neighbors=neighbors,
        version_ms=version_ms, **options,
    )  # fmt: skip
    if not chosen:
        return None
    return recommendation_insight(
        user_id=user_id, session_id=session_id, trigger_event_id=event_id, trigger_event_type=event_type,
        trigger_product_id=product_id, occurred_at_ms=ts_ms, model_version_ms=version_ms, recommendations=chosen,
        job_version=job_version,
    )  # fmt: skip


def recommendation_lines(rng: random.Random) -> list[str]:
    """`option index`, the row's 9 fields (\\N = None), and the insight (emitted_at fixed) or \\N."""
    lines = []
    for index, options in enumerate(RECOMMENDATION_OPTIONS):
        for row in random_triggers(rng, 300):
            insight = python_recommendation(row, options, "v-golden")
            if insight is not None:
                insight["emitted_at"] = EMITTED_AT
            lines.append(
                "\t".join([str(index), *map(nullable, row), "\\N" if insight is None else dumps(insight)])
            )
    return lines


ABANDON_AFTER_MINUTES = (30, 1, 7 * 1440)
"""Configurations of abandoned_cart_insights (analytics.abandonment.after_minutes: default, minimum, a week)."""
CART_PRODUCTS = ("p-01", "p-02", "p-03", "p-10", "p-1", "")
CART_PRICES = (0, 1, 5, 99, 100, 1999, 10**15 - 1, 10**15, 2**53 + 1, 2**63 - 1)
"""Cents as SQL's BIGINT may hold them: at and beyond 15 digits, and a price whose line value leaves 64 bits."""


def random_cart_windows(
    rng: random.Random, count: int, *, abandon_after_ms: int
) -> list[tuple[str | None, str | None]]:
    """Rows `user_id, changes` as `cart_windows` hands them over (changes in `rules.lines` text, listed in any
    order), and beyond what one session window holds: gaps of exactly abandon_after and one ms more (carts
    abandoned inside the text), same-millisecond changes of every kind and equal event ids, removes of absent
    products, quantities of 0 and below, prices at the float limits and line values beyond 64 bits, empty
    currencies, product and session ids, empty quantity and price fields, empty records, instants before 1970,
    None and "" for no changes, a None user id."""
    products = [*CART_PRODUCTS, *(an_id(rng, "p") for _ in range(3))]
    rows: list[tuple[str | None, str | None]] = []
    for _ in range(count):
        at = rng.choice(
            (START_MS + rng.randint(0, 10**10), START_MS + rng.randint(0, 10**10), -rng.randint(1, 10**12))
        )
        records = []
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 6, 10))):
            at += rng.choice((0, 0, 1, rng.randint(1, abandon_after_ms), abandon_after_ms, abandon_after_ms + 1,
                              rng.randint(0, 3 * abandon_after_ms)))  # fmt: skip
            kind = rng.choice("aaaaarrrpp")
            product = "" if kind == "p" else rng.choice(products)
            quantity = "0" if kind == "p" else str(rng.choice((1, 1, 1, 2, 3, 0, -1, 5, 2**40, "")))
            price = "0" if kind != "a" else str(rng.choice((*CART_PRICES, rng.randint(1, 10**6), "")))
            currency = rng.choice(("EUR", "EUR", "USD", "GBP", "JPY", ""))
            session = rng.choice((an_id(rng, "s"), "s1", ""))
            records.append(
                f"{at},{kind},{rng.choice((an_id(rng, 'e'), 'e'))},{session},{product},{quantity},{price},{currency}"
            )
        rng.shuffle(records)
        if records and rng.random() < 0.1:
            records.insert(
                rng.randint(0, len(records)), ""
            )  # an empty record: ";;", or a leading/trailing ";"
        user = None if rng.random() < 0.03 else an_id(rng, "u")
        rows.append((user, ";".join(records) if records else rng.choice((None, ""))))
    return rows


def abandoned_cart_lines(rng: random.Random) -> list[str]:
    """`abandon_after_minutes, user_id, changes` (\\N = None), then the insights (emitted_at fixed), in order."""
    lines = []
    for minutes in ABANDON_AFTER_MINUTES:
        for user, changes in random_cart_windows(rng, 300, abandon_after_ms=minutes * MINUTE):
            insights = abandoned_cart_insights(
                user, changes, abandon_after_minutes=minutes, job_version="v-golden"
            )
            for insight in insights:
                insight["emitted_at"] = EMITTED_AT
            lines.append("\t".join([str(minutes), nullable(user), nullable(changes), *map(dumps, insights)]))
    return lines


def decay_lines(rng: random.Random) -> list[str]:
    """`age_ms, half_life_ms, bits of math.pow(2.0, -age_ms / half_life_ms)`: pairs where Java's Math.pow or the
    correctly rounded value may differ from this machine's C pow (300 whose exact value is within 0.001 ulp of a
    midpoint between two doubles), and 2,000 ordinary ones."""
    ordinary: list[tuple[int, int, float]] = []
    hard: list[tuple[int, int, float]] = []
    while len(hard) < 300 and len(ordinary) < 1_000_000:
        half = rng.choice((rng.randint(1, 43_200), 240, 120, 60, 1_440)) * MINUTE
        age = rng.choice((rng.randint(0, 3_600_000), rng.randint(0, 10**9), rng.randint(0, 300_000)))
        value = math.pow(2.0, -age / half)
        (hard if _near_midpoint(age, half, value) else ordinary).append((age, half, value))
    return [f"{age}\t{half}\t{bits(value)}" for age, half, value in hard + ordinary[:2_000]]


def _near_midpoint(age: int, half: int, value: float) -> bool:
    """Whether the exact 2^y is within 0.001 ulp of the midpoint of two doubles: where pow implementations part."""
    from decimal import Decimal, localcontext

    with localcontext() as context:
        context.prec = 50
        y = Decimal(-age / half)
        exact = (y * Decimal(2).ln()).exp()
        ulp = Decimal(math.ulp(value))
        offset = abs((exact - Decimal(value)) / ulp)
    return offset > Decimal("0.499")


if __name__ == "__main__":
    main()
