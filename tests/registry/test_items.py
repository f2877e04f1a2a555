"""Art. 8: one data item, one source department — claims, refusals, transfers, the race."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

import registry
from core.errors import UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry

pytestmark = pytest.mark.article(8)

CLAIM = """mutation($input: ClaimDataItemInput!) { claimDataItem(input: $input) {
  dataItem { id code name legalBasis sourceDepartment { id name } } userErrors { field code message } } }"""
TRANSFER = """mutation($input: TransferDataItemInput!) { transferDataItem(input: $input) {
  dataItem { code sourceDepartment { id } } userErrors { field code message } } }"""


def item_code() -> str:
    return f"market.licence-status.{uuid.uuid4().hex[:8]}"


async def test_an_agency_claims_and_a_second_claim_names_the_holder(gql, make_caller, db):
    first = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    second = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    code = item_code()
    data = {
        "code": code,
        "name": "Business licence status",
        "legalBasis": "Company Registration Regulations art. 3",
    }
    claimed = (await gql(CLAIM, {"input": data}, first))["data"]["claimDataItem"]
    assert claimed["userErrors"] == []
    holder = claimed["dataItem"]["sourceDepartment"]["name"]

    refused = (await gql(CLAIM, {"input": data}, second))["data"]["claimDataItem"]
    assert refused["dataItem"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "DATA_ITEM_ALREADY_CLAIMED" and error["field"] == "code"
    assert holder in error["message"]

    async with db.read() as session:
        entries = (
            (
                await session.execute(
                    sa.select(LedgerEntry).where(
                        LedgerEntry.kind == "registry.data_item.claimed",
                        LedgerEntry.body.contains(code),
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(entries) == 1  # the refused claim left no trace


async def test_claims_are_validated_and_only_agencies_claim(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    bad = (await gql(CLAIM, {"input": {"code": "-", "name": "", "legalBasis": " "}}, agency))[
        "data"
    ]["claimDataItem"]
    assert {e["code"] for e in bad["userErrors"]} == {
        "DATA_ITEM_CODE_INVALID",
        "NAME_INVALID",
        "LEGAL_BASIS_REQUIRED",
    }
    assert {e["field"] for e in bad["userErrors"]} == {"code", "name", "legalBasis"}
    for role, kind in [
        (Role.BROKER, OrganizationKind.BROKER),
        (Role.AUTHORITY, OrganizationKind.AUTHORITY),
        (Role.DATA_SUBJECT, None),
    ]:
        caller = await make_caller(role, kind)
        result = await gql(
            CLAIM, {"input": {"code": item_code(), "name": "x", "legalBasis": "y"}}, caller
        )
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.article(6)
async def test_the_authority_transfers_with_a_reason(gql, make_caller, authority, db):
    holder = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    successor = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    broker = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    code = item_code()
    claimed = await gql(
        CLAIM,
        {"input": {"code": code, "name": "Tax arrears", "legalBasis": "Tax Collection Law"}},
        holder,
    )
    holder_id = claimed["data"]["claimDataItem"]["dataItem"]["sourceDepartment"]["id"]
    successor_id = (await gql("{ viewer { organization { id } } }", caller=successor))["data"][
        "viewer"
    ]["organization"]["id"]
    broker_id = (await gql("{ viewer { organization { id } } }", caller=broker))["data"]["viewer"][
        "organization"
    ]["id"]

    forbidden = await gql(
        TRANSFER, {"input": {"code": code, "toOrganization": successor_id, "reason": "x"}}, holder
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for change, expected in [
        ({"reason": "  "}, "REASON_REQUIRED"),
        ({"code": "no.such.item"}, "DATA_ITEM_NOT_FOUND"),
        ({"toOrganization": broker_id}, "SOURCE_DEPARTMENT_INVALID"),
        ({"toOrganization": holder_id}, "DATA_ITEM_SAME_OWNER"),
        ({"toOrganization": "garbage"}, "ID_INVALID"),
    ]:
        data = {
            "code": code,
            "toOrganization": successor_id,
            "reason": "Reorganisation order 2026-7",
            **change,
        }
        result = (await gql(TRANSFER, {"input": data}, authority))["data"]["transferDataItem"]
        assert [e["code"] for e in result["userErrors"]] == [expected]

    moved = (
        await gql(
            TRANSFER,
            {
                "input": {
                    "code": code,
                    "toOrganization": successor_id,
                    "reason": "Reorganisation order 2026-7",
                }
            },
            authority,
        )
    )["data"]["transferDataItem"]
    assert moved["userErrors"] == [] and moved["dataItem"]["sourceDepartment"]["id"] == successor_id
    async with db.read() as session:
        entry = (
            await session.execute(
                sa.select(LedgerEntry).where(
                    LedgerEntry.kind == "registry.data_item.transferred",
                    LedgerEntry.body.contains(code),
                )
            )
        ).scalar_one()
    assert "Reorganisation order 2026-7" in entry.body
    # both agencies may read the transfer in the ledger
    for caller in (holder, successor):
        seen = await gql(
            "query($s: Int!) { ledgerEntry(seq: $s) { kind } }", {"s": entry.seq}, caller
        )
        assert seen["data"]["ledgerEntry"] == {"kind": "registry.data_item.transferred"}


async def test_collection_list_pages_by_code(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    codes = sorted(item_code() for _ in range(5))
    for code in codes:
        await gql(CLAIM, {"input": {"code": code, "name": code, "legalBasis": "law"}}, agency)
    org_id = (await gql("{ viewer { organization { id } } }", caller=agency))["data"]["viewer"][
        "organization"
    ]["id"]
    query = "query($o: ID, $a: String) { dataItems(sourceDepartment: $o, first: 2, after: $a) { edges { node { code } } pageInfo { hasNextPage endCursor } } }"
    seen, after = [], None
    while True:
        conn = (await gql(query, {"o": org_id, "a": after}, agency))["data"]["dataItems"]
        seen += [e["node"]["code"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == codes


async def test_two_agencies_racing_for_one_item_exactly_one_wins(db, make_caller, is_postgres):
    if not is_postgres:
        pytest.skip("the race is proven on PostgreSQL; SQLite has a single writer")
    callers = [await make_caller(Role.AGENCY, OrganizationKind.AGENCY) for _ in range(8)]
    code = item_code()

    async def claim(caller):
        try:
            async with db.transaction() as session:
                await registry.claim_data_item(
                    session, caller.principal, code=code, name="Raced", legal_basis="law"
                )
            return "won"
        except UserError as error:
            return error

    outcomes = await asyncio.gather(*(claim(c) for c in callers))
    assert outcomes.count("won") == 1
    losers = [o for o in outcomes if o != "won"]
    assert all(o.code == "DATA_ITEM_ALREADY_CLAIMED" for o in losers)
    winner = callers[outcomes.index("won")]
    async with db.read() as session:
        item = await registry.find_item(session, code)
        owner_name = (
            await session.execute(
                sa.text("SELECT name FROM organization WHERE id = :i"),
                {"i": item.source_department_id},
            )
        ).scalar_one()
    assert item.source_department_id == winner.org_id
    assert all(owner_name in o.problems[0].message for o in losers)


async def test_a_foreign_key_failure_is_not_reported_as_a_claimed_item(db):
    """Issue 10 §5: an integrity error is never reported as another error. An agency that
    does not exist (the API refuses its token; here the domain is called directly) cannot
    claim an item, and the refusal is not DATA_ITEM_ALREADY_CLAIMED."""
    from sqlalchemy.exc import IntegrityError

    from core.identity import Principal

    ghost = Principal("clerk", uuid.uuid4(), frozenset({Role.AGENCY}))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await registry.claim_data_item(
                session, ghost, code=f"test.ghost-{uuid.uuid4().hex[:8]}", name="x", legal_basis="y"
            )
