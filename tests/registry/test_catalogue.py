"""The resource catalogue through GraphQL (Art. 9-11, 14, 18) and the DCAT export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.identity import Role
from core.models import OrganizationKind
from schema.relay import to_global_id

CLAIM = """mutation($input: ClaimDataItemInput!) { claimDataItem(input: $input) { userErrors { code } } }"""
CREATE = """mutation($input: CreateResourceInput!) { createResource(input: $input) {
  resource { id code name shareType openType isStale version lastUpdatedAt owner { name }
             dataItems { code } history { version change changedBy { id } } }
  userErrors { field code message } } }"""
UPDATE = """mutation($input: UpdateResourceInput!) { updateResource(input: $input) {
  resource { id version name openType history { version change } } userErrors { field code message } } }"""
REFRESH = """mutation($input: RecordResourceUpdateInput!) { recordResourceUpdate(input: $input) {
  resource { isStale lastUpdatedAt version } userErrors { field code } } }"""
LIST = """query($f: ResourceFilterInput, $after: String) { resources(filter: $f, first: 50, after: $after) {
  edges { node { code openType isStale } } pageInfo { hasNextPage endCursor } } }"""


def fresh(prefix: str = "res") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def resource_input(**overrides):
    data = {
        "code": fresh(),
        "name": "Enterprise registration records",
        "description": "Registered firms in Jiangmen",
        "shareType": "UNCONDITIONAL",
        "openType": "OPEN",
        "delivery": "API",
        "updateFrequency": "DAILY",
        "sensitivity": "GENERAL",
        "containsPersonalInfo": False,
        "dataItems": [],
    }
    data.update(overrides)
    return data


async def agency_with_item(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    code = fresh("item")
    result = await gql(
        CLAIM, {"input": {"code": code, "name": "Licence status", "legalBasis": "law"}}, agency
    )
    assert result["data"]["claimDataItem"]["userErrors"] == []
    return agency, code


@pytest.mark.article(9)
async def test_create_with_items_history_and_ledger(gql, make_caller):
    agency, item = await agency_with_item(gql, make_caller)
    result = (await gql(CREATE, {"input": resource_input(dataItems=[item])}, agency))["data"][
        "createResource"
    ]
    assert result["userErrors"] == []
    resource = result["resource"]
    assert resource["dataItems"] == [{"code": item}]
    assert (
        resource["version"] == 1
        and resource["isStale"] is False
        and resource["lastUpdatedAt"] is None
    )
    assert resource["history"][0]["version"] == 1 and "created" in resource["history"][0]["change"]
    entries = await gql(
        '{ ledgerEntries(kind: "registry.resource.created", first: 100) { edges { node { body } } } }',
        caller=agency,
    )
    assert any(
        e["node"]["body"]["code"] == resource["code"]
        for e in entries["data"]["ledgerEntries"]["edges"]
    )


@pytest.mark.article(8)
@pytest.mark.article(14)
@pytest.mark.article(15)
@pytest.mark.article(21, law="DSL")
async def test_rules_on_create(gql, make_caller):
    agency, item = await agency_with_item(gql, make_caller)
    other, foreign_item = await agency_with_item(gql, make_caller)
    cases = [
        ({"shareType": "CONDITIONAL"}, "SHARE_CONDITIONS_REQUIRED", "shareConditions"),
        ({"shareType": "NOT_SHARED"}, "SHARE_LEGAL_BASIS_REQUIRED", "shareLegalBasis"),
        ({"sensitivity": "CORE"}, "OPEN_TYPE_NOT_ALLOWED", "openType"),
        ({"dataItems": [foreign_item]}, "DATA_ITEM_NOT_OWNED", "dataItems"),
        ({"dataItems": ["no.such.item"]}, "DATA_ITEM_NOT_FOUND", "dataItems"),
        ({"code": "!"}, "RESOURCE_CODE_INVALID", "code"),
        ({"name": " "}, "NAME_INVALID", "name"),
    ]
    for overrides, code, field in cases:
        errors = (await gql(CREATE, {"input": resource_input(**overrides)}, agency))["data"][
            "createResource"
        ]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], overrides
    ok = resource_input(
        shareType="CONDITIONAL", shareConditions="Only for tax audits", dataItems=[item]
    )
    assert (await gql(CREATE, {"input": ok}, agency))["data"]["createResource"]["userErrors"] == []
    taken = (await gql(CREATE, {"input": resource_input(code=ok["code"])}, other))["data"][
        "createResource"
    ]
    assert [e["code"] for e in taken["userErrors"]] == ["RESOURCE_CODE_TAKEN"]
    for role, kind in [
        (Role.BROKER, OrganizationKind.BROKER),
        (Role.AUTHORITY, OrganizationKind.AUTHORITY),
    ]:
        caller = await make_caller(role, kind)
        result = await gql(CREATE, {"input": resource_input()}, caller)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.article(7)
@pytest.mark.article(9)
async def test_only_the_owner_updates_and_each_change_is_a_version(gql, make_caller):
    agency, _ = await agency_with_item(gql, make_caller)
    other = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    created = (await gql(CREATE, {"input": resource_input()}, agency))["data"]["createResource"][
        "resource"
    ]

    refused = await gql(UPDATE, {"input": {"id": created["id"], "name": "Hijacked"}}, other)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    updated = (
        await gql(
            UPDATE,
            {
                "input": {
                    "id": created["id"],
                    "name": "Registered enterprises",
                    "openType": "CONDITIONAL_OPEN",
                }
            },
            agency,
        )
    )["data"]["updateResource"]
    assert updated["userErrors"] == []
    assert updated["resource"]["version"] == 2
    assert updated["resource"]["history"][1]["change"] == {
        "name": ["Enterprise registration records", "Registered enterprises"],
        "openType": ["OPEN", "CONDITIONAL_OPEN"],
    }
    same = (
        await gql(
            UPDATE, {"input": {"id": created["id"], "name": "Registered enterprises"}}, agency
        )
    )["data"]["updateResource"]
    assert same["resource"]["version"] == 2  # nothing changed: no new version

    invalid = (
        await gql(UPDATE, {"input": {"id": created["id"], "shareType": "NOT_SHARED"}}, agency)
    )["data"]["updateResource"]
    assert [e["code"] for e in invalid["userErrors"]] == ["SHARE_LEGAL_BASIS_REQUIRED"]
    null = (await gql(UPDATE, {"input": {"id": created["id"], "name": None}}, agency))["data"][
        "updateResource"
    ]
    assert [e["code"] for e in null["userErrors"]] == ["FIELD_REQUIRED"]
    after = await gql(
        "query($id: ID!) { resource(id: $id) { version name } }", {"id": created["id"]}, agency
    )
    assert after["data"]["resource"] == {"version": 2, "name": "Registered enterprises"}


@pytest.mark.article(6)
@pytest.mark.article(8)
async def test_a_transferred_item_stays_on_the_old_owners_resource(gql, make_caller, authority):
    """Art. 5-8: after the authority moves an item to another agency, the old owner can still
    edit the resource that lists it; it only may not add items it is not the source of."""
    agency, item = await agency_with_item(gql, make_caller)
    successor = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    created = (await gql(CREATE, {"input": resource_input(dataItems=[item])}, agency))["data"][
        "createResource"
    ]
    assert created["userErrors"] == []
    transfer = """mutation($input: TransferDataItemInput!) { transferDataItem(input: $input) {
      userErrors { code } } }"""
    moved = await gql(
        transfer,
        {
            "input": {
                "code": item,
                "toOrganization": to_global_id("Organization", successor.org_id),
                "reason": "Reorganisation",
            }
        },
        authority,
    )
    assert moved["data"]["transferDataItem"]["userErrors"] == []

    renamed = (
        await gql(UPDATE, {"input": {"id": created["resource"]["id"], "name": "Renamed"}}, agency)
    )["data"]["updateResource"]
    assert renamed["userErrors"] == []
    assert renamed["resource"]["name"] == "Renamed" and renamed["resource"]["version"] == 2

    _, foreign = await agency_with_item(gql, make_caller)
    added = (
        await gql(
            UPDATE,
            {"input": {"id": created["resource"]["id"], "dataItems": [item, foreign]}},
            agency,
        )
    )["data"]["updateResource"]
    assert [(e["code"], e["field"]) for e in added["userErrors"]] == [
        ("DATA_ITEM_NOT_OWNED", "dataItems")
    ]
    # Re-adding the transferred item once it is off the resource is adding it again: refused.
    dropped = (
        await gql(UPDATE, {"input": {"id": created["resource"]["id"], "dataItems": []}}, agency)
    )["data"]["updateResource"]
    assert dropped["userErrors"] == []
    again = (
        await gql(UPDATE, {"input": {"id": created["resource"]["id"], "dataItems": [item]}}, agency)
    )["data"]["updateResource"]
    assert [e["code"] for e in again["userErrors"]] == ["DATA_ITEM_NOT_OWNED"]


@pytest.mark.article(11)
async def test_refresh_and_staleness(gql, make_caller):
    agency, _ = await agency_with_item(gql, make_caller)
    created = (await gql(CREATE, {"input": resource_input(updateFrequency="DAILY")}, agency))[
        "data"
    ]["createResource"]["resource"]
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    refreshed = (await gql(REFRESH, {"input": {"id": created["id"], "updatedAt": old}}, agency))[
        "data"
    ]["recordResourceUpdate"]
    assert refreshed["resource"]["isStale"] is True  # last refresh 3 days ago, daily frequency
    stale = await gql(LIST, {"f": {"owner": None, "stale": True, "text": created["code"]}}, agency)
    assert [e["node"]["code"] for e in stale["data"]["resources"]["edges"]] == [created["code"]]

    recent = datetime.now(UTC).isoformat()
    refreshed = (await gql(REFRESH, {"input": {"id": created["id"], "updatedAt": recent}}, agency))[
        "data"
    ]["recordResourceUpdate"]
    assert refreshed["resource"]["isStale"] is False
    not_stale = await gql(LIST, {"f": {"stale": False, "text": created["code"]}}, agency)
    assert [e["node"]["code"] for e in not_stale["data"]["resources"]["edges"]] == [created["code"]]

    for when, code in [
        ((datetime.now(UTC) + timedelta(days=1)).isoformat(), "UPDATED_IN_FUTURE"),
        (old, "UPDATE_OUT_OF_ORDER"),
    ]:
        result = (await gql(REFRESH, {"input": {"id": created["id"], "updatedAt": when}}, agency))[
            "data"
        ]["recordResourceUpdate"]
        assert [e["code"] for e in result["userErrors"]] == [code]


@pytest.mark.article(10)
@pytest.mark.article(18)
async def test_open_catalogue_without_a_token_and_visibility(gql, make_caller, client):
    agency, _ = await agency_with_item(gql, make_caller)
    marker = uuid.uuid4().hex[:8]
    codes = {}
    for open_type in ("OPEN", "CONDITIONAL_OPEN", "NOT_OPEN"):
        data = resource_input(
            code=fresh(f"vis{marker}"), openType=open_type, name=f"Vis {marker} {open_type}"
        )
        result = await gql(CREATE, {"input": data}, agency)
        codes[open_type] = result["data"]["createResource"]["resource"]["code"]

    async def visible(caller):
        result = await gql(LIST, {"f": {"text": marker}}, caller)
        return {e["node"]["openType"] for e in result["data"]["resources"]["edges"]}

    assert await visible(None) == {"OPEN"}
    assert await visible(await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)) == {
        "OPEN",
        "CONDITIONAL_OPEN",
    }
    assert await visible(await make_caller(Role.AGENCY, OrganizationKind.AGENCY)) == {
        "OPEN",
        "CONDITIONAL_OPEN",
        "NOT_OPEN",
    }

    response = await client.get("/catalogue.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    assert document["@type"] == "dcat:Catalog"
    ids = {d["dct:identifier"] for d in document["dcat:dataset"]}
    assert (
        codes["OPEN"] in ids
        and codes["CONDITIONAL_OPEN"] not in ids
        and codes["NOT_OPEN"] not in ids
    )
    mine = next(d for d in document["dcat:dataset"] if d["dct:identifier"] == codes["OPEN"])
    assert mine["dct:accrualPeriodicity"]["@id"].endswith("/DAILY")
    assert mine["dcat:distribution"][0]["dct:format"] == "API"


async def test_resources_statement_count_does_not_grow(gql, make_caller, count_statements):
    agency, item = await agency_with_item(gql, make_caller)
    marker = uuid.uuid4().hex[:8]
    for i in range(12):
        await gql(
            CREATE,
            {
                "input": resource_input(
                    code=fresh(f"cnt{marker}"), dataItems=[item] if i % 2 else []
                )
            },
            agency,
        )
    query = """query($n: Int!, $t: String) { resources(filter: {text: $t}, first: $n) { edges { node {
      code owner { name } dataItems { code sourceDepartment { name } } history { version changedBy { name } } } } } }"""
    counts = []
    for n in (2, 12):
        with count_statements() as counter:
            result = await gql(query, {"n": n, "t": marker}, agency)
        assert len(result["data"]["resources"]["edges"]) == n
        counts.append(len(counter.statements))
    assert counts[0] == counts[1], counts


async def test_text_search_takes_wildcards_literally(gql, make_caller):
    agency, _ = await agency_with_item(gql, make_caller)
    marker = uuid.uuid4().hex[:8]
    for name in (
        f"Coverage 50% {marker}",
        f"Coverage 505 {marker}",
        f"a_b {marker}",
        f"axb {marker}",
        f"back\\slash {marker}",
    ):
        await gql(CREATE, {"input": resource_input(name=name)}, agency)

    async def names(text):
        result = await gql(LIST, {"f": {"text": text}}, agency)
        return {e["node"]["code"] for e in result["data"]["resources"]["edges"]}

    assert len(await names(f"50% {marker}")) == 1
    assert len(await names(f"a_b {marker}")) == 1
    assert len(await names(f"back\\slash {marker}")) == 1
    assert len(await names(marker.upper())) == 5  # case-insensitive
