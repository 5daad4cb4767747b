"""A simulation run: plans the shop and its shoppers up front, then streams their events in delivery order.

Sessions are materialized lazily in start order and their events merged through one heap keyed by
delivery time, so memory holds only the sessions in flight. Delivery time is event time, except for
a small share of late deliveries (at most `max_disorder_seconds` late) and duplicate deliveries (the
same event again, same `event_id`).
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Iterator
from typing import Any

from events import format_rfc3339
from kappa.simulate.catalogue import AffinityPair, Catalogue, build_catalogue, plan_affinities
from kappa.simulate.config import SimulationConfig
from kappa.simulate.personas import SessionSlot, allocate_personas, place_sessions, session_kinds
from kappa.simulate.sessions import SessionBuilder
from kappa.simulate.trends import PlantedTrend, plan_trends
from kappa.simulate.truth import AbandonedCart, Affinity, Trend, Truth

Delivery = tuple[int, dict[str, Any]]
"""(delivery time in epoch ms, event): when the event reaches the log, and the event itself."""


class Simulation:
    """One seeded run. Iterate `events()` (or `deliveries()`) as often as you like: every pass is identical.

    >>> simulation = simulate(SimulationConfig(users=10, duration_seconds=600))
    >>> first = next(simulation.events())
    >>> first["event_type"]
    'page_view'
    """

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.run_tag = hashlib.blake2b(repr(config).encode(), digest_size=4).hexdigest()
        """Short id of this run's options, in every event/session/order id (distinct runs never collide)."""
        planning = random.Random(f"kappa-simulate:{config.seed}:catalogue")
        self.catalogue: Catalogue = build_catalogue(planning, config.products, config.currency)
        self.affinity_pairs: list[AffinityPair] = plan_affinities(planning, self.catalogue, config.affinities)
        self.planted_trends: list[PlantedTrend] = plan_trends(
            planning,
            self.catalogue,
            count=config.trends,
            multiplier=config.trend_multiplier,
            start_ms=config.start_ms,
            end_ms=config.end_ms,
            excluded={p.first for p in self.affinity_pairs} | {p.second for p in self.affinity_pairs},
        )
        scheduling = random.Random(f"kappa-simulate:{config.seed}:schedule")
        personas = allocate_personas(scheduling, config.users)
        self.persona_counts = {
            name: personas.count(name) for name in ("browser", "buyer", "abandoner", "returning")
        }
        slots: list[SessionSlot] = []
        for user, persona in enumerate(personas):
            slots.extend(
                place_sessions(
                    scheduling,
                    session_kinds(scheduling, persona),
                    user=user,
                    start_ms=config.start_ms,
                    end_ms=config.end_ms,
                    abandon_after_ms=config.abandon_after_ms,
                    time_scale=config.time_scale,
                )
            )
        slots.sort()
        self.slots = slots
        self._truth: Truth | None = None

    @property
    def truth(self) -> Truth:
        """The ground truth; generates the events once (discarding them) if no pass has finished yet."""
        if self._truth is None:
            for _ in self.deliveries():
                pass
        assert self._truth is not None
        return self._truth

    def events(self) -> Iterator[dict[str, Any]]:
        """Events in delivery order (what a producer sends, what the log holds)."""
        for _, event in self.deliveries():
            yield event

    def deliveries(self) -> Iterator[Delivery]:
        """`(deliver_at_ms, event)` in delivery order; a complete pass also sets `truth`."""
        config = self.config
        builder = SessionBuilder(
            rng=random.Random(f"kappa-simulate:{config.seed}:content"),
            catalogue=self.catalogue,
            trends=self.planted_trends,
            run_tag=self.run_tag,
            abandon_after_ms=config.abandon_after_ms,
            time_scale=config.time_scale,
        )
        delivery = random.Random(f"kappa-simulate:{config.seed}:delivery")
        max_delay = round(config.max_disorder_seconds * 1000)
        late_rate = config.out_of_order_rate if max_delay > 0 else 0.0
        duplicate_rate = config.duplicate_rate
        shortest_late = max(1, max_delay // 5)
        slots = self.slots
        slot_count = len(slots)
        heap: list[tuple[int, int, int, dict[str, Any]]] = []
        push, pop = heapq.heappush, heapq.heappop
        sequence = next_slot = delivered = duplicates = out_of_order = purchases = 0
        latest = -1
        abandoned: list[AbandonedCart] = []
        while next_slot < slot_count or heap:
            if heap and (next_slot == slot_count or heap[0][0] < slots[next_slot].start_ms):
                key, _, occurred, event = pop(heap)
                if occurred < latest:
                    out_of_order += 1
                else:
                    latest = occurred
                delivered += 1
                yield key, event
                continue
            slot = slots[next_slot]
            next_slot += 1
            built = builder.build(slot, f"u-{slot.user:06d}")
            purchases += built.purchases
            if built.abandoned is not None:
                abandoned.append(built.abandoned)
            for occurred, event in built.events:
                sequence += 1
                key = occurred
                if late_rate and delivery.random() < late_rate:
                    key += delivery.randint(shortest_late, max_delay)
                push(heap, (key, sequence, occurred, event))
                if duplicate_rate and delivery.random() < duplicate_rate:
                    sequence += 1
                    duplicates += 1
                    push(heap, (occurred + delivery.randint(0, max_delay), sequence, occurred, dict(event)))
        abandoned.sort(key=lambda cart: (cart.last_cart_change_ms, cart.user_id, cart.session_id))
        self._truth = self._make_truth(delivered, duplicates, out_of_order, purchases, abandoned)

    def _make_truth(
        self,
        delivered: int,
        duplicates: int,
        out_of_order: int,
        purchases: int,
        abandoned: list[AbandonedCart],
    ) -> Truth:
        config = self.config
        products = self.catalogue.products
        return Truth(
            seed=config.seed,
            users=config.users,
            start=format_rfc3339(config.start_ms),
            end=format_rfc3339(config.end_ms),
            abandon_after_minutes=config.abandon_after_minutes,
            events=delivered,
            duplicates=duplicates,
            out_of_order=out_of_order,
            abandoned_carts=tuple(abandoned),
            affinities=tuple(
                Affinity((products[p.first].product_id, products[p.second].product_id), p.strength)
                for p in self.affinity_pairs
            ),
            trends=tuple(
                Trend(
                    products[t.product].product_id,
                    format_rfc3339(t.start_ms),
                    format_rfc3339(t.end_ms),
                    float(t.multiplier),
                )
                for t in self.planted_trends
            ),
            purchases=purchases,
            personas=dict(self.persona_counts),
        )


def simulate(config: SimulationConfig) -> Simulation:
    """Plan a run; nothing is generated until you iterate it."""
    return Simulation(config)
