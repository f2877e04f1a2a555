"""Art. 25 registration: the lifecycle, its refusals, the public notice and the certificate."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import SHANGHAI, now
from core.identity import Role
from core.models import OrganizationKind
from ledger import merkle
from ledger.models import LedgerEntry
from registry.models import ASSET_TRANSITIONS, Asset, AssetStatus
from schema.relay import from_global_id

pytestmark = pytest.mark.article(25)

FIELDS = "id status noticeEndsAt noticeEndsProvisional decisionReason version certificate { number ledgerSeq rights holder { name } }"
REGISTER = f"""mutation($input: RegisterAssetInput!) {{ registerAsset(input: $input) {{
  asset {{ {FIELDS} sources {{ datasetName resource {{ code }} }} }} userErrors {{ field code message }} }} }}"""


def m(name: str, input_type: str) -> str:
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
      asset {{ {FIELDS} objections {{ id upheld }} }} userErrors {{ field code message }} }} }}"""


SUBMIT = m("submitAssetRegistration", "AssetIdInput")
REVIEW = m("reviewAssetRegistration", "ReviewAssetInput")
OBJECT = m("objectToAsset", "ObjectToAssetInput")
RESOLVE = m("resolveAssetObjection", "ResolveObjectionInput")
COMPLETE = m("completeAssetRegistration", "AssetIdInput")
CHANGE = m("changeAssetRegistration", "ChangeAssetInput")
CANCEL = m("cancelAssetRegistration", "CancelAssetInput")


def product(**overrides):
    data = {
        "kind": "DATA_PRODUCT",
        "name": f"Credit risk index {uuid.uuid4().hex[:6]}",
        "scenario": "SME lending in Jiangmen",
        "rights": ["PROCESSING_USE", "OPERATION"],
        "updateFrequency": "MONTHLY",
        "sources": [
            {
                "datasetName": "Bank loan book",
                "datasetHolder": "Wuyi Bank",
                "legalBasis": "Customer contracts, clause 7",
            }
        ],
    }
    data.update(overrides)
    return data


async def payload(gql, query, variables, caller, key):
    result = await gql(query, {"input": variables}, caller)
    assert "errors" not in result, result
    return result["data"][key]


async def end_notice(db, asset_id):
    """Five working days pass (the deadline itself is computed by the real calendar)."""
    async with db.transaction() as session:
        await session.execute(
            sa.update(Asset)
            .where(Asset.id == from_global_id(asset_id)[1])
            .values(notice_ends_at=now() - timedelta(seconds=1))
        )


async def ledger_kinds(db, asset_id):
    """The `registry.asset.*` entries written about one asset, in order (Art. 25: every
    transition is a ledger entry)."""
    asset = str(from_global_id(asset_id)[1])
    async with db.read() as session:
        kinds = await session.scalars(
            sa.select(LedgerEntry.kind)
            .where(
                LedgerEntry.kind.startswith("registry.asset."),
                LedgerEntry.body.contains(f'"asset":"{asset}"'),  # canonical JSON
            )
            .order_by(LedgerEntry.seq)
        )
        return [kind.removeprefix("registry.asset.") for kind in kinds]


CREATE_RESOURCE = """mutation($input: CreateResourceInput!) { createResource(input: $input) {
  resource { code } userErrors { code } } }"""


async def catalogue_resource(gql, agency):
    code = f"res.{uuid.uuid4().hex[:10]}"
    result = await gql(
        CREATE_RESOURCE,
        {
            "input": {
                "code": code,
                "name": "Enterprise registration records",
                "shareType": "UNCONDITIONAL",
                "openType": "OPEN",
                "delivery": "API",
                "updateFrequency": "DAILY",
                "sensitivity": "GENERAL",
                "containsPersonalInfo": False,
            }
        },
        agency,
    )
    assert result["data"]["createResource"]["userErrors"] == [], result
    return code


async def registered_asset(gql, db, firm, authority):
    asset_id = (await payload(gql, REGISTER, product(), firm, "registerAsset"))["asset"]["id"]
    await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration")
    await payload(
        gql, REVIEW, {"id": asset_id, "decision": "ACCEPT"}, authority, "reviewAssetRegistration"
    )
    await end_notice(db, asset_id)
    done = await payload(gql, COMPLETE, {"id": asset_id}, firm, "completeAssetRegistration")
    assert done["asset"]["status"] == "REGISTERED"
    return asset_id


