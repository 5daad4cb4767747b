"""Trending products: activity in the last window far above the product's own baseline rate.

The statistic (documented in docs/flink-job.md):

* activity = product views. (Carts and purchases are reported beside it but not scored: one buyer's view,
  add and purchase would otherwise look like a burst; a trend is many shoppers looking.)
* `recent` = views in the last `window` minutes; `baseline` = the view rate per minute over the
  `baseline` minutes before that window (only as much history as the product has, minus the window);
* expected = baseline rate x window minutes; score = (recent + 1) / (expected + 1) — a ratio smoothed by one
  event, so a product with no history cannot trend on a handful of views;
* trending when history >= `min_history`, recent >= `min_views` and score >= `threshold`.

`zscore` = (recent - expected) / sqrt(expected + 1) is reported beside it (how many Poisson standard
deviations the window is above expectation). The job emits an insight only when a product *starts* trending
(the previous evaluated slide was not trending); see `flink_app/sql/trending.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrendScore:
    recent: int
    expected: float
    score: float
    zscore: float
    trending: bool


class TrendingRule:
    def __init__(
        self,
        *,
        window_minutes: int,
        baseline_minutes: int,
        threshold: float,
        min_views: int,
        min_history_minutes: int,
    ) -> None:
        if baseline_minutes <= window_minutes:
            raise ValueError("baseline_minutes must be longer than window_minutes")
        self.window_minutes = window_minutes
        self.baseline_minutes = baseline_minutes
        self.threshold = threshold
        self.min_views = min_views
        self.min_history_minutes = max(min_history_minutes, window_minutes)

    def evaluate(self, *, recent: int, baseline_total: int, history_minutes: float) -> TrendScore:
        """`baseline_total` is the activity over the whole baseline range, *including* the recent window."""
        observed = min(history_minutes, self.baseline_minutes) - self.window_minutes
        expected = 0.0 if observed <= 0 else max(baseline_total - recent, 0) / observed * self.window_minutes
        score = (recent + 1) / (expected + 1)
        zscore = (recent - expected) / math.sqrt(expected + 1)
        trending = (
            history_minutes >= self.min_history_minutes
            and observed > 0
            and recent >= self.min_views
            and score >= self.threshold
        )
        return TrendScore(recent=recent, expected=expected, score=score, zscore=zscore, trending=trending)
