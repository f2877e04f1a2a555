"""Granting and revoking consent (Art. 27; PIPL Art. 15, 29), and the lists of consents.

A consent names one grantee organisation, the data in scope (catalogue data items and/or
certificate types), the purpose and scenario, a validity window and a mode (India's AA
artefact: ONE_TIME, or PERIODIC at a frequency), optionally a maximum number of uses. Scope
that holds sensitive personal information needs `separate=True` (PIPL Art. 29). Revoking is
one call and takes effect for every use that starts after it commits (see `consent.uses`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

import ledger
from consent import events, rules
from consent.errors import Code
from consent.models import (
    CertificateType,
    Consent,
    ConsentItem,
    ConsentMode,
    ConsentStatus,
)
from consent.subjects import ensure_subject
from consent.uses import lock_consent
from core.batching import fetch_by_ids, fetch_children
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.pagination import Page, paginate
from registry import DataItem

MAX_ITEMS = 50
MAX_VALIDITY = timedelta(days=5 * 366)  # a consent is renewed, not granted for ever
MAX_USES = 1_000_000
CLOCK_SKEW = timedelta(minutes=5)  # a validFrom a little in the past is "now"


@dataclass(frozen=True)
class GrantFields:
    grantee_id: uuid.UUID
    purpose: str
    valid_until: datetime
    data_items: tuple[str, ...] = ()
    certificates: tuple[CertificateType, ...] = ()
    scenario: str = ""
    valid_from: datetime | None = None
    mode: ConsentMode = ConsentMode.ONE_TIME
    frequency: str | None = None
    max_uses: int | None = None
    uses_per_period: int | None = None
    data_life: str | None = None
    separate: bool = False


def _check(fields: GrantFields, at: datetime) -> list[Problem]:
    """Every problem with a grant's fields, rule by rule in the order the form asks them."""
    return [
        *_purpose_rule(fields),
        *_scope_rule(fields),
        *_validity_rule(fields, at),
        *_frequency_rule(fields),
        *_use_limit_rule(fields),
        *_data_life_rule(fields),
    ]


def _purpose_rule(fields: GrantFields) -> list[Problem]:
    """A purpose of 1-200 characters; a scenario of at most 2000."""
    problems = []
    purpose = " ".join(fields.purpose.split())
    if not purpose or len(purpose) > 200:
        problems.append(
            Problem(
                Code.PURPOSE_REQUIRED, "Say what the data is for (1-200 characters).", "purpose"
            )
        )
    if len(fields.scenario) > 2000:
        problems.append(
            Problem(Code.SCENARIO_TOO_LONG, "The scenario is over 2000 characters.", "scenario")
        )
    return problems


def _scope_rule(fields: GrantFields) -> list[Problem]:
    """1 to MAX_ITEMS data items and certificates, each named once."""
    problems = []
    scope = len(fields.data_items) + len(fields.certificates)
    if scope == 0:
        problems.append(
            Problem(
                Code.SCOPE_REQUIRED,
                "Name at least one data item or certificate type.",
                "data_items",
            )
        )
    elif scope > MAX_ITEMS:
        problems.append(
            Problem(Code.SCOPE_TOO_LARGE, f"Name at most {MAX_ITEMS} items.", "data_items")
        )
    codes = [c.strip() for c in fields.data_items]
    if len(set(codes)) != len(codes) or len(set(fields.certificates)) != len(fields.certificates):
        problems.append(Problem(Code.SCOPE_DUPLICATE, "An item appears twice.", "data_items"))
    return problems


