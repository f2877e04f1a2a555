"""What the data authority administers that no other domain owns: the organisations admitted
to the exchange and their kinds (Art. 5), and the working-day table statutory deadlines are
counted in (Art. 15, 25, 27), entered a year at a time from the State Council notice. Every
change is a ledger fact, and entering a year recomputes the open deadlines every domain
registered with `core.deadlines`. The published evaluation definitions of every supervised
kind (brokers, Art. 26; agencies, Art. 30) and the one indicator engine that runs them
(`indicators`, `scoring`) are the authority's too."""

from authority import indicators, scoring
from authority.calendar import (
    MAX_DAYS_PER_CALL,
    DaySetting,
    HolidayRange,
    YearArrangement,
    YearEntered,
    set_calendar_days,
    set_calendar_year,
)
from authority.errors import Code
from authority.models import Scoring, SubjectKind, SupervisionGrade, SupervisionIndicator
from authority.organizations import (
    bootstrap_authority,
    list_organizations,
    organization_listing,
    reclassify_organization,
    register_organization,
)

__all__ = [
    "Code",
    "MAX_DAYS_PER_CALL",
    "DaySetting",
    "HolidayRange",
    "Scoring",
    "SubjectKind",
    "SupervisionGrade",
    "SupervisionIndicator",
    "YearArrangement",
    "YearEntered",
    "bootstrap_authority",
    "indicators",
    "list_organizations",
    "organization_listing",
    "reclassify_organization",
    "register_organization",
    "scoring",
    "set_calendar_days",
    "set_calendar_year",
]
