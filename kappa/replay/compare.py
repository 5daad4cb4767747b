"""Compares two job versions' insights keyed by `insight_id`: what one added, removed or changed, by type.

Insight ids are deterministic from the inputs (not the job version), so the same log analysed by the same
logic yields the same ids and identical bodies apart from `emitted_at` and `job_version`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

IGNORED_FIELDS = frozenset({"emitted_at", "job_version"})


@dataclass(frozen=True)
class ChangedInsight:
    insight_id: str
    type: str
    fields: tuple[str, ...]
    """Dotted paths that differ, e.g. `payload.value`."""
    baseline: dict[str, Any]
    candidate: dict[str, Any]


@dataclass
class TypeDifference:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[ChangedInsight] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class ComparisonReport:
    baseline_version: str
    candidate_version: str
    baseline_count: int
    candidate_count: int
    by_type: dict[str, TypeDifference]
    duplicate_ids: Counter[str]

    @property
    def identical(self) -> bool:
        return not any(d.added or d.removed or d.changed for d in self.by_type.values())

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            insight_type: {
                "added": len(d.added),
                "removed": len(d.removed),
                "changed": len(d.changed),
                "unchanged": d.unchanged,
            }
            for insight_type, d in sorted(self.by_type.items())
        }

    def as_dict(self, examples: int = 3) -> dict[str, Any]:
        return {
            "baseline": {"version": self.baseline_version, "insights": self.baseline_count},
            "candidate": {"version": self.candidate_version, "insights": self.candidate_count},
            "identical": self.identical,
            "by_type": self.summary(),
            "examples": {
                insight_type: {
                    "added": d.added[:examples],
                    "removed": d.removed[:examples],
                    "changed": [
                        {"insight_id": c.insight_id, "fields": list(c.fields)} for c in d.changed[:examples]
                    ],
                }
                for insight_type, d in sorted(self.by_type.items())
                if d.added or d.removed or d.changed
            },
            "duplicate_ids": dict(self.duplicate_ids),
        }


def compare_insights(
    baseline: Iterable[dict[str, Any]],
    candidate: Iterable[dict[str, Any]],
    *,
    baseline_version: str = "baseline",
    candidate_version: str = "candidate",
) -> ComparisonReport:
    """Diff two insight collections by `insight_id`, ignoring `emitted_at` and `job_version`."""
    duplicates: Counter[str] = Counter()
    old = _index(baseline, duplicates)
    new = _index(candidate, duplicates)
    by_type: dict[str, TypeDifference] = defaultdict(TypeDifference)
    for insight_id, insight in old.items():
        other = new.get(insight_id)
        difference = by_type[insight["type"]]
        if other is None:
            difference.removed.append(insight)
            continue
        changed = tuple(differing_fields(_comparable(insight), _comparable(other)))
        if changed:
            difference.changed.append(ChangedInsight(insight_id, insight["type"], changed, insight, other))
        else:
            difference.unchanged += 1
    for insight_id, insight in new.items():
        if insight_id not in old:
            by_type[insight["type"]].added.append(insight)
    for difference in by_type.values():
        difference.added.sort(key=_order)
        difference.removed.sort(key=_order)
        difference.changed.sort(key=lambda c: (c.baseline.get("occurred_at", ""), c.insight_id))
    return ComparisonReport(
        baseline_version=baseline_version,
        candidate_version=candidate_version,
        baseline_count=len(old),
        candidate_count=len(new),
        by_type=dict(by_type),
        duplicate_ids=duplicates,
    )


def differing_fields(left: Any, right: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON values differ (lists compare whole, at their own path)."""
    if isinstance(left, dict) and isinstance(right, dict):
        paths: list[str] = []
        for key in sorted(set(left) | set(right)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in left or key not in right:
                paths.append(path)
            else:
                paths.extend(differing_fields(left[key], right[key], path))
        return paths
    return [] if left == right else [prefix or "(value)"]


def _index(insights: Iterable[dict[str, Any]], duplicates: Counter[str]) -> dict[str, dict[str, Any]]:
    indexed: dict[str, dict[str, Any]] = {}
    for insight in insights:
        insight_id = insight["insight_id"]
        if insight_id in indexed:
            # At-least-once sinks may repeat an insight; identical repeats are not a difference.
            duplicates[insight_id] += 1
        indexed[insight_id] = insight
    return indexed


def _comparable(insight: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in insight.items() if k not in IGNORED_FIELDS}


def _order(insight: dict[str, Any]) -> tuple[str, str]:
    return insight.get("occurred_at", ""), insight["insight_id"]