def _validity_rule(fields: GrantFields, at: datetime) -> list[Problem]:
    """Aware times; starts now or later; ends after it starts, within MAX_VALIDITY."""
    problems = []
    start = fields.valid_from or at
    if start.tzinfo is None or fields.valid_until.tzinfo is None:
        problems.append(
            Problem(Code.TIME_ZONE_REQUIRED, "Give times with their UTC offset.", "valid_until")
        )
    else:
        if start < at - CLOCK_SKEW:
            problems.append(
                Problem(Code.VALID_FROM_PAST, "A consent cannot start in the past.", "valid_from")
            )
        if fields.valid_until <= start:
            problems.append(
                Problem(
                    Code.VALIDITY_INVALID, "validUntil must come after validFrom.", "valid_until"
                )
            )
        elif fields.valid_until - start > MAX_VALIDITY:
            problems.append(
                Problem(
                    Code.VALIDITY_TOO_LONG, "A consent lasts at most five years.", "valid_until"
                )
            )
    return problems


def _frequency_rule(fields: GrantFields) -> list[Problem]:
    """A PERIODIC consent has a fetch frequency; a ONE_TIME one has none."""
    problems = []
    if fields.mode is ConsentMode.PERIODIC:
        if not fields.frequency or not rules.FREQUENCY.fullmatch(fields.frequency.strip()):
            problems.append(
                Problem(
                    Code.FREQUENCY_REQUIRED,
                    "A PERIODIC consent gives its fetch frequency as an ISO 8601 duration "
                    "of one unit, e.g. P1D, P1W, P1M, PT6H.",
                    "frequency",
                )
            )
    elif fields.frequency:
        problems.append(
            Problem(Code.FREQUENCY_NOT_ALLOWED, "A ONE_TIME consent has no frequency.", "frequency")
        )
    return problems


def _use_limit_rule(fields: GrantFields) -> list[Problem]:
    """maxUses within bounds (exactly one for ONE_TIME); a rate per period only for a
    PERIODIC consent, at most maxUses."""
    problems = []
    if fields.max_uses is not None and not 1 <= fields.max_uses <= MAX_USES:
        problems.append(
            Problem(Code.MAX_USES_INVALID, f"maxUses is from 1 to {MAX_USES}.", "max_uses")
        )
    if fields.mode is ConsentMode.ONE_TIME and fields.max_uses not in (None, 1):
        problems.append(
            Problem(Code.MAX_USES_INVALID, "A ONE_TIME consent allows exactly one use.", "max_uses")
        )
    if fields.uses_per_period is not None:
        if fields.mode is not ConsentMode.PERIODIC:
            problems.append(
                Problem(
                    Code.USES_PER_PERIOD_NOT_ALLOWED,
                    "Only a PERIODIC consent has a rate of uses per period.",
                    "uses_per_period",
                )
            )
        elif not 1 <= fields.uses_per_period <= MAX_USES or (
            fields.max_uses is not None and fields.uses_per_period > fields.max_uses
        ):
            problems.append(
                Problem(
                    Code.USES_PER_PERIOD_INVALID,
                    "usesPerPeriod is at least 1 and at most maxUses.",
                    "uses_per_period",
                )
            )
    return problems


def _data_life_rule(fields: GrantFields) -> list[Problem]:
    """How long the grantee may keep the data, as an ISO 8601 duration."""
    problems = []
    if fields.data_life is not None and not rules.DATA_LIFE.fullmatch(fields.data_life.strip()):
        problems.append(
            Problem(
                Code.DATA_LIFE_INVALID,
                "Give how long the grantee may keep the data as an ISO 8601 duration of one "
                "unit, e.g. P30D, P6M, P1Y.",
                "data_life",
            )
        )
    return problems


