"""What the data authority administers that no other domain owns: the working-day table
statutory deadlines are counted in (Art. 15, 25, 27). Its changes are ledger facts."""

from authority.calendar import MAX_DAYS_PER_CALL, DaySetting, set_calendar_days

__all__ = ["MAX_DAYS_PER_CALL", "DaySetting", "set_calendar_days"]
