"""Verification without disclosure (Art. 15 ¶3): the OPRF round trip, MATCH / NO_MATCH /
UNKNOWN and never a value, pdex never sees plaintext nor exports the key, the rate limit."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

import sharing
from core.errors import Forbidden, UserError
from core.usecase import run
from ledger.models import LedgerEntry
from sharing import oprf

pytestmark = pytest.mark.article(15)


def test_oprf_round_trip_and_points_outside_the_group():
    key = oprf.new_key()
    x = oprf.claim_input("91440700MA5X", "tax.paid", "2025: 120000")
    r, blinded = oprf.blind(x)
    assert oprf.finalize(x, oprf.unblind(oprf.evaluate(key, blinded), r)) == oprf.prf(key, x)
    assert oprf.prf(key, x) != oprf.prf(oprf.new_key(), x)
    for bad in (b"\x00" * 32, b"\x01" + b"\x00" * 31, b"\xff" * 32):
        with pytest.raises(ValueError):
            oprf.evaluate(key, bad)


async def publish(db, act, world, rows):
    """The source department's side: blind, have pdex evaluate, unblind, upload."""
    resource = world.not_shared.id
    await act(sharing.open_verification_set, world.source.principal, resource)
    inputs = []
    for subject, item, value in rows:
        inputs += [oprf.claim_input(subject, item, value), oprf.subject_item_input(subject, item)]
    blinds = [oprf.blind(x) for x in inputs]
    evaluated = await act(sharing.evaluate_blinded, world.source.principal, resource,
                          [b.hex() for _, b in blinds])  # fmt: skip
    digests = [oprf.finalize(x, oprf.unblind(bytes.fromhex(e), r))
               for x, (r, _), e in zip(inputs, blinds, evaluated, strict=True)]  # fmt: skip
    pairs = list(zip(digests[0::2], digests[1::2], strict=True))
    return await act(sharing.upload_verification_batch, world.source.principal, resource, pairs)


async def test_match_no_match_unknown(db, act, world):
    tax = world.items["tax"]
    owned = await publish(
        db, act, world, [("91440700MA5X", tax, "paid"), ("91440700MB6Y", tax, "owing")]
    )
    assert owned.entries == 2 and owned.batches == 1

    async def verify(subject, value, caller=world.requester):
        return await act(sharing.verify_data_claim, caller.principal, world.not_shared.id,
                         subject_key=subject, item=tax, claimed_value=value)  # fmt: skip

    assert (await verify("91440700MA5X", "paid")).answer is sharing.VerificationAnswer.MATCH
    assert (await verify("91440700MA5X", "owing")).answer is sharing.VerificationAnswer.NO_MATCH
    assert (await verify("91440700ZZZZ", "paid")).answer is sharing.VerificationAnswer.UNKNOWN
    async with db.read() as session:  # the ledger names the subject only by commitment
        bodies = list(await session.scalars(
            sa.select(LedgerEntry.body).where(LedgerEntry.kind == "sharing.verification.answered")
        ))  # fmt: skip
    assert bodies and not any("91440700MA5X" in b or "paid" in b for b in bodies)


async def test_statements_of_a_verification_are_pinned(
    db, act, world, count_statements, is_postgres
):
    tax, subject = world.items["tax"], f"9144{uuid.uuid4().hex[:10].upper()}"  # never seen
    await publish(db, act, world, [(subject, tax, "paid")])

    async def verify(subject):
        with count_statements(db.writer) as counted:
            await act(sharing.verify_data_claim, world.requester.principal, world.not_shared.id,
                      subject_key=subject, item=tax, claimed_value="paid")  # fmt: skip
        return counted

    # The set, item, owner, rate window and the subject's salt in one statement; the hashes;
    # the answer's row; the fact queued. A subject never seen before adds its salt (INSERT …
    # RETURNING). Then the sequencer's batch.
    first, again = await verify(subject), await verify(subject)
    assert len(again.mutation) == 4, "\n".join(again.mutation)
    assert len(first.mutation) == len(again.mutation) + 1, "\n".join(first.mutation)
    assert len(again.batch) == (0 if is_postgres else 8), "\n".join(again.batch)  # PG: driver


async def test_only_the_source_department_publishes(act, world):
    with pytest.raises(Forbidden):
        await act(sharing.open_verification_set, world.requester.principal, world.not_shared.id)
    with pytest.raises(UserError) as unconditional:
        await act(sharing.open_verification_set, world.source.principal, world.unconditional.id)
    assert unconditional.value.code == "VERIFICATION_NOT_NEEDED"
    await act(sharing.open_verification_set, world.source.principal, world.not_shared.id)
    with pytest.raises(UserError) as bad_point:
        await act(
            sharing.evaluate_blinded, world.source.principal, world.not_shared.id, ["00" * 32]
        )
    assert bad_point.value.code == "POINT_INVALID"


async def test_rate_limit_refuses_and_counts(db, act, world, monkeypatch):
    await publish(db, act, world, [("S1", world.items["tax"], "v")])
    monkeypatch.setattr("sharing.verification.RATE_LIMIT", 2)

    def verify(s, a):
        return sharing.verify_data_claim(s, a, world.not_shared.id, subject_key="S1",
                                         item=world.items["tax"], claimed_value="v")  # fmt: skip

    for _ in range(2):
        await run(db, world.requester.principal, verify)
    with pytest.raises(UserError) as limited:
        await run(db, world.requester.principal, verify)
    assert limited.value.code == "VERIFICATION_RATE_EXCEEDED"
    async with db.read() as session:
        kinds = list(await session.scalars(
            sa.select(sharing.ShareViolationCandidate.kind)
            .where(sharing.ShareViolationCandidate.grantee_id == world.requester.org_id)
        ))  # fmt: skip
    assert kinds == [sharing.ViolationKind.VERIFICATION_RATE_EXCEEDED]
