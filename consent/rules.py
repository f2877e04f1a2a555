"""Pure consent rules: what status a consent is in, and whether a use may pass. No I/O.

The gate (`consent.uses.authorize_data_use`) locks the consent row, reads it, and asks
`decide`; everything that can be decided from the row, its items and the time is here so it
can be tested exhaustively without a database.
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from consent.models import CertificateType, ConsentStatus, DenialReason

# PIPL Art. 28: sensitive personal information — specific identity, medical health,
# financial accounts, whereabouts. These certificates carry it; separate consent (Art. 29).
SENSITIVE_CERTIFICATES: dict[CertificateType, str] = {
    CertificateType.RESIDENT_ID_CARD: "specific identity",
    CertificateType.HOUSEHOLD_REGISTER: "specific identity",
    CertificateType.MEDICAL_RECORD: "medical health",
    CertificateType.SOCIAL_INSURANCE_RECORD: "medical health and financial accounts",
    CertificateType.TAX_PAYMENT_CERTIFICATE: "financial accounts",
    CertificateType.REAL_ESTATE_CERTIFICATE: "financial accounts and whereabouts",
}

ITEM_PREFIX = "item:"
CERTIFICATE_PREFIX = "certificate:"

# India's AA artefact: a fetch frequency. ISO 8601 durations of one unit: P1D, P2W, PT6H …
FREQUENCY = re.compile(r"P(?:[1-9][0-9]{0,3}[DWMY]|T[1-9][0-9]{0,3}H)")


# India's AA artefact: how long the grantee may keep fetched data. ISO 8601, days to years.
DATA_LIFE = re.compile(r"P[1-9][0-9]{0,3}[DWMY]")


class Terms(Protocol):
    """What the rules read of a consent (a `consent.models.Consent` fits)."""

    grantee_id: uuid.UUID
    purpose: str
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    uses: int
    status: ConsentStatus


def window_start(frequency: str, at: datetime) -> datetime:
    """The start of the rate window that ends at `at`: `at` minus one `frequency` (a
    FREQUENCY duration). Months and years are calendar ones, the day clamped to the month's
    last (31 March minus P1M is 28 or 29 February)."""
    amount, unit = int(frequency[1:-1].lstrip("T")), frequency[-1]
    if frequency.startswith("PT"):
        return at - timedelta(hours=amount)
    if unit in "DW":
        return at - timedelta(days=amount * (7 if unit == "W" else 1))
    months = amount * (12 if unit == "Y" else 1)
    month_index = at.year * 12 + at.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def normalize_purpose(purpose: str) -> str:
    """Purposes match case-folded, with runs of whitespace as one space."""
    return " ".join(purpose.split()).casefold()


def certificate_key(certificate: CertificateType) -> str:
    return CERTIFICATE_PREFIX + certificate.value


def item_key(code: str) -> str:
    return ITEM_PREFIX + code.strip()


def scope_key(raw: str) -> str | None:
    """The stored key of what a use asks for: "item:<code>", "certificate:<TYPE>", or a bare
    certificate type or data item code. None when it cannot be one."""
    raw = raw.strip()
    if raw.startswith(CERTIFICATE_PREFIX):
        name = raw.removeprefix(CERTIFICATE_PREFIX)
        return raw if name in CertificateType.__members__ else None
    if raw.startswith(ITEM_PREFIX):
        return raw if len(raw) > len(ITEM_PREFIX) and len(raw) <= 120 else None
    if raw in CertificateType.__members__:
        return CERTIFICATE_PREFIX + raw
    return item_key(raw) if raw and len(raw) <= 64 and ":" not in raw else None


def status_of(terms: Terms, at: datetime) -> ConsentStatus:
    """The status a reader sees at `at`: stored REVOKED wins, then time, then counting."""
    # PIPL Art. 15: a revoked consent is revoked from that instant, whatever its terms
    if terms.status is ConsentStatus.REVOKED:
        return ConsentStatus.REVOKED
    if at < terms.valid_from:
        return ConsentStatus.NOT_YET_VALID
    if at >= terms.valid_until:
        return ConsentStatus.EXPIRED
    if terms.max_uses is not None and terms.uses >= terms.max_uses:
        return ConsentStatus.EXHAUSTED
    return ConsentStatus.ACTIVE


_STATUS_DENIAL = {
    ConsentStatus.REVOKED: DenialReason.REVOKED,
    ConsentStatus.NOT_YET_VALID: DenialReason.NOT_YET_VALID,
    ConsentStatus.EXPIRED: DenialReason.EXPIRED,
    ConsentStatus.EXHAUSTED: DenialReason.EXHAUSTED,
}


# Art. 27: a use passes only for the grantee, while the consent is active, in scope
def decide(
    terms: Terms,
    items: Collection[str],
    *,
    user_id: uuid.UUID,
    item: str,
    purpose: str,
    at: datetime,
    uses_per_period: int | None = None,
    uses_in_window: int = 0,
) -> DenialReason | None:
    """None when the use may pass, else the first reason it may not.

    Order: who asks (a stranger learns nothing else), then the consent's status, then what
    and why, then the rate. `item` is a scope key (`scope_key`); `items` the consent's keys;
    `uses_in_window` the allowed uses in the current rate window (`window_start`)."""
    if user_id != terms.grantee_id:
        return DenialReason.NOT_GRANTEE
    status = status_of(terms, at)
    if status is not ConsentStatus.ACTIVE:
        return _STATUS_DENIAL[status]
    if item not in items:
        return DenialReason.OUT_OF_SCOPE
    if normalize_purpose(purpose) != normalize_purpose(terms.purpose):
        return DenialReason.PURPOSE_MISMATCH
    if uses_per_period is not None and uses_in_window >= uses_per_period:
        return DenialReason.FREQUENCY_EXCEEDED
    return None


def is_sensitive_certificate(certificate: CertificateType) -> bool:
    return certificate in SENSITIVE_CERTIFICATES