async def test_full_lifecycle_to_a_certificate(gql, make_caller, authority, db, monkeypatch):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    draft = (await payload(gql, REGISTER, product(), firm, "registerAsset"))["asset"]
    assert draft["status"] == "DRAFT"
    asset_id = draft["id"]
    assert (await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration"))["asset"][
        "status"
    ] == "SUBMITTED"
    noticed = (
        await payload(
            gql,
            REVIEW,
            {"id": asset_id, "decision": "ACCEPT"},
            authority,
            "reviewAssetRegistration",
        )
    )["asset"]
    assert noticed["status"] == "PUBLIC_NOTICE"
    # 5 working days on the CN calendar, ending at 24:00 Shanghai time (core.workdays).
    deadline = await gql(
        "query($at: DateTime!) { workingDayDeadline(receivedAt: $at, workingDays: 5) {"
        " at provisional } }",
        {"at": now().isoformat()},
        authority,
    )
    expected = deadline["data"]["workingDayDeadline"]
    assert noticed["noticeEndsAt"][:10] == expected["at"][:10]
    assert noticed["noticeEndsProvisional"] is expected["provisional"]

    early = await payload(gql, COMPLETE, {"id": asset_id}, firm, "completeAssetRegistration")
    assert [e["code"] for e in early["userErrors"]] == ["NOTICE_RUNNING"]
    # Issue 10 §7: the message shows the Shanghai date, not UTC with microseconds.
    ends = datetime.fromisoformat(noticed["noticeEndsAt"]).astimezone(SHANGHAI)
    assert f"{ends:%Y-%m-%d} 23:59 (Asia/Shanghai)" in early["userErrors"][0]["message"]
    await end_notice(db, asset_id)
    registered = (
        await payload(gql, COMPLETE, {"id": asset_id}, firm, "completeAssetRegistration")
    )["asset"]
    assert registered["status"] == "REGISTERED"
    certificate = registered["certificate"]
    assert certificate["number"].startswith("JMDR-") and certificate["rights"] == [
        "OPERATION",
        "PROCESSING_USE",
    ]

    proof = await gql(
        "query($id: ID!) { asset(id: $id) { certificate { ledgerSeq inclusionProof { leafHash hashes rootHash treeSize } } } }",
        {"id": asset_id},
        firm,
    )
    cert = proof["data"]["asset"]["certificate"]
    p = cert["inclusionProof"]
    assert merkle.verify_inclusion(
        bytes.fromhex(p["leafHash"]),
        cert["ledgerSeq"],
        p["treeSize"],
        [bytes.fromhex(h) for h in p["hashes"]],
        bytes.fromhex(p["rootHash"]),
    )
    entry = await gql(
        "query($s: Int!) { ledgerEntry(seq: $s) { kind body } }", {"s": cert["ledgerSeq"]}, firm
    )
    assert entry["data"]["ledgerEntry"]["kind"] == "registry.asset.registered"

    # Anonymous callers see registered assets (the public register).
    public = await gql("query($id: ID!) { asset(id: $id) { status } }", {"id": asset_id})
    assert public["data"]["asset"] == {"status": "REGISTERED"}

    changed = (
        await payload(
            gql,
            CHANGE,
            {"id": asset_id, "scenario": "SME and farm lending"},
            firm,
            "changeAssetRegistration",
        )
    )["asset"]
    assert changed["status"] == "SUBMITTED" and changed["version"] == 2
    assert changed["certificate"] is None  # under review again: not certified meanwhile
    renoticed = (
        await payload(
            gql,
            REVIEW,
            {"id": asset_id, "decision": "ACCEPT"},
            authority,
            "reviewAssetRegistration",
        )
    )["asset"]
    assert renoticed["status"] == "PUBLIC_NOTICE" and renoticed["certificate"] is None
    await end_notice(db, asset_id)
    # Registered again days later: the number (which carries the first date) stays.
    later = now() + timedelta(days=3)
    monkeypatch.setattr("registry.assets.now", lambda: later)
    again = (await payload(gql, COMPLETE, {"id": asset_id}, firm, "completeAssetRegistration"))[
        "asset"
    ]
    assert again["status"] == "REGISTERED" and again["version"] == 2
    assert again["certificate"]["number"] == certificate["number"]
    assert again["certificate"]["ledgerSeq"] > cert["ledgerSeq"]

    cancelled = (
        await payload(
            gql,
            CANCEL,
            {"id": asset_id, "reason": "Product withdrawn"},
            firm,
            "cancelAssetRegistration",
        )
    )["asset"]
    assert cancelled["status"] == "CANCELLED" and cancelled["certificate"] is None
    assert await ledger_kinds(db, asset_id) == [
        "drafted",
        "submitted",
        "noticed",
        "registered",
        "changed",
        "noticed",
        "registered",
        "cancelled",
    ]


