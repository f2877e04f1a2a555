"""Art. 11: is a resource stale? Pure: the frequency, the last refresh, the time."""

from __future__ import annotations

from datetime import datetime, timedelta

from registry.models import UpdateFrequency

# How long after a refresh the next one is due. A realtime feed silent for an hour is stale;
# the calendar frequencies allow their longest period (31-day month, 92-day quarter, 366-day
# year), so a punctual agency is never flagged. ON_CHANGE has no schedule to miss.
ALLOWANCE: dict[UpdateFrequency, timedelta | None] = {
    UpdateFrequency.REALTIME: timedelta(hours=1),
    UpdateFrequency.DAILY: timedelta(days=1),
    UpdateFrequency.WEEKLY: timedelta(days=7),
    UpdateFrequency.MONTHLY: timedelta(days=31),
    UpdateFrequency.QUARTERLY: timedelta(days=92),
    UpdateFrequency.YEARLY: timedelta(days=366),
    UpdateFrequency.ON_CHANGE: None,
}


# Art. 11: the next refresh is due one catalogued period after the last (or creation)
def stale_after(
    frequency: UpdateFrequency, last_updated_at: datetime | None, created_at: datetime
) -> datetime | None:
    """When the resource turns stale if not refreshed. Never refreshed counts from creation:
    the first aggregation is due within one period of cataloguing."""
    allowance = ALLOWANCE[frequency]
    if allowance is None:
        return None
    return (last_updated_at or created_at) + allowance


# Art. 11: past its due refresh, a resource is stale
def is_stale(stale_after_at: datetime | None, at: datetime) -> bool:
    return stale_after_at is not None and at > stale_after_at
