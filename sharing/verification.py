"""Verification without disclosure (Art. 15 ¶3; Art. 27 certificates).

For a NOT_SHARED or CONDITIONAL entry the source department publishes a verification set:
keyed hashes of (subject key, item, value) under a per-resource key pdex generates and never
exports. The department computes them through the OPRF (`sharing.oprf`): it sends blinded
points, pdex raises them to the key (`evaluate_blinded`), and the department uploads the
finished hashes in batches — no plaintext ever reaches pdex. `verify_data_claim` answers
MATCH / NO_MATCH / UNKNOWN, never a value; each answer is a ledger fact naming the subject
only by salted commitment, and a per-asker rate limit stops enumeration.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa

import ledger
from core.clock import now
from core.db import AsyncSession, Database, dialect_insert
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from registry import DataItem, Resource, ResourceItem, ShareType
from sharing import oprf
from sharing.errors import Code
from sharing.models import (
    VerificationAnswer,
    VerificationEntry,
    VerificationQuery,
    VerificationSet,
    ViolationKind,
)
from sharing.violations import record_violation

MAX_BATCH = 1000  # points or hashes per call
RATE_LIMIT = 600  # answers per asker and window: enumeration stops here
RATE_WINDOW = timedelta(hours=1)
HEX64 = re.compile(r"[0-9a-f]{64}")
VERIFIABLE = (ShareType.NOT_SHARED, ShareType.CONDITIONAL)


async def _owned_set(
    session: AsyncSession, actor: Principal, resource_id: uuid.UUID, *, create: bool = False
) -> VerificationSet:
    resource = await session.get(Resource, resource_id)
    if resource is None:
        raise UserError(Code.RESOURCE_NOT_FOUND, "No resource has this id.", "resource_id")
    if resource.owner_id != actor.organization_id:
        raise Forbidden("Only the source department of a resource publishes its verification set.")
    if resource.share_type not in VERIFIABLE:
        raise UserError(
            Code.VERIFICATION_NOT_NEEDED,
            "An UNCONDITIONAL entry is shared as it is: no verification set.",
            "resource_id",
        )
    found = await session.get(VerificationSet, resource_id, with_for_update=True)
    if found is None:
        if not create:
            raise UserError(
                Code.VERIFICATION_SET_NOT_FOUND, "Open the verification set first.", "resource_id"
            )
        found = VerificationSet(resource_id=resource_id, key=oprf.new_key())
        session.add(found)
        await session.flush()
        await ledger.append(
            session,
            ledger.Kind.VERIFICATION_SET_OPENED,
            actor,
            {"resource": str(resource_id)},
            parties=[resource.owner_id],
        )
    return found


# Art. 15: not-shared data is verified, not handed over; the source department supports it
async def open_verification_set(
    session: AsyncSession, actor: Principal | None, resource_id: uuid.UUID
) -> VerificationSet:
    actor = require(actor, Role.AGENCY)
    return await _owned_set(session, actor, resource_id, create=True)


async def evaluate_blinded(
    session: AsyncSession, actor: Principal | None, resource_id: uuid.UUID, blinded: Sequence[str]
) -> list[str]:
    """The OPRF step: each blinded point (hex) raised to the resource's key. Points outside
    the group are refused (they could leak the key's residue)."""
    actor = require(actor, Role.AGENCY)
    if not 1 <= len(blinded) <= MAX_BATCH:
        raise UserError(Code.BATCH_SIZE_INVALID, f"Send 1-{MAX_BATCH} points.", "blinded")
    points = []
    for text in blinded:
        try:
            point = bytes.fromhex(text)
        except ValueError:
            point = b""
        if not oprf.in_group(point):
            raise UserError(Code.POINT_INVALID, "Every point is a hex group element.", "blinded")
        points.append(point)
    owned = await _owned_set(session, actor, resource_id)
    return [oprf.evaluate(owned.key, p).hex() for p in points]


async def upload_verification_batch(
    session: AsyncSession,
    actor: Principal | None,
    resource_id: uuid.UUID,
    entries: Sequence[tuple[str, str]],
) -> VerificationSet:
    """A batch of finished hashes: (entry hash, subject-item hash), hex SHA-256 each."""
    actor = require(actor, Role.AGENCY)
    if not 1 <= len(entries) <= MAX_BATCH:
        raise UserError(Code.BATCH_SIZE_INVALID, f"Send 1-{MAX_BATCH} entries.", "entries")
    rows = [(d.strip().lower(), s.strip().lower()) for d, s in entries]
    if not all(HEX64.fullmatch(d) and HEX64.fullmatch(s) for d, s in rows):
        raise UserError(Code.DIGEST_INVALID, "Every hash is 64 hex characters.", "entries")
    owned = await _owned_set(session, actor, resource_id)
    before = await session.scalar(
        sa.select(sa.func.count()).where(VerificationEntry.resource_id == resource_id)
    )
    await session.execute(
        dialect_insert(session, VerificationEntry)
        .values([{"resource_id": resource_id, "digest": d, "subject_item": s} for d, s in rows])
        .on_conflict_do_nothing()
    )
    after = await session.scalar(
        sa.select(sa.func.count()).where(VerificationEntry.resource_id == resource_id)
    )
    owned.entries, owned.batches, owned.updated_at = after or 0, owned.batches + 1, now()
    await session.flush()
    batch_hash = hashlib.sha256("".join(sorted(d for d, _ in rows)).encode()).hexdigest()
    await ledger.append(
        session,
        ledger.Kind.VERIFICATION_SET_UPLOADED,
        actor,
        {
            "resource": str(resource_id),
            "batch": owned.batches,
            "added": (after or 0) - (before or 0),
            "batchHash": batch_hash,
        },
        parties=[actor.organization_id] if actor.organization_id else [],
    )
    return owned


class RateExceeded(UserError):
    """Refused for the rate limit; counted against the asker once rolled back."""

    def __init__(self, asker_id: uuid.UUID, resource_id: uuid.UUID) -> None:
        super().__init__(
            Code.VERIFICATION_RATE_EXCEEDED,
            f"At most {RATE_LIMIT} verifications an hour: try later.",
            "resource_id",
        )
        self.asker_id, self.resource_id = asker_id, resource_id

    async def after_rollback(self, db: Database, actor: Principal | None) -> None:  # type: ignore[override]
        async with db.transaction() as session:
            await record_violation(
                session, actor, grantee_id=self.asker_id, resource_id=self.resource_id,
                kind=ViolationKind.VERIFICATION_RATE_EXCEEDED, detail=self.problems[0].message,
                action=ledger.Kind.VERIFICATION_REFUSED,
            )  # fmt: skip


_Q = VerificationQuery.__table__.c
# One round trip: the set's key, whether the resource carries the item, its owner, the
# asker's answers in the rate window, and the subject's ledger salt (so the append reads
# nothing of its own).
_CLAIM_CONTEXT = (
    sa.select(
        VerificationSet.key,
        Resource.owner_id,
        sa.select(DataItem.id)
        .join(ResourceItem, ResourceItem.data_item_id == DataItem.id)
        .where(
            ResourceItem.resource_id == sa.bindparam("resource_id"),
            DataItem.code == sa.bindparam("item"),
        )
        .scalar_subquery()
        .label("item_id"),
        sa.select(sa.func.count())
        .where(_Q.asker_id == sa.bindparam("asker_id"), _Q.at > sa.bindparam("since"))
        .scalar_subquery()
        .label("recent"),
        ledger.salt_column(sa.bindparam("subject")).label("salt"),
    )
    .join(Resource, Resource.id == VerificationSet.resource_id)
    .where(VerificationSet.resource_id == sa.bindparam("resource_id"))
)
_E = VerificationEntry.__table__.c
_HITS = sa.select(_E.digest, _E.subject_item).where(
    _E.resource_id == sa.bindparam("resource_id"),
    sa.or_(_E.digest == sa.bindparam("digest"), _E.subject_item == sa.bindparam("known")),
)
_RECORD_QUERY = sa.insert(VerificationQuery.__table__)


# Art. 15: a verification answers match or no match and never releases the data
async def verify_data_claim(
    session: AsyncSession,
    actor: Principal | None,
    resource_id: uuid.UUID,
    *,
    subject_key: str,
    item: str,
    claimed_value: str,
) -> VerificationQuery:
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    subject_key, item = subject_key.strip(), item.strip()
    problems = []
    if not subject_key or len(subject_key) > 120:
        problems.append(
            Problem(Code.SUBJECT_KEY_REQUIRED, "Give the subject key (1-120).", "subject_key")
        )
    if len(claimed_value) > 2000:
        problems.append(Problem(Code.VALUE_TOO_LONG, "Keep the value to 2000.", "claimed_value"))
    if problems:
        raise UserError.of(problems)
    at = now()
    subject = f"verification:{subject_key}"
    connection = await session.connection()  # Core statements, built once: the hot path
    owned = (
        await connection.execute(
            _CLAIM_CONTEXT,
            {
                "resource_id": resource_id,
                "item": item,
                "asker_id": actor.organization_id,
                "since": at - RATE_WINDOW,
                "subject": subject,
            },
        )  # fmt: skip
    ).one_or_none()
    if owned is None:
        raise UserError(
            Code.VERIFICATION_SET_NOT_FOUND, "This resource publishes no verification set.",
            "resource_id",
        )  # fmt: skip
    if owned.item_id is None:
        raise UserError(Code.ITEM_NOT_IN_RESOURCE, "The resource carries no such item.", "item")
    if owned.recent >= RATE_LIMIT:
        raise RateExceeded(actor.organization_id, resource_id)
    ledger.remember_salt(session, subject, owned.salt)
    digest = oprf.prf(owned.key, oprf.claim_input(subject_key, item, claimed_value))
    known = oprf.prf(owned.key, oprf.subject_item_input(subject_key, item))
    found = list(
        await connection.execute(
            _HITS, {"resource_id": resource_id, "digest": digest, "known": known}
        )
    )
    if any(d == digest for d, _ in found):
        answer = VerificationAnswer.MATCH
    elif found:
        answer = VerificationAnswer.NO_MATCH
    else:
        answer = VerificationAnswer.UNKNOWN
    query = VerificationQuery(
        resource_id=resource_id, asker_id=actor.organization_id, item=item, answer=answer,
        at=at, ledger_seq=ledger.UNSEQUENCED,
    )  # fmt: skip
    entry = await ledger.append(
        session,
        ledger.Kind.VERIFICATION_ANSWERED,
        actor,
        {
            "query": str(query.id),
            "resource": str(resource_id),
            "item": item,
            "answer": answer.value,
        },
        subjects=[subject],
        parties=[actor.organization_id, owned.owner_id],
    )
    entry.stamp(query)
    await connection.execute(_RECORD_QUERY, query.model_dump())
    return query