async def test_a_change_is_checked_like_a_registration(gql, make_caller, authority, db):
    """Art. 25: changed particulars meet the rules a registration does (and fit the columns)."""
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    too_long = await payload(gql, REGISTER, product(scale="x" * 201), firm, "registerAsset")
    assert [(e["code"], e["field"]) for e in too_long["userErrors"]] == [
        ("SCALE_TOO_LONG", "scale")
    ]
    asset_id = await registered_asset(gql, db, firm, authority)
    for change, expected in [
        ({"name": "n" * 201}, ("NAME_INVALID", "name")),
        ({"name": " "}, ("NAME_INVALID", "name")),
        ({"scenario": ""}, ("SCENARIO_REQUIRED", "scenario")),
        ({"scenario": "s" * 2001}, ("SCENARIO_TOO_LONG", "scenario")),
        ({"description": "d" * 4001}, ("DESCRIPTION_TOO_LONG", "description")),
        ({"deliveryMode": "m" * 201}, ("DELIVERY_MODE_TOO_LONG", "deliveryMode")),
        ({"timeSpan": "t" * 201}, ("TIME_SPAN_TOO_LONG", "timeSpan")),
    ]:
        result = await payload(
            gql, CHANGE, {"id": asset_id, **change}, firm, "changeAssetRegistration"
        )
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [expected], change
    fits = await payload(
        gql, CHANGE, {"id": asset_id, "name": "n" * 200}, firm, "changeAssetRegistration"
    )
    assert fits["userErrors"] == [] and fits["asset"]["version"] == 2


