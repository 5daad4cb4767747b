"""Conversion drop: funnel conversion over the last window far below its rolling baseline (an ops alert).

conversion = sessions that purchased / sessions that viewed a product, summed over the per-minute funnel.
The baseline is the same ratio over the `baseline` minutes before the window. A drop is raised when the
window has at least `min_sessions` viewing sessions (and so does the baseline), and

    conversion <= baseline x (1 - drop_threshold)

e.g. with drop_threshold 0.5, conversion fell to half its baseline or lower — what a broken checkout looks
like. The job emits an insight when the alert *starts* (see `flink_app/sql/conversion.py`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConversionCheck:
    conversion: float | None
    baseline: float | None
    drop: float | None
    """Relative drop: 1 - conversion / baseline."""
    dropped: bool


class ConversionDropRule:
    def __init__(
        self, *, window_minutes: int, baseline_minutes: int, drop_threshold: float, min_sessions: int
    ) -> None:
        if baseline_minutes <= window_minutes:
            raise ValueError("baseline_minutes must be longer than window_minutes")
        self.window_minutes = window_minutes
        self.baseline_minutes = baseline_minutes
        self.drop_threshold = drop_threshold
        self.min_sessions = min_sessions

    def evaluate(
        self,
        *,
        recent_viewing: int,
        recent_purchasing: int,
        total_viewing: int,
        total_purchasing: int,
        history_minutes: float,
    ) -> ConversionCheck:
        """`total_*` cover the whole baseline range including the recent window (as SQL sums them)."""
        conversion = recent_purchasing / recent_viewing if recent_viewing else None
        baseline_viewing = max(total_viewing - recent_viewing, 0)
        baseline_purchasing = max(total_purchasing - recent_purchasing, 0)
        baseline = baseline_purchasing / baseline_viewing if baseline_viewing else None
        if conversion is None or baseline is None or baseline == 0:
            return ConversionCheck(conversion, baseline, None, False)
        drop = 1 - conversion / baseline
        dropped = (
            history_minutes > self.window_minutes
            and recent_viewing >= self.min_sessions
            and baseline_viewing >= self.min_sessions
            and conversion <= baseline * (1 - self.drop_threshold)
        )
        return ConversionCheck(conversion, baseline, drop, dropped)
