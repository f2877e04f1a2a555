"""Witness keys and co-signatures: BLS checks run off the event loop."""

from __future__ import annotations

import threading
import uuid

import pytest

import ledger
from core.identity import Principal, Role
from core.models import Organization, OrganizationKind
from core.validators import make_org_code, make_uscc
from ledger import signing

pytestmark = pytest.mark.article(24)


async def test_bls_verification_does_not_block_the_event_loop(fresh_db, settings, monkeypatch):
    """A pairing takes ~0.3 s: run inside the request's coroutine it would stall every other
    request on the loop, so both checks go to a worker thread (as signing does)."""
    loop_thread = threading.get_ident()
    ran_on: dict[str, int] = {}

    def on_thread(name):
        real = getattr(signing, name)

        def check(*args):
            ran_on[name] = threading.get_ident()
            return real(*args)

        monkeypatch.setattr(signing, name, check)

    on_thread("verify_possession")
    on_thread("verify")

    signer = ledger.Signer(settings.ledger_origin, signing.generate_secret_key())
    async with fresh_db.transaction() as session:
        await ledger.append(session, "test.thing.happened", None, {"n": 1})
    checkpoint = await ledger.publish_checkpoint(fresh_db, signer)
    auditor = Principal("aud", uuid.uuid4(), frozenset({Role.AUDITOR}))
    async with fresh_db.transaction() as session:  # the witness's org must exist (FK)
        session.add(
            Organization(
                id=auditor.organization_id,
                kind=OrganizationKind.AUDITOR,
                name="Aud",
                uscc=make_uscc("91440700" + make_org_code("AUD00002")),
            )
        )
    sk = signing.generate_secret_key()
    async with fresh_db.transaction() as session:
        await ledger.register_witness_key(
            session,
            auditor,
            public_key=signing.public_key(sk).hex(),
            proof_of_possession=signing.prove_possession(sk).hex(),
        )
    note = ledger.checkpoints.message(checkpoint)
    async with fresh_db.transaction() as session:
        await ledger.cosign_checkpoint(
            session,
            auditor,
            tree_size=checkpoint.tree_size,
            root_hash=checkpoint.root_hash,
            from_size=0,
            signature=signing.sign(sk, note).hex(),
        )
    assert set(ran_on) == {"verify_possession", "verify"}
    assert loop_thread not in ran_on.values()
