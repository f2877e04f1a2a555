"""Art. 11 staleness: exhaustive over the frequencies, at the boundary."""

from datetime import UTC, datetime, timedelta

import pytest

from registry.freshness import ALLOWANCE, is_stale, stale_after
from registry.models import UpdateFrequency

pytestmark = pytest.mark.article(11)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "frequency", [f for f in UpdateFrequency if f is not UpdateFrequency.ON_CHANGE]
)
def test_stale_exactly_after_the_allowance(frequency):
    allowance = ALLOWANCE[frequency]
    due = stale_after(frequency, T0, created_at=T0 - timedelta(days=900))
    assert due == T0 + allowance
    assert not is_stale(due, T0 + allowance)
    assert is_stale(due, T0 + allowance + timedelta(microseconds=1))


def test_never_refreshed_counts_from_cataloguing_and_on_change_never_stales():
    assert stale_after(UpdateFrequency.DAILY, None, created_at=T0) == T0 + timedelta(days=1)
    assert stale_after(UpdateFrequency.ON_CHANGE, None, created_at=T0) is None
    assert not is_stale(None, T0 + timedelta(days=10_000))


def test_allowances_grow_with_the_period():
    order = [
        UpdateFrequency.REALTIME,
        UpdateFrequency.DAILY,
        UpdateFrequency.WEEKLY,
        UpdateFrequency.MONTHLY,
        UpdateFrequency.QUARTERLY,
        UpdateFrequency.YEARLY,
    ]
    allowances = [ALLOWANCE[f] for f in order]
    assert allowances == sorted(allowances)
