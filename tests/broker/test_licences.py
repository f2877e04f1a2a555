"""Art. 26 licensing: the transition table, decisions with reasons as ledger facts, expiry
computed from validUntil, and the licence read from the database at each broker action."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import broker
from broker import LicenceDecisionKind as D
from broker import LicenceStatus as S
from core.clock import now
from core.errors import Forbidden, UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry

pytestmark = pytest.mark.article(26)

TERMS = broker.ListingTerms(
    price=Decimal("100.00"), pricing_model=broker.PricingModel.ONE_TIME,
    purposes=("SME credit scoring",), term="P1Y", territory="Jiangmen",
)  # fmt: skip

ALLOWED = {
    (S.APPLIED, D.APPROVE), (S.APPLIED, D.REJECT), (S.APPLIED, D.REVOKE),
    (S.LICENSED, D.SUSPEND), (S.LICENSED, D.REVOKE),
    (S.SUSPENDED, D.REINSTATE), (S.SUSPENDED, D.REVOKE),
    (S.EXPIRED, D.REVOKE), (S.REJECTED, D.REVOKE),
}  # fmt: skip


@pytest.mark.parametrize("before", list(S))
@pytest.mark.parametrize("decision", list(D))
def test_transition_table_exhaustively(before, decision):
    assert broker.can_decide(before, decision) is ((before, decision) in ALLOWED)
    if (before, decision) in ALLOWED:
        assert broker.DECISION_TARGET[decision] in broker.LICENCE_TRANSITIONS[before]


async def test_apply_approve_suspend_reinstate_revoke_each_a_ledger_fact(
    db, make_caller, authority, act, application
):
    firm = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    licence = await act(broker.apply_broker_licence, firm.principal, application)
    assert licence.status is S.APPLIED
    seqs = [licence.ledger_seq]
    for decision, status in (
        (D.APPROVE, S.LICENSED), (D.SUSPEND, S.SUSPENDED), (D.REINSTATE, S.LICENSED),
        (D.REVOKE, S.REVOKED),
    ):  # fmt: skip
        licence = await act(
            broker.decide_broker_licence, authority.principal, licence.id, decision=decision,
            reason=f"because {decision.value}", grade="B" if decision is D.APPROVE else None,
        )  # fmt: skip
        assert licence.status is status
    assert licence.grade == "B" and licence.valid_until > now() + timedelta(days=1000)
    async with db.read() as session:
        (decisions,) = await broker.decisions_of(session, [licence.id])
        kinds = (
            await session.scalars(
                sa.select(LedgerEntry.kind)
                .where(LedgerEntry.seq.in_([d.ledger_seq for d in decisions] + seqs))
                .order_by(LedgerEntry.seq)
            )
        ).all()
    assert [d.reason for d in decisions][0] == "because APPROVE"
    assert kinds == [
        "broker.licence.applied", "broker.licence.licensed", "broker.licence.suspended",
        "broker.licence.reinstated", "broker.licence.revoked",
    ]  # fmt: skip
    with pytest.raises(UserError) as refused:
        await act(
            broker.decide_broker_licence, authority.principal, licence.id, decision=D.REINSTATE,
            reason="no",
        )  # fmt: skip
    assert refused.value.code == "LICENCE_STATUS_INVALID"


async def test_every_decision_needs_a_reason_and_the_authority(make_broker, authority, act):
    caller, licence = await make_broker()
    with pytest.raises(UserError) as missing:
        await act(
            broker.decide_broker_licence, authority.principal, licence.id, decision=D.SUSPEND,
            reason="  ",
        )  # fmt: skip
    assert missing.value.code == "REASON_REQUIRED"
    with pytest.raises(Forbidden):
        await act(
            broker.decide_broker_licence, caller.principal, licence.id, decision=D.REVOKE,
            reason="self",
        )  # fmt: skip
    with pytest.raises(UserError) as bad_grade:
        await act(
            broker.decide_broker_licence, authority.principal, licence.id, decision=D.SUSPEND,
            reason="x", grade="E",
        )  # fmt: skip
    assert bad_grade.value.code == "GRADE_INVALID"


async def test_application_checks_credentials_and_one_open_licence(
    make_caller, make_broker, act, application
):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    weak = replace(application, mlps_level=1, dcmm_level=9, contact=" ", scenarios=())
    with pytest.raises(UserError) as problems:
        await act(broker.apply_broker_licence, firm.principal, weak)
    assert {p.code for p in problems.value.problems} == {
        "MLPS_LEVEL_TOO_LOW", "DCMM_LEVEL_INVALID", "CONTACT_REQUIRED", "SCENARIOS_REQUIRED",
    }  # fmt: skip
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    with pytest.raises(Forbidden):
        await act(broker.apply_broker_licence, agency.principal, application)
    caller, _ = await make_broker()
    with pytest.raises(UserError) as twice:
        await act(broker.apply_broker_licence, caller.principal, application)
    assert twice.value.code == "LICENCE_ALREADY_HELD"


async def test_a_broker_token_is_not_enough(make_broker, make_caller, make_asset, act, application):
    """The licence is read at the time of the action: applied, rejected, suspended, revoked
    and expired brokers are all refused, each with its own code."""
    applied = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    await act(broker.apply_broker_licence, applied.principal, application)
    rejected, _ = await make_broker(D.REJECT)
    suspended, _ = await make_broker(D.APPROVE, D.SUSPEND)
    revoked, _ = await make_broker(D.APPROVE, D.REVOKE)
    nobody = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    for caller, code in (
        (applied, "LICENCE_REQUIRED"), (rejected, "LICENCE_REQUIRED"),
        (nobody, "LICENCE_REQUIRED"), (suspended, "LICENCE_SUSPENDED"),
        (revoked, "LICENCE_REVOKED"),
    ):  # fmt: skip
        asset = await make_asset(caller.org_id)
        with pytest.raises(UserError) as refused:
            await act(broker.list_product, caller.principal, asset.id, TERMS)
        assert refused.value.code == code


async def licences_by_status(db, every, actor, status):
    async with db.read() as session:
        return {row.id for row in await every(broker.list_licences, session, actor, status=status)}


async def listed_by(db, actor, broker_id):
    async with db.read() as session:
        page = await broker.list_listings(
            session, actor, broker.ListingFilter(broker_id=broker_id), first=100, after=None
        )
    return [listing.id for listing, _ in page.items]


async def test_expiry_is_computed_from_valid_until(
    db, make_broker, make_asset, act, authority, every
):
    caller, licence = await make_broker()
    asset = await make_asset(caller.org_id)
    listing = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, TERMS
    )
    assert await listed_by(db, authority.principal, caller.org_id) == [listing.id]
    assert licence.id in await licences_by_status(db, every, authority.principal, S.LICENSED)
    assert licence.id not in await licences_by_status(db, every, authority.principal, S.EXPIRED)
    async with db.transaction() as session:
        await session.execute(
            sa.update(broker.BrokerLicence)
            .where(broker.BrokerLicence.id == licence.id)
            .values(valid_until=now() - timedelta(seconds=1))
        )
    async with db.read() as session:
        current = await broker.current_licence(session, caller.org_id)
    assert current.status is S.LICENSED  # stored
    assert broker.effective_status(current, now()) is S.EXPIRED  # computed
    # Art. 26: the licence ends at validUntil, and with it the broker's offers on the market;
    # the licence lists as EXPIRED, no longer as LICENSED, for the authority and the broker.
    assert await listed_by(db, authority.principal, caller.org_id) == []
    for actor in (authority.principal, caller.principal):
        assert licence.id in await licences_by_status(db, every, actor, S.EXPIRED)
        assert licence.id not in await licences_by_status(db, every, actor, S.LICENSED)
    assert await licences_by_status(db, every, caller.principal, S.EXPIRED) == {licence.id}
    with pytest.raises(UserError) as refused:
        await act(broker.list_product, caller.principal, asset.id, TERMS)
    assert refused.value.code == "LICENCE_EXPIRED"
    with pytest.raises(UserError):  # an expired licence is not suspended, nor reinstated
        await act(
            broker.decide_broker_licence, authority.principal, licence.id, decision=D.SUSPEND,
            reason="x",
        )  # fmt: skip
    revoked = await act(
        broker.decide_broker_licence, authority.principal, licence.id, decision=D.REVOKE,
        reason="expired and in breach",
    )  # fmt: skip
    assert revoked.status is S.REVOKED


async def test_licences_are_scoped_to_their_organisation(db, make_broker, authority, every):
    mine, licence = await make_broker()
    other, theirs = await make_broker()
    async with db.read() as session:
        own = await broker.list_licences(
            session, mine.principal, status=None, first=100, after=None
        )
        seen = await broker.get_licences(session, mine.principal, [licence.id, theirs.id])
        everyone = await every(broker.list_licences, session, authority.principal, status=None)
        licensed = await every(
            broker.list_licences, session, authority.principal, status=S.LICENSED
        )
        both = await broker.get_licences(session, authority.principal, [licence.id, theirs.id])
    assert [row.id for row in own.items] == [licence.id]
    assert seen[0] is not None and seen[1] is None
    # The authority sees both organisations' licences, listed and by id.
    assert {licence.id, theirs.id} <= {row.id for row in everyone}
    assert {licence.id, theirs.id} <= {row.id for row in licensed}
    assert [row.id for row in both] == [licence.id, theirs.id]


async def test_effective_status_in_sql_is_the_python_rule(db, make_caller):
    """`effective_status_is` (the SQL of the listings and the licence filter) selects exactly
    the licences `effective_status` gives that status, for every stored status and term,
    a licence without `valid_until` included (it does not expire)."""
    owner = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    at = now()
    rows = [
        broker.BrokerLicence(
            broker_id=owner.org_id, broker_type=broker.BrokerType.DATA_ENABLEMENT,
            business_scope="test", scenarios="[]", mlps_level=3, dcmm_level=3, contact="x",
            minors_data_handling="x", sensitive_data_handling="x", status=stored,
            valid_until=until, ledger_seq=0,
        )
        for stored in S
        for until in (None, at - timedelta(seconds=1), at, at + timedelta(days=1))
    ]  # fmt: skip
    async with db.transaction() as session:
        session.add_all(rows)
    async with db.read() as session:
        for status in S:
            selected = set(
                await session.scalars(
                    sa.select(broker.BrokerLicence.id).where(
                        broker.BrokerLicence.broker_id == owner.org_id,
                        broker.effective_status_is(status, at),
                    )
                )
            )
            expected = {row.id for row in rows if broker.effective_status(row, at) is status}
            assert selected == expected, status
    assert {broker.effective_status(row, at) for row in rows if row.valid_until is None} == set(S)
