"""Who the shoppers are and when they come: personas, their sessions' kinds, and where sessions sit in time.

Placement guarantees what the cart contract needs: every session lies inside the span, a user's
sessions never overlap, and after a cart-abandoning session the user makes no cart change for more
than `abandon_after` (the next session starts later than that).
"""

from __future__ import annotations

import random
from typing import NamedTuple

PERSONA_WEIGHTS: dict[str, float] = {"browser": 0.50, "buyer": 0.30, "abandoner": 0.15, "returning": 0.05}

_MINUTE = 60_000
TYPICAL_SESSION_MS = {"browse": 4 * _MINUTE, "buy": 7 * _MINUTE, "abandon": 5 * _MINUTE}
"""Room reserved for a session when placing it (unscaled); sessions usually end within it."""
LONGEST_SESSION_MS = {"browse": 20 * _MINUTE, "buy": 30 * _MINUTE, "abandon": 25 * _MINUTE}
"""A session never lasts longer (unscaled): a longer plan is compressed into this budget."""
SESSION_GAP_MS = 30 * _MINUTE
"""Preferred quiet time between two sessions of one user (unscaled), the usual analytics session gap."""


class SessionSlot(NamedTuple):
    """One planned session: it starts at `start_ms` and its last event lies before `start_ms + budget_ms`."""

    start_ms: int
    user: int
    number: int
    budget_ms: int
    kind: str  # "browse" | "buy" | "abandon"


def allocate_personas(rng: random.Random, users: int) -> list[str]:
    """Exactly the weights' shares of `users` (largest remainder), in a shuffled order."""
    total = sum(PERSONA_WEIGHTS.values())
    exact = {name: users * weight / total for name, weight in PERSONA_WEIGHTS.items()}
    counts = {name: int(share) for name, share in exact.items()}
    by_remainder = sorted(PERSONA_WEIGHTS, key=lambda name: (-(exact[name] - counts[name]), name))
    for name in by_remainder[: users - sum(counts.values())]:
        counts[name] += 1
    personas = [name for name in PERSONA_WEIGHTS for _ in range(counts[name])]
    rng.shuffle(personas)
    return personas


def session_kinds(rng: random.Random, persona: str) -> list[str]:
    """The kinds of a persona's sessions, in order. Once a returning customer abandons, they never buy again."""
    if persona == "browser":
        return ["browse"]
    if persona == "buyer":
        return ["buy"]
    if persona == "abandoner":
        return ["abandon"]
    kinds: list[str] = []
    for _ in range(rng.randint(2, 5)):
        roll = rng.random()
        if "abandon" in kinds:
            kinds.append("abandon" if roll < 0.3 else "browse")
        else:
            kinds.append("browse" if roll < 0.45 else "buy" if roll < 0.85 else "abandon")
    return kinds


def place_sessions(
    rng: random.Random,
    kinds: list[str],
    *,
    user: int,
    start_ms: int,
    end_ms: int,
    abandon_after_ms: int,
    time_scale: float,
) -> list[SessionSlot]:
    """Spread a user's sessions randomly over [start_ms, end_ms), dropping trailing ones that do not fit."""
    span = end_ms - start_ms
    while True:
        typical = [max(1, round(TYPICAL_SESSION_MS[k] / time_scale)) for k in kinds]
        # Hard gap: after an abandoning session nothing may touch the cart within abandon_after.
        hard = [abandon_after_ms + 1000 if k == "abandon" else 1 for k in kinds[:-1]]
        soft = [round(SESSION_GAP_MS / time_scale)] * (len(kinds) - 1)
        # An abandoned cart preferably times out before the span ends, so the job sees it "live".
        tail = abandon_after_ms if kinds[-1] == "abandon" else 0
        base = sum(typical) + sum(hard)
        options = [(True, True), (False, True), (True, False), (False, False)]
        fitting = [(s, t) for s, t in options if base + sum(soft) * s + tail * t <= span]
        if fitting:
            use_soft, use_tail = fitting[0]
            break
        if len(kinds) > 1:
            kinds = kinds[:-1]
            continue
        typical, base, use_soft, use_tail = [span - 1], span - 1, False, False
        break
    gaps = [h + (g if use_soft else 0) for h, g in zip(hard, soft, strict=True)] + [0]
    free = span - base - sum(soft) * use_soft - tail * use_tail
    offsets = sorted(int(rng.random() * free) for _ in kinds)
    starts, cursor = [], start_ms
    for i, offset in enumerate(offsets):
        starts.append(cursor + offset)
        cursor += typical[i] + gaps[i]
    slots = []
    for i, kind in enumerate(kinds):
        limit = starts[i + 1] - hard[i] if i < len(kinds) - 1 else end_ms - tail * use_tail
        budget = min(round(LONGEST_SESSION_MS[kind] / time_scale), limit - starts[i] - 1)
        slots.append(SessionSlot(starts[i], user, i + 1, max(1, budget), kind))
    return slots
