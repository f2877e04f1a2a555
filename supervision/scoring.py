"""Agency scoring (Art. 30): an agency's facts → the values of its published indicators, and
the time-weighted freshness of one catalogue entry. Pure: no I/O. The one engine
(`authority.scoring`) turns values into scores and grades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from authority import scoring as engine
from registry import ALLOWANCE, UpdateFrequency

# The facts counted for each agency in a period (SQL aggregates, freshness in seconds).
FACTS = (
    "items_claimed",
    "items_catalogued",
    "entry_seconds",
    "fresh_seconds",
    "answers_due",
    "answers_on_time",
    "deliveries_due",
    "deliveries_on_time",
    "refusals_overturned",
    "anomalies_due",
    "anomalies_on_time",
    "usage_reports_due",
    "usage_reports_filed",
    "out_of_grant_attempts",
    "open_rectifications",
)


# Art. 30: an agency's indicators, from recorded facts only
def indicator_values(facts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Shares with nothing to share (no item claimed, nothing due) count as complete: an
    agency is not marked down for what did not happen."""
    f = {name: Decimal(facts.get(name, 0)) for name in FACTS}
    return {
        "CATALOGUE_COVERAGE": engine.ratio(f["items_catalogued"], f["items_claimed"]),
        "CATALOGUE_FRESHNESS": engine.ratio(f["fresh_seconds"], f["entry_seconds"]),
        "SHARE_ANSWERS_ON_TIME": engine.ratio(f["answers_on_time"], f["answers_due"]),
        "SHARE_DELIVERIES_ON_TIME": engine.ratio(f["deliveries_on_time"], f["deliveries_due"]),
        "REFUSALS_OVERTURNED": f["refusals_overturned"],
        "ANOMALIES_ANSWERED_ON_TIME": engine.ratio(f["anomalies_on_time"], f["anomalies_due"]),
        "USAGE_REPORTS_FILED": engine.ratio(f["usage_reports_filed"], f["usage_reports_due"]),
        "OUT_OF_GRANT_ATTEMPTS": f["out_of_grant_attempts"],
        "OPEN_RECTIFICATIONS": f["open_rectifications"],
    }


# Art. 30: freshness (Art. 11) is the share of the period an entry was not stale
def fresh_seconds(
    frequency: UpdateFrequency,
    created_at: datetime,
    refreshes: Sequence[datetime],
    start: datetime,
    end: datetime,
) -> tuple[int, int]:
    """(seconds fresh, seconds catalogued) of one entry within [start, end).

    The entry exists from `created_at`; each recorded refresh (in time order) restarts its
    allowance (`registry.freshness.ALLOWANCE`: a month for MONTHLY, …); past the allowance
    it is stale until the next refresh. ON_CHANGE entries are never stale."""
    begin = max(start, created_at)
    if begin >= end:
        return 0, 0
    total = int((end - begin).total_seconds())
    allowance = ALLOWANCE[frequency]
    if allowance is None:
        return total, total
    fresh = timedelta(0)
    marks = [created_at, *(r for r in refreshes if created_at <= r < end)]
    for i, mark in enumerate(marks):
        until = marks[i + 1] if i + 1 < len(marks) else end
        window_start = max(mark, begin)
        window_end = min(mark + allowance, until, end)
        if window_end > window_start:
            fresh += window_end - window_start
    return int(fresh.total_seconds()), total
