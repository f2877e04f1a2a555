"""The demo goes on without a part that needs an unentered calendar year, and only then."""

from __future__ import annotations

import logging

import pytest

from core.errors import UserError
from server.demo_steps import unless_calendar_missing


async def test_only_a_missing_calendar_year_is_passed_over(caplog):
    reached = []
    with caplog.at_level(logging.WARNING, logger="pdex.demo"):
        async with unless_calendar_missing("demo part"):
            raise UserError("CALENDAR_NOT_COVERED", "2027 is not in the calendar yet.")
        reached.append("after")
    assert reached == ["after"]
    assert "demo part left incomplete: 2027 is not in the calendar yet." in caplog.text
    with pytest.raises(UserError) as other:
        async with unless_calendar_missing("demo part"):
            raise UserError("NAME_INVALID", "Give a name.")
    assert other.value.code == "NAME_INVALID"
