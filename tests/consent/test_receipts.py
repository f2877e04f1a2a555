"""The consent receipt use case: a read, which signs a checkpoint only when none covers it."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

import consent
import ledger
from ledger.models import SubjectSalt


def _no_transactions(monkeypatch, db) -> list[str]:
    """Record (and refuse) any write transaction opened on `db`."""
    opened: list[str] = []

    @contextlib.asynccontextmanager
    async def transaction():
        opened.append("transaction")
        raise AssertionError("a receipt is a read: no write transaction")
        yield  # pragma: no cover

    monkeypatch.setattr(db, "transaction", transaction)
    return opened


async def test_a_receipt_is_read_without_a_write_transaction(
    app, db, subject, grantee, grant, monkeypatch
):
    granted = await grant(subject, grantee)
    await ledger.publish_checkpoint(db, app.state.signer)  # the entry is covered already
    opened = _no_transactions(monkeypatch, db)
    receipt = await consent.consent_receipt(db, app.state.signer, subject.principal, granted.id)
    assert opened == []
    assert receipt is not None and receipt.checkpoint.tree_size > granted.ledger_seq
    assert [p.seq for p in receipt.proofs] == [granted.ledger_seq]


async def test_a_receipt_signs_a_checkpoint_when_none_covers_its_entries(
    app, db, subject, grantee, grant
):
    granted = await grant(subject, grantee)
    async with db.read() as session:
        before = await ledger.latest_checkpoint(session)
    assert before is None or before.tree_size <= granted.ledger_seq
    receipt = await consent.consent_receipt(db, app.state.signer, subject.principal, granted.id)
    assert receipt is not None and receipt.checkpoint.tree_size > granted.ledger_seq
    async with db.read() as session:
        salt = await session.scalar(
            sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == subject.principal.subject)
        )
    assert receipt.salt == salt  # the grant's salt, not a new one
