"""A use racing a revocation (issue 5 item 4), on PostgreSQL with concurrent calls: each use
is before the revocation (allowed) or after it (denied) — never allowed after it committed.

The revocation starts once some uses are done (so some are surely allowed), and more uses
start once it has committed (so the "after" case is surely exercised), whatever the timing of
the uses in flight in between."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

import consent
from core.clock import now

pytestmark = [pytest.mark.article(27), pytest.mark.article(15, law="PIPL")]

USERS = 48  # started at once; the revocation lands among them
LATE = 8  # started after the revocation committed
TOTAL = USERS + LATE


async def test_no_use_is_allowed_after_the_revocation_commits(
    db, is_postgres, subject, grantee, grant
):
    if not is_postgres:
        pytest.skip("the race is proven on PostgreSQL; SQLite has a single writer")
    granted = await grant(subject, grantee, max_uses=None)
    revoke_committed: list[tuple[float, object]] = []
    started: dict[int, float] = {}
    some_done = asyncio.Event()
    done = 0

    async def user(i: int) -> consent.DataUse:
        await asyncio.sleep(0.002 * (i % 16))
        started[i] = time.monotonic()
        async with db.transaction() as session:
            use = await consent.authorize_data_use(
                session,
                grantee.principal,
                consent_id=granted.id,
                item="certificate:BUSINESS_LICENCE",
                purpose="Loan application",
            )
        nonlocal done
        done += 1
        if done == 4:
            some_done.set()  # revoke while most uses are still in flight
        return use

    async def revoker() -> list[consent.DataUse]:
        await some_done.wait()
        async with db.transaction() as session:
            await consent.revoke_consent(session, subject.principal, granted.id, reason="race")
        revoke_committed.append((time.monotonic(), now()))
        return await asyncio.gather(*(user(i) for i in range(USERS, TOTAL)))

    *results, late_uses = await asyncio.gather(*(user(i) for i in range(USERS)), revoker())
    uses: list[consent.DataUse] = [*results, *late_uses]
    ((committed_monotonic, committed_at),) = revoke_committed
    async with db.read() as session:
        row = await session.get(consent.Consent, granted.id)
        stored = list(
            await session.scalars(
                sa.select(consent.DataUse).where(consent.DataUse.consent_id == granted.id)
            )
        )
    allowed = [u for u in uses if u.outcome is consent.UseOutcome.ALLOWED]
    denied = [u for u in uses if u.outcome is consent.UseOutcome.DENIED]
    assert allowed and denied, "the revocation should land mid-way; adjust the timing"
    assert all(u.reason is consent.DenialReason.REVOKED for u in denied)
    assert all(u.at < row.revoked_at <= committed_at for u in allowed)
    assert all(u.at > row.revoked_at for u in denied)
    # Every use that started after the revocation committed was denied.
    late = [i for i in range(TOTAL) if started[i] > committed_monotonic]
    assert late and set(range(USERS, TOTAL)) <= set(late)
    assert all(uses[i].outcome is consent.UseOutcome.DENIED for i in late)
    assert row.uses == len(allowed) and len(stored) == TOTAL  # each recorded exactly once
    assert len({u.ledger_seq for u in stored}) == TOTAL
