"""The one place pdex reads the time, so every timestamp is aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def for_people(at: datetime) -> str:
    """An instant as a message shows it: Asia/Shanghai civil time to the minute, e.g.
    `2026-12-10 23:59 (Asia/Shanghai)`, never UTC with microseconds. Storage and the wire
    keep ISO 8601 UTC; this is for the words in a userError."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + " (Asia/Shanghai)"
