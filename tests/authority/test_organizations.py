"""Organisations as the data authority's domain (issue 10 §8): admissions and changes of kind
are ledger facts; a fresh ledger starts with the first authority's admission, and every
organisation's first entry is its own admission (the demo's: tests/broker/test_demo_brokers.py,
after its one seeding)."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from authority import bootstrap_authority, reclassify_organization, register_organization
from core.errors import Forbidden, UserError
from core.identity import Principal, Role
from core.models import OrganizationKind
from core.validators import make_org_code, make_uscc
from ledger.audit import verify_database
from ledger.models import LedgerEntry, LedgerParty
from schema.relay import to_global_id


def code(n: int) -> str:
    return make_uscc("91440700" + make_org_code(f"TA{uuid.uuid4().hex[:5].upper()}{n}"[:8]))


async def first_entry_of(session, org_id: uuid.UUID) -> LedgerEntry:
    seq = await session.scalar(
        sa.select(sa.func.min(LedgerParty.seq)).where(LedgerParty.party == f"org:{org_id}")
    )
    return await session.get(LedgerEntry, seq)


@pytest.mark.article(5)
async def test_a_fresh_ledger_begins_with_the_first_authoritys_admission(fresh_db):
    async with fresh_db.transaction() as session:
        boss = await bootstrap_authority(session, name="Data Authority", uscc=code(1))
    actor = Principal("admin", boss.id, frozenset({Role.AUTHORITY}))
    async with fresh_db.transaction() as session:
        again = await bootstrap_authority(session, name="Other", uscc=boss.uscc)
        firm = await register_organization(
            session, actor, kind=OrganizationKind.MARKET_ENTITY, name="Firm", uscc=code(2)
        )
    assert again.id == boss.id  # bootstrap is idempotent: no second admission
    async with fresh_db.read() as session:
        entries = list(await session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq)))
        first_of_firm = await first_entry_of(session, firm.id)
    assert [e.kind for e in entries] == ["authority.organization.admitted"] * 2
    first = json.loads(entries[0].body)
    assert (first["organization"], first["kind"], first["admittedBy"]) == (
        str(boss.id), "AUTHORITY", None,
    )  # fmt: skip
    assert json.loads(entries[0].actor)["sub"] == "pdex"  # the platform admits the first one
    assert first_of_firm.seq == entries[1].seq
    assert json.loads(first_of_firm.body) | {"uscc": None} == {
        "organization": str(firm.id), "kind": "MARKET_ENTITY", "name": "Firm", "uscc": None,
        "admittedBy": str(boss.id),
    }  # fmt: skip
    assert (await verify_database(fresh_db)).ok


@pytest.mark.article(5)
async def test_a_change_of_kind_is_a_ledger_fact(fresh_db):
    async with fresh_db.transaction() as session:
        boss = await bootstrap_authority(session, name="Data Authority", uscc=code(3))
    actor = Principal("admin", boss.id, frozenset({Role.AUTHORITY}))
    async with fresh_db.transaction() as session:
        firm = await register_organization(
            session, actor, kind=OrganizationKind.MARKET_ENTITY, name="Firm", uscc=code(4)
        )
    async with fresh_db.transaction() as session:
        changed = await reclassify_organization(
            session, actor, firm.id, kind=OrganizationKind.BROKER, reason="Licensed as a broker"
        )
    assert changed.kind is OrganizationKind.BROKER
    async with fresh_db.read() as session:
        last = await session.scalar(
            sa.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)
        )
    assert last.kind == "authority.organization.reclassified"
    assert json.loads(last.body) == {
        "organization": str(firm.id), "from": "MARKET_ENTITY", "to": "BROKER",
        "reason": "Licensed as a broker",
    }  # fmt: skip
    for org_id, kind, reason, expected in (
        (firm.id, OrganizationKind.BROKER, "again", "NOTHING_CHANGED"),
        (firm.id, OrganizationKind.AGENCY, "  ", "REASON_REQUIRED"),
        (boss.id, OrganizationKind.AGENCY, "no authority left", "LAST_AUTHORITY"),
        (uuid.uuid4(), OrganizationKind.AGENCY, "who?", "ORGANIZATION_NOT_FOUND"),
    ):
        with pytest.raises(UserError) as refused:
            async with fresh_db.transaction() as session:
                await reclassify_organization(session, actor, org_id, kind=kind, reason=reason)
        assert refused.value.code == expected
    broker = Principal("b", firm.id, frozenset({Role.BROKER}))
    with pytest.raises(Forbidden):
        async with fresh_db.transaction() as session:
            await reclassify_organization(
                session, broker, firm.id, kind=OrganizationKind.AUTHORITY, reason="promote me"
            )


async def test_change_organization_kind_over_http(gql, authority, make_caller):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    change = """mutation($input: ChangeOrganizationKindInput!) { changeOrganizationKind(input: $input) {
      organization { id kind } userErrors { field code } } }"""
    variables = {"organization": to_global_id("Organization", firm.org_id), "kind": "BROKER",
                 "reason": "Licensed as a broker"}  # fmt: skip
    denied = await gql(change, {"input": variables}, firm)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = (await gql(change, {"input": variables}, authority))["data"]
    assert done["changeOrganizationKind"] == {
        "organization": {"id": variables["organization"], "kind": "BROKER"}, "userErrors": [],
    }  # fmt: skip
    again = (await gql(change, {"input": variables}, authority))["data"]
    assert again["changeOrganizationKind"]["userErrors"] == [
        {"field": "kind", "code": "NOTHING_CHANGED"}
    ]
