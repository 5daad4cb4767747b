"""The compact lines between SQL aggregates and Python rules."""

from __future__ import annotations

from flink_app.rules.lines import CartChange, decode_cart_changes, decode_neighbors, sort_changes


def test_cart_change_lines_round_trip() -> None:
    changes = [
        CartChange(1000, "add", "e-1", "s-1", "p:1|x@y", 2, 1999, "EUR"),
        CartChange(900, "purchase", "e-2", "s-1", "", 0, 0, "EUR"),
    ]
    text = ";".join(change.encode() for change in changes)
    assert decode_cart_changes(text) == changes
    assert [c.event_id for c in sort_changes(decode_cart_changes(text))] == ["e-2", "e-1"]


def test_empty_aggregates_decode_to_nothing() -> None:
    assert decode_cart_changes(None) == []
    assert decode_cart_changes("") == []
    assert decode_neighbors(None) == []


def test_neighbors_come_best_first_with_product_id_breaking_ties() -> None:
    neighbors = decode_neighbors("p-b,1.500000;p-a,1.500000;p-c,3.250000")
    assert [(n.product_id, n.score) for n in neighbors] == [("p-c", 3.25), ("p-a", 1.5), ("p-b", 1.5)]