async def _scope(session: AsyncSession, fields: GrantFields) -> list[ConsentItem]:
    """The consent's items with their sensitivity; unknown data item codes are refused."""
    codes = [c.strip() for c in fields.data_items]
    found = (
        {
            item.code: item
            for item in (
                await session.scalars(sa.select(DataItem).where(DataItem.code.in_(codes)))
            ).all()
        }
        if codes
        else {}
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError.of(
            [
                Problem(Code.DATA_ITEM_NOT_FOUND, f"No data item has the code {c!r}.", "data_items")
                for c in missing
            ]
        )
    items = [
        ConsentItem(item=rules.item_key(c), sensitive=found[c].sensitive_personal) for c in codes
    ]
    items += [
        ConsentItem(item=rules.certificate_key(c), sensitive=rules.is_sensitive_certificate(c))
        for c in fields.certificates
    ]
    return items


# Art. 27: a data subject authorises a named third party to use its data or certificates
async def grant_consent(
    session: AsyncSession, actor: Principal | None, fields: GrantFields
) -> Consent:
    """The subject authorises one organisation; the result is ACTIVE (or NOT_YET_VALID)."""
    actor = require(actor, Role.DATA_SUBJECT)
    at = now()
    problems = _check(fields, at)
    if problems:
        raise UserError.of(problems)
    grantee = await session.get(Organization, fields.grantee_id)
    if grantee is None:
        raise UserError(Code.GRANTEE_NOT_FOUND, "No organisation has this id.", "grantee")
    items = await _scope(session, fields)
    sensitive = [i.item for i in items if i.sensitive]
    # PIPL Art. 29: sensitive personal information needs the subject's separate consent
    if sensitive and not fields.separate:
        raise UserError(
            Code.SEPARATE_CONSENT_REQUIRED,
            "These items are sensitive personal information (PIPL Art. 28): "
            f"{', '.join(sensitive)}. Consent to them separately: set separate to true.",
            "separate",
        )
    subject = await ensure_subject(session, actor)
    consent = Consent(
        subject=subject.subject,
        grantee_id=grantee.id,
        purpose=" ".join(fields.purpose.split()),
        scenario=fields.scenario.strip(),
        valid_from=max(fields.valid_from or at, at),
        valid_until=fields.valid_until,
        mode=fields.mode,
        frequency=fields.frequency.strip() if fields.frequency else None,
        max_uses=1 if fields.mode is ConsentMode.ONE_TIME else fields.max_uses,
        uses_per_period=fields.uses_per_period,
        data_life=fields.data_life.strip() if fields.data_life else None,
        separate=fields.separate,
        status=ConsentStatus.ACTIVE,
        ledger_seq=ledger.UNSEQUENCED,
        created_at=at,
    )
    session.add(consent)
    await session.flush()
    for item in items:
        item.consent_id = consent.id
    session.add_all(items)
    entry = await ledger.append(
        session,
        ledger.Kind.CONSENT_GRANTED,
        actor,
        {
            "consent": str(consent.id),
            "grantee": str(grantee.id),
            "purpose": consent.purpose,
            "scenario": consent.scenario,
            "items": sorted(i.item for i in items),
            "sensitive": sorted(sensitive),
            "separate": consent.separate,
            "validFrom": consent.valid_from.isoformat(),
            "validUntil": consent.valid_until.isoformat(),
            "mode": consent.mode.value,
            "frequency": consent.frequency,
            "maxUses": consent.max_uses,
            "usesPerPeriod": consent.uses_per_period,
            "dataLife": consent.data_life,
        },
        subjects=[consent.subject],
        parties=[grantee.id],
    )
    entry.stamp(consent)
    await session.flush()
    events.publish(session, "GRANTED", consent)
    return consent


# PIPL Art. 15: consent is withdrawn as easily as given, with immediate effect
async def revoke_consent(
    session: AsyncSession, actor: Principal | None, consent_id: uuid.UUID, *, reason: str = ""
) -> Consent:
    """PIPL Art. 15: withdrawal as easy as granting — one call, a reason optional."""
    actor = require(actor, Role.DATA_SUBJECT)
    reason = reason.strip()
    if len(reason) > 2000:
        raise UserError(Code.REASON_TOO_LONG, "The reason is over 2000 characters.", "reason")
    consent = await lock_consent(session, consent_id)
    if consent is None or consent.subject != actor.subject:
        raise UserError(Code.CONSENT_NOT_FOUND, "You have no consent with this id.", "consent_id")
    if consent.status is ConsentStatus.REVOKED:
        raise UserError(Code.CONSENT_REVOKED, "This consent is already revoked.", "consent_id")
    consent.status = ConsentStatus.REVOKED
    consent.revoked_at = now()  # after the lock: every use that held it is already recorded
    consent.revoke_reason = reason
    entry = await ledger.append(
        session,
        ledger.Kind.CONSENT_REVOKED,
        actor,
        {"consent": str(consent.id), "grantee": str(consent.grantee_id), "reason": reason},
        subjects=[consent.subject],
        parties=[consent.grantee_id],
    )
    entry.stamp((consent, "revoke_seq"))
    await session.flush()
    events.publish(session, "REVOKED", consent)
    return consent


def status_filter(status: ConsentStatus, at: datetime) -> sa.ColumnElement[bool]:
    """SQL for `rules.status_of(consent, at) == status`."""
    live = Consent.status != ConsentStatus.REVOKED
    exhausted = sa.and_(Consent.max_uses.is_not(None), Consent.uses >= Consent.max_uses)
    in_window = sa.and_(Consent.valid_from <= at, Consent.valid_until > at)
    return {
        ConsentStatus.REVOKED: Consent.status == ConsentStatus.REVOKED,
        ConsentStatus.NOT_YET_VALID: sa.and_(live, Consent.valid_from > at),
        ConsentStatus.EXPIRED: sa.and_(live, Consent.valid_from <= at, Consent.valid_until <= at),
        ConsentStatus.EXHAUSTED: sa.and_(live, in_window, exhausted),
        ConsentStatus.ACTIVE: sa.and_(live, in_window, sa.not_(exhausted)),
    }[status]


async def _page(
    session: AsyncSession,
    where: sa.ColumnElement[bool],
    status: ConsentStatus | None,
    first: int,
    after: str | None,
) -> Page[Consent]:
    statement = sa.select(Consent).where(where)
    if status is not None:
        statement = statement.where(status_filter(status, now()))
    return await paginate(
        session,
        statement,
        sort=Consent.created_at,
        id_column=Consent.id,
        first=first,
        after=after,
        newest_first=True,  # a dashboard shows the latest first (UK Open Banking)
    )


# Art. 27: the subject sees every authorisation it has given
async def list_my_consents(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: ConsentStatus | None = None,
    first: int,
    after: str | None = None,
) -> Page[Consent]:
    """The subject's consents, newest first (UK Open Banking's dashboard)."""
    actor = require(actor, Role.DATA_SUBJECT)
    return await _page(session, Consent.subject == actor.subject, status, first, after)


async def list_received_consents(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: ConsentStatus | None = None,
    first: int,
    after: str | None = None,
) -> Page[Consent]:
    """Consents granted to the caller's organisation, newest first."""
    actor = require(actor)
    if actor.organization_id is None:
        raise Forbidden("Consents are received by an organisation; your token names none.")
    return await _page(session, Consent.grantee_id == actor.organization_id, status, first, after)


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """A consent is its subject's and its grantee's; the authority and auditors see all."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    mine = [Consent.subject == actor.subject] if actor.has(Role.DATA_SUBJECT) else []
    if actor.organization_id is not None:
        mine.append(Consent.grantee_id == actor.organization_id)
    return sa.or_(*mine) if mine else sa.false()


async def get_consents(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Consent | None]:
    """The consents `actor` may see, None for the others (and for unknown ids)."""
    return await fetch_by_ids(session, Consent, ids, visible_to(actor))


async def items_of(
    session: AsyncSession, consent_ids: Sequence[uuid.UUID]
) -> list[list[ConsentItem]]:
    return await fetch_children(
        session, ConsentItem.consent_id, consent_ids, order_by=(ConsentItem.item,)
    )
