"""consent.rules, pure: every combination of who, status, time, uses, scope and purpose."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from consent import rules
from consent.models import CertificateType, ConsentStatus, DenialReason

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)
GRANTEE = uuid.uuid4()


@dataclass
class Terms:
    grantee_id: uuid.UUID = GRANTEE
    purpose: str = "Loan application"
    valid_from: datetime = START
    valid_until: datetime = END
    max_uses: int | None = 3
    uses: int = 0
    status: ConsentStatus = ConsentStatus.ACTIVE


TIMES = {
    "before": START - timedelta(seconds=1),
    "at_start": START,
    "inside": START + timedelta(days=10),
    "last_instant": END - timedelta(microseconds=1),
    "at_end": END,
    "after": END + timedelta(days=1),
}
USES = {
    "fresh": (3, 0),
    "one_left": (3, 2),
    "used_up": (3, 3),
    "over": (3, 4),
    "unlimited": (None, 99),
}


def expected(
    grantee: bool, stored: ConsentStatus, when: str, uses: str, scope: bool, purpose: bool
):
    """The rule as the issue states it, written out independently of rules.decide."""
    if not grantee:
        return DenialReason.NOT_GRANTEE
    if stored is ConsentStatus.REVOKED:
        return DenialReason.REVOKED
    if when == "before":
        return DenialReason.NOT_YET_VALID
    if when in ("at_end", "after"):
        return DenialReason.EXPIRED
    if uses in ("used_up", "over"):
        return DenialReason.EXHAUSTED
    if not scope:
        return DenialReason.OUT_OF_SCOPE
    if not purpose:
        return DenialReason.PURPOSE_MISMATCH
    return None


@pytest.mark.article(27)
@pytest.mark.parametrize("stored", [ConsentStatus.ACTIVE, ConsentStatus.REVOKED])
def test_decide_every_combination(stored):
    checked = 0
    for grantee, when, uses, scope, purpose in itertools.product(
        (True, False), TIMES, USES, (True, False), (True, False)
    ):
        max_uses, used = USES[uses]
        terms = Terms(max_uses=max_uses, uses=used, status=stored)
        reason = rules.decide(
            terms,
            {"certificate:BUSINESS_LICENCE", "item:tax.paid"},
            user_id=GRANTEE if grantee else uuid.uuid4(),
            item="item:tax.paid" if scope else "item:tax.owed",
            purpose=" loan  APPLICATION" if purpose else "Marketing",
            at=TIMES[when],
        )
        assert reason is expected(grantee, stored, when, uses, scope, purpose), (
            grantee, when, uses, scope, purpose,
        )  # fmt: skip
        checked += 1
    assert checked == 2 * len(TIMES) * len(USES) * 2 * 2


@pytest.mark.article(27)
@pytest.mark.article(15, law="PIPL")
def test_status_is_computed_from_time_and_uses():
    assert rules.status_of(Terms(), TIMES["inside"]) is ConsentStatus.ACTIVE
    assert rules.status_of(Terms(), TIMES["before"]) is ConsentStatus.NOT_YET_VALID
    assert rules.status_of(Terms(), TIMES["at_start"]) is ConsentStatus.ACTIVE
    assert rules.status_of(Terms(), TIMES["at_end"]) is ConsentStatus.EXPIRED
    assert rules.status_of(Terms(uses=3), TIMES["inside"]) is ConsentStatus.EXHAUSTED
    assert rules.status_of(Terms(uses=3), TIMES["after"]) is ConsentStatus.EXPIRED
    assert (
        rules.status_of(Terms(max_uses=None, uses=10**6), TIMES["inside"]) is ConsentStatus.ACTIVE
    )
    revoked = Terms(status=ConsentStatus.REVOKED, uses=3)
    assert all(rules.status_of(revoked, t) is ConsentStatus.REVOKED for t in TIMES.values())


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("certificate:BUSINESS_LICENCE", "certificate:BUSINESS_LICENCE"),
        ("BUSINESS_LICENCE", "certificate:BUSINESS_LICENCE"),
        (" MEDICAL_RECORD ", "certificate:MEDICAL_RECORD"),
        ("item:tax.paid", "item:tax.paid"),
        ("tax.paid", "item:tax.paid"),
        ("certificate:PASSPORT", None),
        ("certificate:business_licence", None),
        ("item:", None),
        ("", None),
        ("   ", None),
        ("odd:thing", None),
        ("x" * 65, None),
    ],
)
def test_scope_keys(raw, key):
    assert rules.scope_key(raw) == key


def test_purposes_match_ignoring_case_and_spacing():
    assert rules.normalize_purpose("  Loan\tApplication ") == rules.normalize_purpose(
        "loan application"
    )
    assert rules.normalize_purpose("Loan applications") != rules.normalize_purpose(
        "loan application"
    )


@pytest.mark.article(27)
@pytest.mark.article(28, law="PIPL")
def test_sensitive_certificates_are_pipl_article_28_categories():
    assert rules.is_sensitive_certificate(CertificateType.MEDICAL_RECORD)
    assert rules.is_sensitive_certificate(CertificateType.RESIDENT_ID_CARD)
    assert not rules.is_sensitive_certificate(CertificateType.BUSINESS_LICENCE)
    assert not rules.is_sensitive_certificate(CertificateType.DRIVING_LICENCE)


@pytest.mark.parametrize(
    ("frequency", "ok"),
    [("P1D", True), ("P2W", True), ("P1M", True), ("P1Y", True), ("PT6H", True),
     ("P0D", False), ("monthly", False), ("P1M2D", False), ("PT", False), ("", False)],
)  # fmt: skip
def test_frequency_is_one_iso_8601_unit(frequency, ok):
    assert bool(rules.FREQUENCY.fullmatch(frequency)) is ok


@pytest.mark.parametrize(
    ("frequency", "at", "start"),
    [
        ("PT6H", datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("P1D", datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 2, 28, 12, tzinfo=UTC)),
        ("P2W", datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        # calendar months, the day clamped to the shorter month's last
        ("P1M", datetime(2026, 3, 31, 9, tzinfo=UTC), datetime(2026, 2, 28, 9, tzinfo=UTC)),
        ("P1M", datetime(2028, 3, 31, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC)),
        ("P3M", datetime(2026, 1, 15, tzinfo=UTC), datetime(2025, 10, 15, tzinfo=UTC)),
        ("P1Y", datetime(2028, 2, 29, tzinfo=UTC), datetime(2027, 2, 28, tzinfo=UTC)),
    ],
)
def test_rate_window_starts_one_frequency_back(frequency, at, start):
    assert rules.FREQUENCY.fullmatch(frequency)
    assert rules.window_start(frequency, at) == start


def test_the_rate_is_checked_last_and_only_when_set():
    at = START + timedelta(days=1)
    ask = {"user_id": GRANTEE, "item": "item:x", "purpose": "Loan application", "at": at}
    terms = Terms(max_uses=None)
    assert rules.decide(terms, ["item:x"], **ask, uses_in_window=50) is None  # no rate set
    assert rules.decide(terms, ["item:x"], **ask, uses_per_period=2, uses_in_window=1) is None
    assert (
        rules.decide(terms, ["item:x"], **ask, uses_per_period=2, uses_in_window=2)
        is DenialReason.FREQUENCY_EXCEEDED
    )
    # a use that fails on scope says so, not that the rate is spent
    assert (
        rules.decide(terms, ["item:y"], **ask, uses_per_period=2, uses_in_window=2)
        is DenialReason.OUT_OF_SCOPE
    )


@pytest.mark.parametrize("life", ["P30D", "P6M", "P1Y", "P2W"])
def test_data_life_accepts_days_to_years(life):
    assert rules.DATA_LIFE.fullmatch(life)


@pytest.mark.parametrize("life", ["", "30D", "P0D", "PT6H", "P1.5Y", "P1Y2M", "forever"])
def test_data_life_refuses_other_shapes(life):
    assert not rules.DATA_LIFE.fullmatch(life)
