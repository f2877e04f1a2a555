"""What the data authority administers that no other domain owns: the organisations admitted
to the exchange and their kinds (Art. 5), and the working-day table statutory deadlines are
counted in (Art. 15, 25, 27). Every change is a ledger fact."""

from authority.calendar import MAX_DAYS_PER_CALL, DaySetting, set_calendar_days
from authority.organizations import (
    bootstrap_authority,
    list_organizations,
    reclassify_organization,
    register_organization,
)

__all__ = [
    "MAX_DAYS_PER_CALL",
    "DaySetting",
    "bootstrap_authority",
    "list_organizations",
    "reclassify_organization",
    "register_organization",
    "set_calendar_days",
]
