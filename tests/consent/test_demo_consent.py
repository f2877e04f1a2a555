"""The consent demo: active, revoked and expired consents, uses both ways, a complaint in
progress; seeded once, through the use cases, on both engines."""

from __future__ import annotations

import json

import sqlalchemy as sa

import consent
from core.clock import now
from ledger.audit import verify_database
from ledger.models import LedgerEntry
from registry.models import DataItem
from server import demo
from server.demo_consent import CITIZEN, SOCIAL_INSURANCE


async def test_demo_seeds_every_consent_status_and_a_complaint_in_progress(fresh_db):
    await demo.seed(fresh_db)
    async with fresh_db.read() as session:
        mine = list(
            await session.scalars(
                sa.select(consent.Consent).where(consent.Consent.subject == CITIZEN)
            )
        )
        uses = list(await session.scalars(sa.select(consent.DataUse)))
        complaints = list(await session.scalars(sa.select(consent.Complaint)))
    statuses = {consent.status_of(c, now()) for c in mine}
    assert statuses >= {
        consent.ConsentStatus.ACTIVE,
        consent.ConsentStatus.REVOKED,
        consent.ConsentStatus.EXPIRED,
    }
    assert {u.outcome for u in uses} == set(consent.UseOutcome)
    assert {u.reason for u in uses} >= {
        None,
        consent.DenialReason.REVOKED,
        consent.DenialReason.EXPIRED,
        consent.DenialReason.PURPOSE_MISMATCH,
        consent.DenialReason.FREQUENCY_EXCEEDED,
    }
    assert any(c.data_life == "P30D" and c.uses_per_period == 2 for c in mine)
    assert [c.status for c in complaints] == [consent.ComplaintStatus.ASSIGNED]
    await demo.seed(fresh_db)  # idempotent
    async with fresh_db.read() as session:
        again = await session.scalar(sa.select(sa.func.count()).select_from(consent.Consent))
    assert again == len(mine) + 1  # the neighbour's
    assert (await verify_database(fresh_db)).ok


async def test_the_demo_social_insurance_item_is_claimed_sensitive_as_its_ledger_says(fresh_db):
    await demo.seed(fresh_db)
    async with fresh_db.read() as session:
        item = await session.scalar(sa.select(DataItem).where(DataItem.code == SOCIAL_INSURANCE))
        claims = [
            json.loads(entry.body)
            for entry in await session.scalars(
                sa.select(LedgerEntry).where(LedgerEntry.kind == "registry.data_item.claimed")
            )
        ]
        items = list(
            await session.scalars(
                sa.select(consent.ConsentItem).where(
                    consent.ConsentItem.item == f"item:{SOCIAL_INSURANCE}"
                )
            )
        )
    (claim,) = [c for c in claims if c["code"] == SOCIAL_INSURANCE]
    assert item.sensitive_personal is True and claim["sensitivePersonal"] is True
    assert items and all(i.sensitive for i in items)
