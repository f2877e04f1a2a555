"""Consent over HTTP through the ASGI app: grant with a receipt, revoke, the gate, the
dashboards and who may see what, the Kantara receipt route, and the subject's identity."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

import consent
import ledger
from core.clock import now
from core.identity import Role
from core.models import OrganizationKind
from ledger import merkle, signing
from ledger.canonical import subject_commitment
from schema.relay import to_global_id

GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  consent { id subject status purpose mode frequency maxUses uses separate ledgerSeq
            grantee { id name } items { item sensitive }
            receipt { ledgerSeq subjectSalt subjectCommitment
                      checkpoint { treeSize rootHash note publicKey signature }
                      inclusionProof { seq treeSize leafHash hashes rootHash } kantara } }
  userErrors { field code message } } }"""
GRANT_SHORT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  consent { id status } userErrors { field code message } } }"""
REVOKE = """mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) {
  consent { id status revokedAt revokeReason revokeSeq } userErrors { field code } } }"""
USE = """mutation($input: AuthorizeDataUseInput!) { authorizeDataUse(input: $input) {
  allowed dataUse { id outcome reason item purpose ledgerSeq user { id } consent { id } }
  userErrors { field code } } }"""
MY_CONSENTS = """query($status: ConsentStatus, $first: Int, $after: String) {
  myConsents(status: $status, first: $first, after: $after) {
    edges { cursor node { id status grantee { name } items { item } } }
    pageInfo { hasNextPage endCursor } } }"""
RECEIVED = """query($status: ConsentStatus, $first: Int) {
  receivedConsents(status: $status, first: $first) { nodes { id subject status } } }"""
MY_USES = """query($first: Int) { myDataUses(first: $first) {
  nodes { id outcome reason item user { id } consent { id status } } } }"""


def org_id(caller) -> str:
    return to_global_id("Organization", caller.org_id)


def grant_input(to, **overrides):
    data = {
        "grantee": org_id(to),
        "purpose": "Loan application",
        "scenario": "Small-business credit at a Jiangmen bank",
        "certificates": ["BUSINESS_LICENCE"],
        "validUntil": (now() + timedelta(days=90)).isoformat(),
        "mode": "PERIODIC",
        "frequency": "P1M",
        "maxUses": 12,
    }
    data.update(overrides)
    return {"input": data}


async def granted(gql, subject, grantee, **overrides) -> str:
    result = await gql(GRANT_SHORT, grant_input(grantee, **overrides), subject)
    payload = result["data"]["grantConsent"]
    assert payload["userErrors"] == [], payload
    return payload["consent"]["id"]


@pytest.mark.article(27)
@pytest.mark.article(24)
async def test_grant_returns_an_active_consent_with_a_verifiable_receipt(
    gql, subject, grantee, make_item
):
    code = await make_item(sensitive=True)
    result = await gql(
        GRANT,
        grant_input(grantee, dataItems=[code], certificates=["MEDICAL_RECORD"], separate=True),
        subject,
    )
    payload = result["data"]["grantConsent"]
    assert payload["userErrors"] == []
    c = payload["consent"]
    assert c["status"] == "ACTIVE" and c["uses"] == 0 and c["separate"] is True
    assert c["subject"] == subject.principal.subject
    assert c["grantee"]["id"] == org_id(grantee)
    assert {i["item"]: i["sensitive"] for i in c["items"]} == {
        f"item:{code}": True,
        "certificate:MEDICAL_RECORD": True,
    }
    receipt = c["receipt"]
    assert receipt["ledgerSeq"] == c["ledgerSeq"]
    salt = bytes.fromhex(receipt["subjectSalt"])
    assert subject_commitment(salt, subject.principal.subject) == receipt["subjectCommitment"]
    proof, checkpoint = receipt["inclusionProof"], receipt["checkpoint"]
    assert proof["seq"] == c["ledgerSeq"] and proof["treeSize"] == checkpoint["treeSize"]
    assert proof["rootHash"] == checkpoint["rootHash"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leafHash"]),
        proof["seq"],
        proof["treeSize"],
        [bytes.fromhex(h) for h in proof["hashes"]],
        bytes.fromhex(checkpoint["rootHash"]),
    )
    assert signing.verify(
        bytes.fromhex(checkpoint["publicKey"]),
        checkpoint["note"].encode(),
        bytes.fromhex(checkpoint["signature"]),
    )
    kantara = receipt["kantara"]
    assert kantara["piiPrincipalId"] == receipt["subjectCommitment"]
    assert kantara["sensitive"] is True and "medical health" in kantara["spiCat"]


@pytest.mark.article(27)
async def test_grant_validates_every_field(gql, subject, grantee, make_item):
    bad = {
        "purpose": "  ",
        "certificates": [],
        "validFrom": (now() + timedelta(days=3)).isoformat(),
        "validUntil": (now() + timedelta(days=2)).isoformat(),
        "mode": "PERIODIC",
        "frequency": "monthly",
        "maxUses": 0,
    }
    errors = (await gql(GRANT_SHORT, grant_input(grantee, **bad), subject))["data"]["grantConsent"][
        "userErrors"
    ]
    assert {e["code"] for e in errors} == {
        "PURPOSE_REQUIRED",
        "SCOPE_REQUIRED",
        "VALIDITY_INVALID",
        "FREQUENCY_REQUIRED",
        "MAX_USES_INVALID",
    }
    assert {e["field"] for e in errors} >= {"purpose", "dataItems", "validUntil", "frequency"}

    cases = [
        ({"grantee": to_global_id("Organization", uuid.uuid4())}, "GRANTEE_NOT_FOUND"),
        ({"grantee": "nonsense"}, "ID_INVALID"),
        ({"dataItems": ["no.such.item"], "certificates": []}, "DATA_ITEM_NOT_FOUND"),
        ({"certificates": ["RESIDENT_ID_CARD"]}, "SEPARATE_CONSENT_REQUIRED"),
        ({"certificates": ["DRIVING_LICENCE", "DRIVING_LICENCE"]}, "SCOPE_DUPLICATE"),
        ({"validUntil": (now() + timedelta(days=3000)).isoformat()}, "VALIDITY_TOO_LONG"),
        ({"validFrom": (now() - timedelta(days=1)).isoformat()}, "VALID_FROM_PAST"),
        ({"mode": "ONE_TIME", "frequency": "P1D", "maxUses": None}, "FREQUENCY_NOT_ALLOWED"),
        ({"mode": "ONE_TIME", "frequency": None, "maxUses": 3}, "MAX_USES_INVALID"),
        ({"frequency": None}, "FREQUENCY_REQUIRED"),
    ]
    for overrides, code in cases:
        errors = (await gql(GRANT_SHORT, grant_input(grantee, **overrides), subject))["data"][
            "grantConsent"
        ]["userErrors"]
        assert code in {e["code"] for e in errors}, (overrides, errors)

    sensitive = await make_item(sensitive=True)
    errors = (await gql(GRANT_SHORT, grant_input(grantee, dataItems=[sensitive]), subject))["data"][
        "grantConsent"
    ]["userErrors"]
    assert [e["code"] for e in errors] == ["SEPARATE_CONSENT_REQUIRED"]
    assert sensitive in errors[0]["message"]


@pytest.mark.article(28, law="PIPL")
@pytest.mark.article(29, law="PIPL")
async def test_an_agency_marks_its_item_sensitive_and_consents_to_it_must_be_separate(
    gql, subject, grantee, make_caller
):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    code = f"jm.health.record-{uuid.uuid4().hex[:8]}"
    claim = """mutation($input: ClaimDataItemInput!) { claimDataItem(input: $input) {
      dataItem { code sensitivePersonal } userErrors { code } } }"""
    claimed = await gql(
        claim,
        {"input": {"code": code, "name": "Health record", "legalBasis": "Health Code art. 1",
                   "sensitivePersonal": True}},
        agency,
    )  # fmt: skip
    assert claimed["data"]["claimDataItem"]["dataItem"] == {"code": code, "sensitivePersonal": True}
    refused = await gql(GRANT_SHORT, grant_input(grantee, dataItems=[code]), subject)
    errors = refused["data"]["grantConsent"]["userErrors"]
    assert [e["code"] for e in errors] == ["SEPARATE_CONSENT_REQUIRED"]
    assert await granted(gql, subject, grantee, dataItems=[code], separate=True)


@pytest.mark.article(27)
async def test_only_data_subjects_grant_and_revoke(gql, grantee, make_caller):
    for role, kind in [
        (Role.AGENCY, OrganizationKind.AGENCY),
        (Role.AUTHORITY, OrganizationKind.AUTHORITY),
    ]:
        caller = await make_caller(role, kind)
        result = await gql(GRANT_SHORT, grant_input(grantee), caller)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(GRANT_SHORT, grant_input(grantee))
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.article(27)
@pytest.mark.article(15, law="PIPL")
async def test_revoke_once_by_the_subject_only_and_the_gate_then_denies(
    gql, subject, grantee, make_caller
):
    consent_id = await granted(gql, subject, grantee)
    allowed = (
        await gql(
            USE,
            {
                "input": {
                    "consentId": consent_id,
                    "item": "BUSINESS_LICENCE",
                    "purpose": "loan application",
                }
            },
            grantee,
        )
    )["data"]["authorizeDataUse"]
    assert allowed["allowed"] is True and allowed["dataUse"]["outcome"] == "ALLOWED"
    assert allowed["dataUse"]["consent"]["id"] == consent_id

    other = await make_caller(Role.DATA_SUBJECT)
    stolen = (await gql(REVOKE, {"input": {"consentId": consent_id}}, other))["data"]
    assert stolen["revokeConsent"]["userErrors"][0]["code"] == "CONSENT_NOT_FOUND"

    revoked = (
        await gql(REVOKE, {"input": {"consentId": consent_id, "reason": "bank changed"}}, subject)
    )["data"]["revokeConsent"]
    assert revoked["userErrors"] == []
    assert revoked["consent"]["status"] == "REVOKED" and revoked["consent"]["revokeSeq"] > 0
    again = (await gql(REVOKE, {"input": {"consentId": consent_id}}, subject))["data"]
    assert again["revokeConsent"]["userErrors"][0]["code"] == "CONSENT_REVOKED"

    denied = (
        await gql(
            USE,
            {
                "input": {
                    "consentId": consent_id,
                    "item": "BUSINESS_LICENCE",
                    "purpose": "Loan application",
                }
            },
            grantee,
        )
    )["data"]["authorizeDataUse"]
    assert denied["allowed"] is False and denied["userErrors"] == []
    assert denied["dataUse"]["outcome"] == "DENIED" and denied["dataUse"]["reason"] == "REVOKED"

    uses = (await gql(MY_USES, {"first": 10}, subject))["data"]["myDataUses"]["nodes"]
    # newest first, as a dashboard shows them
    assert [(u["outcome"], u["reason"]) for u in uses] == [("DENIED", "REVOKED"), ("ALLOWED", None)]
    assert all(u["consent"]["status"] == "REVOKED" for u in uses)


async def test_gate_user_errors_over_http(gql, subject, grantee):
    consent_id = await granted(gql, subject, grantee)
    result = (
        await gql(USE, {"input": {"consentId": consent_id, "item": "", "purpose": ""}}, grantee)
    )["data"]["authorizeDataUse"]
    assert result["dataUse"] is None and result["allowed"] is False
    assert {e["code"] for e in result["userErrors"]} == {"ITEM_INVALID", "PURPOSE_REQUIRED"}
    unknown = to_global_id("Consent", uuid.uuid4())
    result = (
        await gql(USE, {"input": {"consentId": unknown, "item": "x", "purpose": "y"}}, grantee)
    )["data"]["authorizeDataUse"]
    assert result["userErrors"][0]["code"] == "CONSENT_NOT_FOUND"


@pytest.mark.article(27)
async def test_dashboards_are_scoped_to_their_owner(gql, make_caller, grantee, db):
    alice = await make_caller(Role.DATA_SUBJECT)
    bob = await make_caller(Role.DATA_SUBJECT)
    other_org = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    alice_ids = [await granted(gql, alice, grantee) for _ in range(3)]
    bob_id = await granted(gql, bob, other_org)
    await gql(REVOKE, {"input": {"consentId": alice_ids[0]}}, alice)

    newest_first = alice_ids[::-1]
    mine = (await gql(MY_CONSENTS, {"first": 50}, alice))["data"]["myConsents"]["edges"]
    assert [e["node"]["id"] for e in mine] == newest_first
    revoked = (await gql(MY_CONSENTS, {"status": "REVOKED"}, alice))["data"]["myConsents"]
    assert [e["node"]["id"] for e in revoked["edges"]] == alice_ids[:1]
    active = (await gql(MY_CONSENTS, {"status": "ACTIVE"}, alice))["data"]["myConsents"]
    assert [e["node"]["id"] for e in active["edges"]] == newest_first[:2]
    page = (await gql(MY_CONSENTS, {"first": 2}, alice))["data"]["myConsents"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(MY_CONSENTS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, alice)
    assert [e["node"]["id"] for e in rest["data"]["myConsents"]["edges"]] == newest_first[2:]

    bobs = (await gql(MY_CONSENTS, {}, bob))["data"]["myConsents"]["edges"]
    assert [e["node"]["id"] for e in bobs] == [bob_id]

    received = (await gql(RECEIVED, {"first": 50}, grantee))["data"]["receivedConsents"]["nodes"]
    assert {n["id"] for n in received} >= set(alice_ids) and bob_id not in {
        n["id"] for n in received
    }
    # Issue 10 §6: the grantee sees the subject only as the ledger's salted commitment.
    async with db.read() as session:
        alices = subject_commitment(
            await ledger.subject_salt(session, alice.principal.subject), alice.principal.subject
        )
    assert all(n["subject"] == alices for n in received if n["id"] in alice_ids)
    assert not any(alice.principal.subject in n["subject"] for n in received)
    authority = await make_caller(Role.AUTHORITY, OrganizationKind.AUTHORITY)
    seen = "query($id: ID!) { node(id: $id) { ... on Consent { subject } } }"
    assert (await gql(seen, {"id": alice_ids[1]}, authority))["data"]["node"]["subject"] == alices
    assert (await gql(seen, {"id": alice_ids[1]}, alice))["data"]["node"]["subject"] == (
        alice.principal.subject
    )
    others = (await gql(RECEIVED, {"first": 50}, other_org))["data"]["receivedConsents"]["nodes"]
    assert [n["id"] for n in others] == [bob_id]

    # Refused: a subject has no received consents; an organisation no personal dashboard.
    person = await gql(RECEIVED, {}, alice)
    assert person["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for query in (MY_CONSENTS, MY_USES):
        result = await gql(query, {}, grantee)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # node(id): the subject and grantee see it; anyone else gets null.
    node = "query($id: ID!) { node(id: $id) { ... on Consent { id purpose } } }"
    assert (await gql(node, {"id": alice_ids[1]}, alice))["data"]["node"]["id"] == alice_ids[1]
    assert (await gql(node, {"id": alice_ids[1]}, grantee))["data"]["node"] is not None
    assert (await gql(node, {"id": alice_ids[1]}, bob))["data"]["node"] is None
    assert (await gql(node, {"id": alice_ids[1]}, other_org))["data"]["node"] is None


async def test_receipt_for_a_grantee_or_stranger_is_null(gql, subject, grantee, make_caller):
    consent_id = await granted(gql, subject, grantee)
    query = "query($id: ID!) { node(id: $id) { ... on Consent { receipt { ledgerSeq } } } }"
    assert (await gql(query, {"id": consent_id}, grantee))["data"]["node"]["receipt"] is None


async def test_dashboard_statement_count_does_not_grow_with_page_size(
    gql, make_caller, grantee, count_statements
):
    subject = await make_caller(Role.DATA_SUBJECT)
    ids = [await granted(gql, subject, grantee) for _ in range(6)]
    for consent_id in ids:
        await gql(
            USE,
            {
                "input": {
                    "consentId": consent_id,
                    "item": "BUSINESS_LICENCE",
                    "purpose": "Loan application",
                }
            },
            grantee,
        )
    counts = {}
    for first in (2, 6):
        with count_statements() as counter:
            result = await gql(MY_CONSENTS, {"first": first}, subject)
        assert len(result["data"]["myConsents"]["edges"]) == first
        counts[first] = len(counter.statements)
    assert counts[2] == counts[6] <= 3, counts
    use_counts = {}
    for first in (2, 6):
        with count_statements() as counter:
            result = await gql(MY_USES, {"first": first}, subject)
        assert len(result["data"]["myDataUses"]["nodes"]) == first
        use_counts[first] = len(counter.statements)
    assert use_counts[2] == use_counts[6] <= 3, use_counts


async def test_receipt_route_is_the_subjects_only(client, gql, subject, grantee, make_caller):
    consent_id = await granted(gql, subject, grantee)
    raw_id = base64.b64decode(consent_id).decode().split(":", 1)[1]
    for path_id in (consent_id, raw_id):
        response = await client.get(f"/consents/{path_id}/receipt", headers=subject.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == "KI-CR-v1.1.0" and body["consentReceiptID"] == raw_id
        for key in (
            "jurisdiction",
            "consentTimestamp",
            "collectionMethod",
            "piiPrincipalId",
            "piiControllers",
            "policyUrl",
            "services",
            "sensitive",
            "spiCat",
        ):
            assert key in body
        assert subject.principal.subject not in response.text  # only the commitment
        assert body["services"][0]["purposes"][0]["purpose"] == "Loan application"
        ledger_part = body["pdexLedger"]
        proof = ledger_part["inclusionProofs"][0]
        assert proof["seq"] == ledger_part["grantSeq"]
        assert proof["rootHash"] == ledger_part["checkpoint"]["rootHash"]
    assert (await client.get(f"/consents/{consent_id}/receipt")).status_code == 401
    assert (
        await client.get(f"/consents/{consent_id}/receipt", headers=grantee.headers)
    ).status_code == 403
    stranger = await make_caller(Role.DATA_SUBJECT)
    for path_id in (consent_id, "not-an-id", str(uuid.uuid4())):
        response = await client.get(f"/consents/{path_id}/receipt", headers=stranger.headers)
        assert response.status_code == 404


IDENTITY = """mutation($input: UpdateMyIdentityInput!) { updateMyIdentity(input: $input) {
  dataSubject { subject kind displayName hasResidentId } userErrors { field code message } } }"""


async def test_resident_id_is_validated_and_kept_only_as_a_keyed_hash(gql, db, make_caller, caplog):
    from core.validators import make_resident_id

    number = make_resident_id("44070319900101123")
    alice = await make_caller(Role.DATA_SUBJECT)
    bad = await gql(
        IDENTITY,
        {"input": {"residentId": number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1"}},
        alice,
    )
    [error] = bad["data"]["updateMyIdentity"]["userErrors"]
    assert error["code"] == "RESIDENT_ID_INVALID" and error["field"] == "residentId"
    ok = await gql(IDENTITY, {"input": {"residentId": number, "displayName": "Chen Mei"}}, alice)
    payload = ok["data"]["updateMyIdentity"]
    assert payload["userErrors"] == []
    assert payload["dataSubject"] == {
        "subject": alice.principal.subject,
        "kind": "PERSON",
        "displayName": "Chen Mei",
        "hasResidentId": True,
    }
    assert number not in str(ok)
    async with db.read() as session:
        row = await session.get(consent.DataSubject, alice.principal.subject)
        dump = str((await session.execute(sa.select(consent.DataSubject.__table__))).all())
    assert row.resident_id_hash and len(row.resident_id_hash) == 64
    assert number not in dump and row.resident_id_hash != number
    bob = await make_caller(Role.DATA_SUBJECT)
    taken = (await gql(IDENTITY, {"input": {"residentId": number.lower()}}, bob))["data"]
    assert taken["updateMyIdentity"]["userErrors"][0]["code"] == "RESIDENT_ID_IN_USE"
    assert number not in caplog.text
    me = await gql("{ myDataSubject { subject hasResidentId } }", caller=alice)
    assert me["data"]["myDataSubject"]["hasResidentId"] is True


async def test_my_data_subject_is_a_read_that_writes_nothing(gql, make_caller, db):
    newcomer = await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:12]}")
    me = await gql("{ myDataSubject { subject kind hasResidentId } }", caller=newcomer)
    assert me["data"]["myDataSubject"] == {
        "subject": newcomer.principal.subject,
        "kind": "PERSON",
        "hasResidentId": False,
    }
    async with db.read() as session:
        assert await session.get(consent.DataSubject, newcomer.principal.subject) is None
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    refused = await gql("{ myDataSubject { subject } }", caller=agency)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_revoked_consents_receipt_proves_the_revocation_too(client, gql, subject, grantee):
    consent_id = await granted(gql, subject, grantee)
    await gql(REVOKE, {"input": {"consentId": consent_id, "reason": "moved bank"}}, subject)
    body = (await client.get(f"/consents/{consent_id}/receipt", headers=subject.headers)).json()
    ledger_part = body["pdexLedger"]
    assert body["pdexConsent"]["status"] == "REVOKED" and body["pdexConsent"]["revokedAt"]
    grant_proof, revoke_proof = ledger_part["inclusionProofs"]
    assert (grant_proof["seq"], revoke_proof["seq"]) == (
        ledger_part["grantSeq"],
        ledger_part["revokeSeq"],
    )
    checkpoint = ledger_part["checkpoint"]
    for proof in (grant_proof, revoke_proof):
        assert merkle.verify_inclusion(
            bytes.fromhex(proof["leafHash"]),
            proof["seq"],
            proof["treeSize"],
            [bytes.fromhex(h) for h in proof["hashes"]],
            bytes.fromhex(checkpoint["rootHash"]),
        )
    assert signing.fast_aggregate_verify(
        [bytes.fromhex(k) for k in checkpoint["signerKeys"]],
        checkpoint["note"].encode(),
        bytes.fromhex(checkpoint["aggregateSignature"]),
    )


async def test_a_data_uses_consent_is_shown_only_to_who_may_see_it(
    gql, subject, grantee, make_caller
):
    consent_id = await granted(gql, subject, grantee)
    stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    use = {"consentId": consent_id, "item": "BUSINESS_LICENCE", "purpose": "Loan application"}
    hidden = (await gql(USE, {"input": use}, stranger))["data"]["authorizeDataUse"]
    assert hidden["dataUse"] is None  # issue 10 §6: no use is written against a hidden consent
    assert hidden["userErrors"] == [{"field": "consentId", "code": "CONSENT_NOT_FOUND"}]
    allowed = (await gql(USE, {"input": use}, grantee))["data"]["authorizeDataUse"]
    assert allowed["dataUse"]["consent"] == {"id": consent_id}


async def test_a_consent_page_reads_grantee_and_items_in_its_own_session(
    gql, make_caller, count_statements, db
):
    """myConsents and receivedConsents look at the selection (through a fragment) and fetch
    grantees and items in the page's session: three statements, one connection."""
    subject = await make_caller(Role.DATA_SUBJECT)
    banks = [await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY) for _ in "ab"]
    for bank in (*banks, banks[0]):
        await granted(
            gql,
            subject,
            bank,
            certificates=["BUSINESS_LICENCE", "TAX_PAYMENT_CERTIFICATE"],
            separate=True,
        )
    fragment = "fragment F on Consent { id grantee { name } ... on Consent { items { item } } }"
    cases = [
        ("query { myConsents(first: 3) { edges { node { ...F } } } } " + fragment, subject, 3),
        ("query { receivedConsents(first: 5) { nodes { ...F } } } " + fragment, banks[0], 2),
    ]
    checkouts: list[object] = []

    def checkout(*_: object) -> None:
        checkouts.append(1)

    for query, caller, n in cases:
        checkouts.clear()
        sa.event.listen(db.reader.sync_engine.pool, "checkout", checkout)
        try:
            with count_statements() as counter:
                result = await gql(query, caller=caller)
        finally:
            sa.event.remove(db.reader.sync_engine.pool, "checkout", checkout)
        connection = next(iter(result["data"].values()))
        nodes = connection.get("nodes") or [e["node"] for e in connection["edges"]]
        assert len(nodes) == n
        assert all(c["grantee"]["name"] and len(c["items"]) == 2 for c in nodes)
        assert len(counter.statements) == 3, counter.statements
        assert len(checkouts) == 1
