"""Demo consents: the demo citizen (and a second one) with active, revoked and expired
consents, uses allowed and denied, and a complaint the authority is handling.

Seeded through the use cases (every step a ledger fact). The one shortcut: an expired consent
is granted and then has its window moved into the past, as no one waits for expiry; that row
then disagrees with its grant entry in the ledger, which shows the dates as granted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

import consent
from consent import CertificateType, ConsentMode, GrantFields
from core.clock import now
from core.db import Database
from core.identity import Principal, Role
from registry import DataItem
from server.demo_steps import step

CITIZEN = "demo-citizen-0001"  # the demo data_subject token's `sub`
NEIGHBOUR = "demo-citizen-0002"
SOCIAL_INSURANCE = "jm.hrss.social-insurance"  # sensitive: claimed so (demo_catalogue)
LICENCE_STATUS = "jm.market.licence-status"


async def seed_consents(
    db: Database, *, authority: uuid.UUID, firm: uuid.UUID, broker: uuid.UUID
) -> None:
    async with db.read() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(consent.Consent)):
            return
        known = set(await session.scalars(sa.select(DataItem.code)))
    citizen = Principal(CITIZEN, None, frozenset({Role.DATA_SUBJECT}))
    neighbour = Principal(NEIGHBOUR, None, frozenset({Role.DATA_SUBJECT}))
    bank = Principal("demo-analyst", firm, frozenset({Role.MARKET_ENTITY}))
    dealer = Principal("demo-dealer", broker, frozenset({Role.BROKER}))
    boss = Principal("demo-admin", authority, frozenset({Role.AUTHORITY}))

    async def grant(who: Principal, fields: GrantFields) -> consent.Consent:
        return await step(db, lambda s: consent.grant_consent(s, who, fields))

    async def use(who: Principal, consent_id: uuid.UUID, item: str, purpose: str) -> None:
        await step(
            db,
            lambda s: consent.authorize_data_use(
                s, who, consent_id=consent_id, item=item, purpose=purpose
            ),
        )

    loan = "SME loan credit assessment"
    year = now() + timedelta(days=365)
    # ACTIVE: the bank may fetch the citizen's licence status and social-insurance record
    # monthly, twelve times, for the loan (separate consent: the record is sensitive).
    active = await grant(
        citizen,
        GrantFields(
            grantee_id=firm,
            purpose=loan,
            scenario="五邑农村商业银行 small-business loan, Jiangmen",
            valid_until=year,
            data_items=tuple(c for c in (LICENCE_STATUS, SOCIAL_INSURANCE) if c in known),
            certificates=(CertificateType.BUSINESS_LICENCE,),
            mode=ConsentMode.PERIODIC,
            frequency="P1M",
            max_uses=12,
            uses_per_period=2,  # two fetches a month (India's AA fetch frequency)
            data_life="P30D",  # the bank keeps what it fetched for 30 days
            separate=True,
        ),
    )
    await use(bank, active.id, "BUSINESS_LICENCE", loan)
    if SOCIAL_INSURANCE in known:
        await use(bank, active.id, SOCIAL_INSURANCE, loan)
        await use(bank, active.id, "BUSINESS_LICENCE", loan)  # DENIED: FREQUENCY_EXCEEDED
    await use(bank, active.id, "BUSINESS_LICENCE", "Marketing")  # DENIED: PURPOSE_MISMATCH
    # (The broker cannot try the bank's consent: to it the consent does not exist, and the
    # gate writes nothing into the citizen's record for it: CONSENT_NOT_FOUND.)

    # REVOKED: the broker had a one-off tax certificate consent; a use before, one after.
    revoked = await grant(
        citizen,
        GrantFields(
            grantee_id=broker,
            purpose="Data fusion for credit scoring",
            valid_until=now() + timedelta(days=30),
            certificates=(CertificateType.TAX_PAYMENT_CERTIFICATE,),
            separate=True,
        ),
    )
    await use(dealer, revoked.id, "TAX_PAYMENT_CERTIFICATE", "Data fusion for credit scoring")
    await step(
        db,
        lambda s: consent.revoke_consent(
            s, citizen, revoked.id, reason="I did not expect my tax record to be resold."
        ),
    )
    await use(dealer, revoked.id, "TAX_PAYMENT_CERTIFICATE", "Data fusion for credit scoring")

    # EXPIRED: last year's driving-licence check by the bank.
    expired = await grant(
        citizen,
        GrantFields(
            grantee_id=firm,
            purpose="Car loan",
            valid_until=now() + timedelta(days=1),
            certificates=(CertificateType.DRIVING_LICENCE, CertificateType.VEHICLE_REGISTRATION),
            mode=ConsentMode.PERIODIC,
            frequency="P1Y",
        ),
    )
    await use(bank, expired.id, "DRIVING_LICENCE", "Car loan")
    # The shortcut: the window moves into the past in the row only. Its grant entry in the
    # ledger keeps the dates granted (a day from now), and the use above its real time.
    await step(
        db,
        lambda s: s.execute(
            sa.update(consent.Consent)
            .where(consent.Consent.id == expired.id)
            .values(valid_from=now() - timedelta(days=400), valid_until=now() - timedelta(days=35))
        ),
    )
    await use(bank, expired.id, "DRIVING_LICENCE", "Car loan")  # DENIED: EXPIRED

    # The neighbour: one active consent for a business licence check.
    await grant(
        neighbour,
        GrantFields(
            grantee_id=broker,
            purpose="Supplier due diligence",
            valid_until=now() + timedelta(days=90),
            certificates=(CertificateType.BUSINESS_LICENCE,),
        ),
    )

    # A complaint in progress: filed about the broker, assigned by the authority.
    # Art. 27: due in 15 working days; provisional when that reaches an unentered year.
    complaint = await step(
        db,
        lambda s: consent.file_complaint(
            s,
            citizen,
            consent.ComplaintFields(
                against_id=broker,
                consent_id=revoked.id,
                text="The broker fused my tax record into a credit score it sells; "
                "please check what it did with it before I revoked.",
            ),
        ),
    )
    await step(
        db,
        lambda s: consent.assign_complaint(
            s, boss, complaint.id, assignee="Data rights enforcement unit"
        ),
    )
