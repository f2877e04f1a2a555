"""The ledger through GraphQL: who sees which entries, proofs that verify, witnesses."""

from __future__ import annotations

import uuid

import pytest

import ledger
from core.identity import Principal, Role
from core.models import OrganizationKind
from ledger import merkle, signing

pytestmark = pytest.mark.article(24)


async def record(db, kind, actor, body, **kwargs):
    async with db.transaction() as session:
        return await ledger.append(session, kind, actor, body, **kwargs)


ENTRY = "query($seq: Int!) { ledgerEntry(seq: $seq) { seq kind actor body subjects prev hash document } }"


async def test_entry_visibility(gql, db, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    other = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    broker = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    auditor = await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    authority = await make_caller(Role.AUTHORITY, OrganizationKind.AUTHORITY)
    citizen = await make_caller(Role.DATA_SUBJECT, sub=f"citizen-{uuid.uuid4()}")
    own = await record(
        db,
        "test.share.granted",
        agency.principal,
        {"to": str(broker.org_id)},
        parties=[broker.org_id],
    )
    about_citizen = await record(
        db, "test.consent.granted", agency.principal, {}, subjects=[citizen.principal.subject]
    )

    for caller, sees_own, sees_citizen in [
        (agency, True, True),
        (broker, True, False),
        (other, False, False),
        (auditor, True, True),
        (authority, True, True),
        (citizen, False, True),
    ]:
        a = await gql(ENTRY, {"seq": own.seq}, caller)
        b = await gql(ENTRY, {"seq": about_citizen.seq}, caller)
        assert (a["data"]["ledgerEntry"] is not None) is sees_own, caller
        assert (b["data"]["ledgerEntry"] is not None) is sees_citizen, caller

    result = await gql(ENTRY, {"seq": own.seq})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    entry = (await gql(ENTRY, {"seq": own.seq}, agency))["data"]["ledgerEntry"]
    assert entry["hash"] == merkle.leaf_hash(entry["document"].encode()).hex()
    assert entry["body"] == {"to": str(broker.org_id)}

    page = await gql(
        '{ ledgerEntries(kind: "test.share.granted", first: 100) { edges { node { seq } } } }',
        caller=other,
    )
    assert own.seq not in [e["node"]["seq"] for e in page["data"]["ledgerEntries"]["edges"]]


async def test_entries_page_in_seq_order(gql, db, make_caller):
    auditor = await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    actor = Principal("p", uuid.uuid4(), frozenset({Role.AGENCY}))
    for i in range(5):
        await record(db, "test.paging.step", actor, {"i": i})
    query = 'query($after: String) { ledgerEntries(kind: "test.paging.step", first: 2, after: $after) { edges { node { seq } } pageInfo { hasNextPage endCursor } } }'
    seqs, after = [], None
    while True:
        conn = (await gql(query, {"after": after}, auditor))["data"]["ledgerEntries"]
        seqs += [e["node"]["seq"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seqs) >= 5 and seqs == sorted(seqs)


async def test_proofs_over_the_api_verify(gql, db, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    entry = await record(db, "test.proof.made", agency.principal, {"x": "1"})
    await record(db, "test.proof.made", agency.principal, {"x": "2"})
    size = entry.seq + 2
    result = await gql(
        """query($seq: Int!, $size: Int!, $old: Int!) {
             inclusionProof(seq: $seq, treeSize: $size) { leafHash hashes rootHash treeSize }
             consistencyProof(fromSize: $old, toSize: $size) { hashes fromRoot toRoot } }""",
        {"seq": entry.seq, "size": size, "old": entry.seq + 1},
        agency,
    )
    inclusion, consistency = result["data"]["inclusionProof"], result["data"]["consistencyProof"]
    assert inclusion["leafHash"] == entry.hash
    assert merkle.verify_inclusion(
        bytes.fromhex(entry.hash),
        entry.seq,
        size,
        [bytes.fromhex(h) for h in inclusion["hashes"]],
        bytes.fromhex(inclusion["rootHash"]),
    )
    assert consistency["toRoot"] == inclusion["rootHash"]
    assert merkle.verify_consistency(
        entry.seq + 1,
        size,
        bytes.fromhex(consistency["fromRoot"]),
        bytes.fromhex(consistency["toRoot"]),
        [bytes.fromhex(h) for h in consistency["hashes"]],
    )
    bad = await gql("{ consistencyProof(fromSize: 5, toSize: 999999999) { hashes } }")
    assert bad["errors"][0]["extensions"]["reason"] == "TREE_SIZE_INVALID"


WITNESS = """mutation($input: RegisterWitnessKeyInput!) { registerWitnessKey(input: $input) {
  witness { publicKey lastSignedSize organization { kind } } userErrors { field code message } } }"""
COSIGN = """mutation($input: CosignCheckpointInput!) { cosignCheckpoint(input: $input) {
  checkpoint { treeSize note aggregateSignature signerKeys cosignatures { signature signedAt witness { publicKey } } }
  userErrors { field code message } } }"""


async def test_witness_flow_over_the_api(gql, make_caller):
    auditor = await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    sk = signing.generate_secret_key()
    key = {
        "publicKey": signing.public_key(sk).hex(),
        "proofOfPossession": signing.prove_possession(sk).hex(),
    }

    refused = await gql(WITNESS, {"input": key}, agency)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await gql(WITNESS, {"input": {**key, "publicKey": "zz"}}, auditor)
    assert bad["data"]["registerWitnessKey"]["userErrors"][0]["code"] == "HEX_INVALID"
    ok = await gql(WITNESS, {"input": key}, auditor)
    assert ok["data"]["registerWitnessKey"]["witness"]["organization"]["kind"] == "AUDITOR"
    again = await gql(WITNESS, {"input": key}, auditor)
    assert (
        again["data"]["registerWitnessKey"]["userErrors"][0]["code"] == "WITNESS_ALREADY_REGISTERED"
    )

    published = await gql(
        "mutation { publishCheckpoint { checkpoint { treeSize rootHash note publicKey signature } } }",
        caller=auditor,
    )
    checkpoint = published["data"]["publishCheckpoint"]["checkpoint"]
    public = await gql(
        "{ ledgerPublicKey ledgerCheckpoint { treeSize } witnesses { id publicKey } }"
    )
    assert public["data"]["ledgerPublicKey"] == checkpoint["publicKey"]
    mine = next(w for w in public["data"]["witnesses"] if w["publicKey"] == key["publicKey"])
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Witness { publicKey } } }", {"id": mine["id"]}
    )
    assert node["data"]["node"] == {"publicKey": key["publicKey"]}

    note = checkpoint["note"].encode()
    assert signing.verify(
        bytes.fromhex(checkpoint["publicKey"]), note, bytes.fromhex(checkpoint["signature"])
    )
    base = {
        "treeSize": checkpoint["treeSize"],
        "rootHash": checkpoint["rootHash"],
        "fromSize": 0,
        "signature": signing.sign(sk, note).hex(),
    }
    stale = await gql(COSIGN, {"input": {**base, "rootHash": "ab" * 32}}, auditor)
    assert stale["data"]["cosignCheckpoint"]["userErrors"][0]["code"] == "CHECKPOINT_MISMATCH"
    signed = await gql(COSIGN, {"input": base}, auditor)
    cp = signed["data"]["cosignCheckpoint"]["checkpoint"]
    assert signing.fast_aggregate_verify(
        [bytes.fromhex(k) for k in cp["signerKeys"]], note, bytes.fromhex(cp["aggregateSignature"])
    )
    assert len(cp["signerKeys"]) == 2
    assert cp["cosignatures"][0]["signedAt"].endswith("+00:00")  # the console's "since"


async def test_subject_can_prove_an_entry_is_theirs(gql, db, make_caller):
    import hashlib

    citizen = await make_caller(Role.DATA_SUBJECT, sub=f"citizen-{uuid.uuid4()}")
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    entry = await record(
        db, "test.use.allowed", agency.principal, {}, subjects=[citizen.principal.subject]
    )
    mine = (await gql("{ mySubjectCommitment { salt commitment } }", caller=citizen))["data"][
        "mySubjectCommitment"
    ]
    salt = bytes.fromhex(mine["salt"])
    assert (
        hashlib.sha256(b"subject/v1\0" + salt + citizen.principal.subject.encode()).hexdigest()
        == mine["commitment"]
    )
    seen = (await gql(ENTRY, {"seq": entry.seq}, citizen))["data"]["ledgerEntry"]
    assert seen["subjects"] == [mine["commitment"]]
    refused = await gql("{ mySubjectCommitment { salt } }", caller=agency)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
