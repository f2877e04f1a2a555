"""The gate (issue 5 item 4): every refusal path, both outcomes recorded with a ledger entry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

import consent
from core.clock import now
from core.errors import UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.canonical import subject_commitment
from ledger.log import subject_salt
from ledger.models import LedgerEntry, LedgerParty

pytestmark = pytest.mark.article(27)


async def test_the_grantee_is_allowed_and_the_use_is_recorded(db, subject, grantee, grant, use):
    granted = await grant(subject, grantee)
    allowed = await use(grantee, granted.id)
    assert allowed.outcome is consent.UseOutcome.ALLOWED and allowed.reason is None
    assert allowed.user_id == grantee.org_id and allowed.subject == subject.principal.subject
    async with db.read() as session:
        row = await session.get(consent.Consent, granted.id)
        assert row.uses == 1
        entry = await session.get(LedgerEntry, allowed.ledger_seq)
        salt = await subject_salt(session, subject.principal.subject)
        parties = set(
            (
                await session.scalars(
                    sa.select(LedgerParty.party).where(LedgerParty.seq == allowed.ledger_seq)
                )
            ).all()
        )
    assert entry.kind == "consent.data_use.allowed"
    assert subject.principal.subject not in entry.subjects + entry.body  # only the commitment
    assert subject_commitment(salt, subject.principal.subject) in entry.subjects
    assert f"org:{grantee.org_id}" in parties


async def test_a_stranger_cannot_see_the_consent_nor_record_a_use_against_it(
    db, subject, grantee, grant, use, make_caller, authority
):
    """Issue 10 §6: to anyone who may not see a consent it does not exist; nothing is written
    into the subject's record of uses. The authority may see it and is denied NOT_GRANTEE."""
    granted = await grant(subject, grantee)
    stranger = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    with pytest.raises(UserError) as refused:
        await use(stranger, granted.id)
    assert refused.value.code == "CONSENT_NOT_FOUND"
    async with db.read() as session:
        recorded = await session.scalar(
            sa.select(sa.func.count()).where(consent.DataUse.consent_id == granted.id)
        )
    assert recorded == 0
    denied = await use(authority, granted.id)
    assert denied.outcome is consent.UseOutcome.DENIED
    assert denied.reason is consent.DenialReason.NOT_GRANTEE
    async with db.read() as session:
        entry = await session.get(LedgerEntry, denied.ledger_seq)
        assert (await session.get(consent.Consent, granted.id)).uses == 0
        stored = await session.get(consent.DataUse, denied.id)
    assert entry.kind == "consent.data_use.denied" and stored is not None


@pytest.mark.parametrize(
    ("item", "purpose", "reason"),
    [
        ("certificate:MEDICAL_RECORD", "Loan application", consent.DenialReason.OUT_OF_SCOPE),
        ("BUSINESS_LICENCE", "Marketing", consent.DenialReason.PURPOSE_MISMATCH),
    ],
)
async def test_scope_and_purpose_are_checked(subject, grantee, grant, use, item, purpose, reason):
    granted = await grant(subject, grantee)
    assert (await use(grantee, granted.id, item, purpose)).reason is reason


async def test_purpose_matches_case_and_space_insensitively(subject, grantee, grant, use):
    granted = await grant(subject, grantee)
    assert (await use(grantee, granted.id, purpose="  loan   APPLICATION ")).reason is None


@pytest.mark.article(15, law="PIPL")
async def test_revoked_expired_not_yet_valid_and_exhausted_are_denied(
    db, subject, grantee, grant, use
):
    revoked = await grant(subject, grantee)
    async with db.transaction() as session:
        await consent.revoke_consent(session, subject.principal, revoked.id, reason="changed mind")
    assert (await use(grantee, revoked.id)).reason is consent.DenialReason.REVOKED

    later = await grant(subject, grantee, valid_from=now() + timedelta(days=1))
    assert (await use(grantee, later.id)).reason is consent.DenialReason.NOT_YET_VALID

    expired = await grant(subject, grantee)
    async with db.transaction() as session:  # time passes: move the window into the past
        row = await session.get(consent.Consent, expired.id)
        row.valid_from, row.valid_until = now() - timedelta(days=2), now() - timedelta(days=1)
    assert (await use(grantee, expired.id)).reason is consent.DenialReason.EXPIRED

    twice = await grant(subject, grantee, max_uses=2)
    assert (await use(grantee, twice.id)).reason is None
    assert (await use(grantee, twice.id)).reason is None
    assert (await use(grantee, twice.id)).reason is consent.DenialReason.EXHAUSTED

    once = await grant(subject, grantee, mode=consent.ConsentMode.ONE_TIME, frequency=None)
    assert (await use(grantee, once.id)).reason is None
    assert (await use(grantee, once.id)).reason is consent.DenialReason.EXHAUSTED