async def test_objection_pauses_then_rejects_or_resumes(gql, make_caller, authority, db):
    firm = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    citizen = await make_caller(Role.DATA_SUBJECT, sub=f"citizen-{uuid.uuid4()}")
    ids = []
    for _ in range(2):
        asset_id = (
            await payload(gql, REGISTER, product(kind="DATA_SERVICE"), firm, "registerAsset")
        )["asset"]["id"]
        await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration")
        await payload(
            gql,
            REVIEW,
            {"id": asset_id, "decision": "ACCEPT"},
            authority,
            "reviewAssetRegistration",
        )
        ids.append(asset_id)

    blank = await payload(gql, OBJECT, {"id": ids[0], "text": " "}, citizen, "objectToAsset")
    assert [e["code"] for e in blank["userErrors"]] == ["OBJECTION_TEXT_REQUIRED"]
    objected = (
        await payload(
            gql,
            OBJECT,
            {"id": ids[0], "text": "This uses my loan data without consent."},
            citizen,
            "objectToAsset",
        )
    )["asset"]
    assert objected["status"] == "OBJECTED"
    objection = objected["objections"][0]["id"]
    await end_notice(db, ids[0])
    paused = await payload(gql, COMPLETE, {"id": ids[0]}, firm, "completeAssetRegistration")
    assert [e["code"] for e in paused["userErrors"]] == [
        "ASSET_STATUS_INVALID"
    ]  # objected: no registration

    refused = await gql(
        RESOLVE, {"input": {"objection": objection, "upheld": True, "resolution": "x"}}, firm
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    upheld = (
        await payload(
            gql,
            RESOLVE,
            {"objection": objection, "upheld": True, "resolution": "Consent was not shown."},
            authority,
            "resolveAssetObjection",
        )
    )["asset"]
    assert upheld["status"] == "REJECTED" and upheld["decisionReason"] == "Consent was not shown."

    objected = (
        await payload(
            gql,
            OBJECT,
            {"id": ids[1], "text": "Duplicate of another product."},
            citizen,
            "objectToAsset",
        )
    )["asset"]
    dismissed = (
        await payload(
            gql,
            RESOLVE,
            {
                "objection": objected["objections"][0]["id"],
                "upheld": False,
                "resolution": "Different data.",
            },
            authority,
            "resolveAssetObjection",
        )
    )["asset"]
    assert dismissed["status"] == "PUBLIC_NOTICE"
    await end_notice(db, ids[1])
    late = await payload(gql, OBJECT, {"id": ids[1], "text": "Too late?"}, citizen, "objectToAsset")
    assert [e["code"] for e in late["userErrors"]] == ["NOTICE_ENDED"]
    done = (await payload(gql, COMPLETE, {"id": ids[1]}, authority, "completeAssetRegistration"))[
        "asset"
    ]
    assert done["status"] == "REGISTERED"
    assert await ledger_kinds(db, ids[0]) == [
        "drafted",
        "submitted",
        "noticed",
        "objected",
        "objection_resolved",
    ]
    assert await ledger_kinds(db, ids[1]) == [
        "drafted",
        "submitted",
        "noticed",
        "objected",
        "objection_resolved",
        "registered",
    ]


async def test_refusals(gql, make_caller, authority, db):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    other_firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    # who may register which kind
    wrong_kind = await gql(REGISTER, {"input": product(kind="PUBLIC_DATA_ASSET")}, firm)
    assert wrong_kind["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong_kind = await gql(REGISTER, {"input": product()}, agency)
    assert wrong_kind["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # input rules
    bad = await payload(
        gql,
        REGISTER,
        product(name=" ", scenario="", rights=[], sources=[{"datasetName": "x"}]),
        firm,
        "registerAsset",
    )
    assert {(e["code"], e["field"]) for e in bad["userErrors"]} == {
        ("NAME_INVALID", "name"),
        ("SCENARIO_REQUIRED", "scenario"),
        ("RIGHTS_REQUIRED", "rights"),
        ("SOURCE_INCOMPLETE", "sources[0]"),
    }
    missing = await payload(
        gql, REGISTER, product(sources=[{"resource": "NO-SUCH-RESOURCE"}]), firm, "registerAsset"
    )
    assert [e["code"] for e in missing["userErrors"]] == ["RESOURCE_NOT_FOUND"]
    # lifecycle rules
    asset_id = (await payload(gql, REGISTER, product(), firm, "registerAsset"))["asset"]["id"]
    not_mine = await gql(SUBMIT, {"input": {"id": asset_id}}, other_firm)
    assert not_mine["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    early_review = await payload(
        gql, REVIEW, {"id": asset_id, "decision": "ACCEPT"}, authority, "reviewAssetRegistration"
    )
    assert [e["code"] for e in early_review["userErrors"]] == ["ASSET_STATUS_INVALID"]
    await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration")
    no_reason = await payload(
        gql, REVIEW, {"id": asset_id, "decision": "REJECT"}, authority, "reviewAssetRegistration"
    )
    assert [e["code"] for e in no_reason["userErrors"]] == ["REASON_REQUIRED"]
    by_holder = await gql(REVIEW, {"input": {"id": asset_id, "decision": "ACCEPT"}}, firm)
    assert by_holder["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rejected = (
        await payload(
            gql,
            REVIEW,
            {"id": asset_id, "decision": "REJECT", "reason": "Sources unverified"},
            authority,
            "reviewAssetRegistration",
        )
    )["asset"]
    assert rejected["status"] == "REJECTED"
    again = await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration")
    assert [e["code"] for e in again["userErrors"]] == ["ASSET_STATUS_INVALID"]
    # drafts are private to their holder
    draft_id = (await payload(gql, REGISTER, product(), firm, "registerAsset"))["asset"]["id"]
    hidden = await gql("query($id: ID!) { asset(id: $id) { id } }", {"id": draft_id}, other_firm)
    assert hidden["data"]["asset"] is None
    cancelled = (
        await payload(
            gql, CANCEL, {"id": draft_id, "reason": "Withdrawn"}, firm, "cancelAssetRegistration"
        )
    )["asset"]
    assert cancelled["status"] == "CANCELLED"
    # Refused attempts leave no entry; the transitions each leave one.
    assert await ledger_kinds(db, asset_id) == ["drafted", "submitted", "rejected"]
    assert await ledger_kinds(db, draft_id) == ["drafted", "cancelled"]


def test_transition_table_is_closed():
    for source, targets in ASSET_TRANSITIONS.items():
        assert source not in targets
        assert targets <= set(AssetStatus)
    assert ASSET_TRANSITIONS[AssetStatus.REJECTED] == frozenset()
    assert ASSET_TRANSITIONS[AssetStatus.CANCELLED] == frozenset()


async def test_assets_statement_count_does_not_grow(gql, make_caller, count_statements):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    marker = uuid.uuid4().hex[:8]
    for _ in range(10):
        # Each asset cites its own catalogue resource, so `resource` is read for every row.
        resource = await catalogue_resource(gql, agency)
        await payload(
            gql,
            REGISTER,
            product(
                name=f"Counted {marker} {uuid.uuid4().hex[:4]}",
                sources=[{"resource": resource}],
            ),
            firm,
            "registerAsset",
        )
    query = """query($n: Int!, $t: String) { assets(filter: {text: $t}, first: $n) { edges { node {
      name holder { name } sources { datasetName resource { code } } objections { id } certificate { number }
      quality { overall } valuations { value } currentValuation { value } } } } }"""
    counts = []
    for n in (2, 10):
        with count_statements() as counter:
            result = await gql(query, {"n": n, "t": marker}, firm)
        assert len(result["data"]["assets"]["edges"]) == n
        assert all(
            edge["node"]["sources"][0]["resource"]["code"].startswith("res.")
            for edge in result["data"]["assets"]["edges"]
        )
        counts.append(len(counter.statements))
    assert counts[0] == counts[1], counts


async def test_a_page_reads_its_relations_in_its_own_session(
    gql, make_caller, count_statements, db
):
    """`assets` looks at the selection (through fragments) and fetches holders, sources and
    the latest valuation in the page's session: four statements, one connection. (`rights`
    is left to the resolvers by compiled reads, so this is their path; without it the page is
    one compiled statement: tests/schema/test_compiled.py.)"""
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    marker = uuid.uuid4().hex[:8]
    for _ in range(3):
        await payload(gql, REGISTER, product(name=f"Paged {marker}"), firm, "registerAsset")
    query = """query($t: String) { assets(filter: {text: $t}, first: 3) { nodes { ...F } } }
      fragment F on Asset { name rights holder { name } ... on Asset { sources { datasetName } }
        currentValuation { value } }"""
    checkouts: list[object] = []

    def checkout(*_: object) -> None:
        checkouts.append(1)

    sa.event.listen(db.reader.sync_engine.pool, "checkout", checkout)
    try:
        with count_statements() as counter:
            result = await gql(query, {"t": marker}, firm)
    finally:
        sa.event.remove(db.reader.sync_engine.pool, "checkout", checkout)
    nodes = result["data"]["assets"]["nodes"]
    assert len(nodes) == 3 and all(n["holder"]["name"] and n["sources"] for n in nodes)
    assert len(counter.statements) == 4, counter.statements
    assert len(checkouts) == 1


async def test_the_sweep_registers_assets_whose_notice_ended(gql, make_caller, authority, db):
    from server.tasks import complete_due_registrations

    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    due, running = [], []
    for bucket in (due, running):
        asset_id = (await payload(gql, REGISTER, product(), firm, "registerAsset"))["asset"]["id"]
        await payload(gql, SUBMIT, {"id": asset_id}, firm, "submitAssetRegistration")
        await payload(
            gql,
            REVIEW,
            {"id": asset_id, "decision": "ACCEPT"},
            authority,
            "reviewAssetRegistration",
        )
        bucket.append(asset_id)
    await end_notice(db, due[0])
    await complete_due_registrations(db)
    read = "query($id: ID!) { asset(id: $id) { status certificate { ledgerSeq } } }"
    done = (await gql(read, {"id": due[0]}, firm))["data"]["asset"]
    assert done["status"] == "REGISTERED"
    assert (await gql(read, {"id": running[0]}, firm))["data"]["asset"]["status"] == "PUBLIC_NOTICE"
    entry = await gql(
        "query($s: Int!) { ledgerEntry(seq: $s) { actor } }",
        {"s": done["certificate"]["ledgerSeq"]},
        firm,
    )
    assert entry["data"]["ledgerEntry"]["actor"] == {"org": None, "roles": [], "sub": "pdex"}
