"""core.clock: the one time source, and how messages show an instant."""

from __future__ import annotations

from datetime import UTC, datetime

from core.clock import for_people


def test_messages_show_shanghai_civil_time_to_the_minute():
    end_of_day = datetime(2026, 12, 10, 15, 59, 59, 999999, tzinfo=UTC)  # 24:00 in Shanghai
    assert for_people(end_of_day) == "2026-12-10 23:59 (Asia/Shanghai)"
    assert (
        for_people(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == "2027-01-01 00:00 (Asia/Shanghai)"
    )