async def test_malformed_requests_and_unknown_consents_are_user_errors(
    subject, grantee, grant, use, make_caller
):
    granted = await grant(subject, grantee)
    with pytest.raises(UserError) as error:
        await use(grantee, granted.id, item=" ", purpose="")
    assert {p.code for p in error.value.problems} == {"ITEM_INVALID", "PURPOSE_REQUIRED"}
    with pytest.raises(UserError) as error:
        await use(grantee, granted.id, item="certificate:NO_SUCH_THING")
    assert error.value.code == "ITEM_INVALID"
    with pytest.raises(UserError) as error:
        await use(grantee, uuid.uuid4())
    assert error.value.code == "CONSENT_NOT_FOUND"
    person = await make_caller(Role.DATA_SUBJECT)
    with pytest.raises(UserError) as error:
        await use(person, granted.id)
    assert error.value.code == "ORGANIZATION_REQUIRED"


async def test_a_periodic_consent_allows_so_many_uses_per_window(db, subject, grantee, grant, use):
    """India's AA fetch frequency: at most usesPerPeriod ALLOWED uses in any rolling window;
    a denied use does not count, and the window moves on with time."""
    granted = await grant(subject, grantee, frequency="P1D", uses_per_period=2, max_uses=10)
    outcomes = [(await use(grantee, granted.id)) for _ in range(3)]
    assert [(u.outcome, u.reason) for u in outcomes] == [
        (consent.UseOutcome.ALLOWED, None),
        (consent.UseOutcome.ALLOWED, None),
        (consent.UseOutcome.DENIED, consent.DenialReason.FREQUENCY_EXCEEDED),
    ]
    # A day later (the recorded uses moved back 25 hours), the window has room again.
    async with db.transaction() as session:
        await session.execute(
            sa.update(consent.DataUse)
            .where(consent.DataUse.consent_id == granted.id)
            .values(at=now() - timedelta(hours=25))
        )
    again = await use(grantee, granted.id)
    assert again.outcome is consent.UseOutcome.ALLOWED
    async with db.read() as session:
        assert (await session.get(consent.Consent, granted.id)).uses == 3


async def test_rate_and_data_life_are_validated(subject, grantee, grant):
    cases = [
        ({"mode": consent.ConsentMode.ONE_TIME, "frequency": None, "uses_per_period": 1},
         "USES_PER_PERIOD_NOT_ALLOWED"),
        ({"uses_per_period": 0}, "USES_PER_PERIOD_INVALID"),
        ({"uses_per_period": 5, "max_uses": 3}, "USES_PER_PERIOD_INVALID"),
        ({"data_life": "forever"}, "DATA_LIFE_INVALID"),
    ]  # fmt: skip
    for overrides, code in cases:
        with pytest.raises(UserError) as refused:
            await grant(subject, grantee, **overrides)
        assert code in {p.code for p in refused.value.problems}, (overrides, refused.value)
    kept = await grant(subject, grantee, data_life="P30D", uses_per_period=1)
    assert kept.data_life == "P30D" and kept.uses_per_period == 1


async def test_the_gate_is_three_round_trips(db, subject, grantee, grant, use, count_statements):
    """Issue 14 §5: the locked read (terms, scope and the subject's ledger salt in one
    statement), the use row (with the consent's count, on PostgreSQL in the same statement)
    and the ledger fact queued; the sequencer's batch after the commit. A denial writes no
    count."""
    granted = await grant(subject, grantee)
    await use(grantee, granted.id)  # the subject's salt exists from the grant; warm caches
    with count_statements(db.writer) as counter:
        allowed = await use(grantee, granted.id)
    assert allowed.outcome is consent.UseOutcome.ALLOWED
    sqlite = db.is_sqlite
    kinds = [s.lstrip().split()[0].upper() for s in counter.mutation]
    if sqlite:  # no DML in a CTE: the count apart
        assert kinds == ["SELECT", "UPDATE", "INSERT", "INSERT"], counter.mutation
    else:
        assert kinds == ["SELECT", "WITH", "INSERT"], counter.mutation
        assert "FOR UPDATE" in counter.mutation[0] and "subject_salt" in counter.mutation[0]
    assert "INTO ledger_fact" in counter.mutation[-1]
    # The batch: head, queue, entry, node, party, head, fact, the DataUse's seq (PostgreSQL:
    # five round trips to the driver directly, not seen here).
    assert len(counter.batch) == (8 if sqlite else 0), counter.batch
    assert not sqlite or 'UPDATE "data_use"' in counter.batch[-1]
    with count_statements(db.writer) as counter:
        denied = await use(grantee, granted.id, "BUSINESS_LICENCE", "Marketing")
    assert denied.reason is consent.DenialReason.PURPOSE_MISMATCH
    kinds = [s.lstrip().split()[0].upper() for s in counter.mutation]
    assert kinds == ["SELECT", "INSERT", "INSERT"], counter.mutation  # no count
    async with db.read() as session:
        assert (await session.get(consent.Consent, granted.id)).uses == 2
