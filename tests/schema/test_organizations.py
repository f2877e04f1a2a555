"""registerOrganization, organization(s), node and viewer through the ASGI app."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.identity import Role
from core.models import Organization, OrganizationKind

REGISTER = """
mutation($input: RegisterOrganizationInput!) {
  registerOrganization(input: $input) {
    organization { id kind name uscc registeredBy { name } }
    userErrors { field message code }
  }
}"""


async def org_count(db: Any) -> int:
    async with db.read() as session:
        return (
            await session.execute(sa.select(sa.func.count()).select_from(Organization))
        ).scalar_one()


async def test_authority_registers_an_organization(gql, authority, db, new_uscc):
    code = new_uscc()
    result = await gql(
        REGISTER,
        {"input": {"kind": "AGENCY", "name": "  Bureau of Tests ", "uscc": code.lower()}},
        authority,
    )
    payload = result["data"]["registerOrganization"]
    assert payload["userErrors"] == []
    org = payload["organization"]
    assert org["kind"] == "AGENCY"
    assert org["name"] == "Bureau of Tests"
    assert org["uscc"] == code  # normalised to upper case
    assert org["registeredBy"] is not None

    again = await gql(
        "query($id: ID!) { node(id: $id) { id ... on Organization { uscc } } }",
        {"id": org["id"]},
        authority,
    )
    assert again["data"]["node"] == {"id": org["id"], "uscc": code}


async def test_invalid_uscc_is_a_user_error_and_writes_nothing(gql, authority, db):
    before = await org_count(db)
    result = await gql(
        REGISTER,
        {"input": {"kind": "BROKER", "name": "X", "uscc": "91350100M000100Y44"}},
        authority,
    )
    payload = result["data"]["registerOrganization"]
    assert payload["organization"] is None
    assert payload["userErrors"] == [
        {"field": "uscc", "code": "USCC_INVALID", "message": payload["userErrors"][0]["message"]}
    ]
    assert "check character" in payload["userErrors"][0]["message"]
    assert await org_count(db) == before


async def test_several_problems_are_reported_together(gql, authority):
    result = await gql(
        REGISTER, {"input": {"kind": "BROKER", "name": "   ", "uscc": "nope"}}, authority
    )
    codes = {e["code"] for e in result["data"]["registerOrganization"]["userErrors"]}
    assert codes == {"NAME_REQUIRED", "USCC_INVALID"}


async def test_duplicate_uscc_names_the_holder(gql, authority, db, new_uscc):
    code = new_uscc()
    first = await gql(
        REGISTER, {"input": {"kind": "BROKER", "name": "First Holder", "uscc": code}}, authority
    )
    assert first["data"]["registerOrganization"]["userErrors"] == []
    before = await org_count(db)
    second = await gql(
        REGISTER, {"input": {"kind": "AGENCY", "name": "Second", "uscc": code}}, authority
    )
    errors = second["data"]["registerOrganization"]["userErrors"]
    assert [e["code"] for e in errors] == ["USCC_TAKEN"]
    assert "First Holder" in errors[0]["message"]
    assert await org_count(db) == before


async def test_only_the_authority_may_register(gql, make_caller, db, new_uscc):
    before = await org_count(db)
    for role, kind in [
        (Role.AGENCY, OrganizationKind.AGENCY),
        (Role.BROKER, OrganizationKind.BROKER),
        (Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY),
        (Role.AUDITOR, OrganizationKind.AUDITOR),
        (Role.DATA_SUBJECT, None),
    ]:
        caller = await make_caller(role, kind)
        before = await org_count(db)
        result = await gql(
            REGISTER, {"input": {"kind": "AGENCY", "name": "Sneaky", "uscc": new_uscc()}}, caller
        )
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert await org_count(db) == before


async def test_anonymous_gets_unauthenticated(gql, new_uscc):
    result = await gql(REGISTER, {"input": {"kind": "AGENCY", "name": "Anon", "uscc": new_uscc()}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for query in ("{ viewer { subject } }", "{ organizations { edges { cursor } } }"):
        result = await gql(query)
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_reports_token_identity(gql, make_caller):
    caller = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    result = await gql("{ viewer { subject roles organization { id kind } } }", caller=caller)
    viewer = result["data"]["viewer"]
    assert viewer["subject"] == caller.principal.subject
    assert viewer["roles"] == ["BROKER"]
    assert viewer["organization"]["kind"] == "BROKER"


LIST = """
query($kind: OrganizationKind, $first: Int!, $after: String) {
  organizations(kind: $kind, first: $first, after: $after) {
    edges { cursor node { id name kind } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def test_keyset_pages_cover_every_row_once_in_name_order(gql, authority, make_caller):
    for _ in range(7):
        await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        result = await gql(LIST, {"kind": "AUDITOR", "first": 3, "after": after}, authority)
        conn = result["data"]["organizations"]
        seen += [edge["node"] for edge in conn["edges"]]
        assert conn["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) >= 7
    assert all(node["kind"] == "AUDITOR" for node in seen)
    assert len({node["id"] for node in seen}) == len(seen)
    keys = [(node["name"]) for node in seen]
    assert keys == sorted(keys)


async def test_page_size_cap_and_bad_cursor(gql, authority):
    result = await gql(LIST, {"first": 101}, authority)
    assert result["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "PAGE_SIZE_INVALID",
        "field": "first",
    }
    result = await gql(LIST, {"first": 5, "after": "garbage!"}, authority)
    assert result["errors"][0]["extensions"]["reason"] == "CURSOR_INVALID"


async def test_bad_global_id(gql, authority):
    result = await gql('{ organization(id: "bm9wZQ==") { id } }', caller=authority)
    assert result["errors"][0]["extensions"]["reason"] == "ID_INVALID"
    import uuid

    from schema.relay import to_global_id

    missing = to_global_id("Organization", uuid.uuid4())
    result = await gql(
        "query($id: ID!) { organization(id: $id) { id } }", {"id": missing}, authority
    )
    assert result["data"]["organization"] is None


async def test_statement_count_does_not_grow_with_page_size(
    gql, authority, make_caller, count_statements
):
    for _ in range(55):
        await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    query = """query($first: Int!) { organizations(first: $first) {
        edges { node { id name uscc kind createdAt registeredBy { id name registeredBy { id } } } } } }"""
    counts = {}
    for first in (5, 50):
        with count_statements() as counter:
            result = await gql(query, {"first": first}, authority)
        assert len(result["data"]["organizations"]["edges"]) == first
        counts[first] = len(counter.statements)
    assert counts[5] == counts[50], counts
    assert counts[5] <= 2, counts  # the page joined to its registrants, then one batch
