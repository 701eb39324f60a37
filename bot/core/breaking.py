"""Breaking stories: reports from many outlets within a short time, against the topic's usual pace.

A story is breaking when, inside any span of `window`, at least `min_outlets` different outlets
reported it, and that is well above how many outlets the topic's stories usually reach in such
a span. Pure: the reports and the usual pace are passed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Report:
    """One outlet's report of a story and when the bot first saw it (or it was published)."""

    source: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BreakingRule:
    """The thresholds (settings `alerts.breaking_minutes`, `breaking_outlets`, `breaking_factor`)."""

    window: timedelta = timedelta(hours=1)
    min_outlets: int = 4
    # How many times the topic's usual outlets per window a story must reach.
    factor: float = 2.0


def outlets_in_window(reports: Sequence[Report], window: timedelta) -> int:
    """The most different outlets that reported the story inside any one span of `window`."""
    ordered = sorted(reports, key=lambda r: r.at)
    best = 0
    start = 0
    inside: dict[str, int] = {}
    for report in ordered:
        inside[report.source] = inside.get(report.source, 0) + 1
        while report.at - ordered[start].at > window:
            old = ordered[start].source
            inside[old] -= 1
            if not inside[old]:
                del inside[old]
            start += 1
        best = max(best, len(inside))
    return best


def is_breaking(reports: Sequence[Report], rule: BreakingRule, usual_outlets: float = 1.0) -> bool:
    """Whether the story's reports grew unusually fast.

    `usual_outlets` is how many outlets a story of the topic usually reaches within one window
    (1.0 when nothing is known): a topic whose every story is carried by six outlets at once
    does not call each of them breaking.
    """
    needed = max(rule.min_outlets, math.ceil(rule.factor * max(usual_outlets, 1.0)))
    return outlets_in_window(reports, rule.window) >= needed
