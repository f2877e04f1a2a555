"""Detectors (Art. 35): records in, findings out, each citing the Art. 35 item it falls under
and its evidence (catalogue entries, share requests, grants, ledger sequence numbers).

A finding is found once: its `key` names the kind and the record (an entry stale since a
given time, one share request, one refused attempt, one catalogue version), so a second sweep
adds only what is new. One sweep is one ledger fact listing what it found.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

import ledger
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession, advisory_lock
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.pagination import Page, paginate
from registry import Resource, ResourceChange, ShareType
from sharing import (
    ShareGrant,
    ShareGrantItem,
    ShareRequest,
    ShareRequestItem,
    ShareRequestStatus,
    ShareViolationCandidate,
)
from supervision.access import visible, visible_or_none
from supervision.models import ARTICLE_ITEM, Finding, FindingKind, Rectification
from supervision.rectifications import escalate_overdue
from supervision.scorecards import OUT_OF_GRANT

# Art. 35: (2) an entry stale this long past its due refresh is a finding (Art. 11 flags it
# at once; supervision gives a week's grace before it counts as "not updated").
STALE_GRACE = timedelta(days=7)
# Art. 35: (6) a narrowing of what an entry shares, from the widest to the narrowest
SHARE_RANK = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NOT_SHARED: 2}


@dataclass(frozen=True)
class Candidate:
    kind: FindingKind
    key: str
    agency_id: uuid.UUID
    summary: str
    evidence: dict[str, object]
    subject_id: uuid.UUID
    subject_at: datetime | None = None


def _new(
    kind: FindingKind,
    subject: sa.ColumnElement[uuid.UUID],
    at: sa.ColumnElement[datetime] | None = None,
) -> sa.ColumnElement[bool]:
    """Not found already: no finding of `kind` about this record (at this moment)."""
    same = [Finding.kind == kind, Finding.subject_id == subject]
    if at is not None:
        same.append(Finding.subject_at == at)
    return ~sa.exists().where(*same)


def _agency_ids() -> sa.Select[tuple[uuid.UUID]]:
    return sa.select(Organization.id).where(Organization.kind == OrganizationKind.AGENCY)


async def _stale(session: AsyncSession, at: datetime) -> list[Candidate]:
    rows = await session.execute(
        sa.select(Resource.id, Resource.owner_id, Resource.code, Resource.stale_after).where(
            Resource.stale_after < at - STALE_GRACE,
            Resource.owner_id.in_(_agency_ids()),
            _new(FindingKind.STALE_CATALOGUE, Resource.id, Resource.stale_after),
        )
    )
    return [
        Candidate(
            FindingKind.STALE_CATALOGUE,
            f"STALE_CATALOGUE:{rid}:{stale_after.isoformat()}",
            owner,
            f"Catalogue entry {code} has not been updated since it fell due on "
            f"{stale_after.date().isoformat()}.",
            {
                "resources": [str(rid)],
                "staleAfter": stale_after.isoformat(),
                "graceDays": STALE_GRACE.days,
            },
            rid,
            stale_after,
        )  # fmt: skip
        for rid, owner, code, stale_after in rows
    ]


async def _overdue(session: AsyncSession, at: datetime) -> list[Candidate]:
    answer_late = sa.or_(
        sa.and_(
            ShareRequest.answered_at.is_(None), ShareRequest.status == ShareRequestStatus.PENDING
        ),
        ShareRequest.answered_at > ShareRequest.answer_due_at,
    )
    delivery_late = sa.or_(
        sa.and_(
            ShareRequest.delivered_at.is_(None), ShareRequest.status == ShareRequestStatus.APPROVED
        ),
        ShareRequest.delivered_at > ShareRequest.delivery_due_at,
    )
    found = []
    for kind, due, late, what in (
        (FindingKind.OVERDUE_ANSWER, ShareRequest.answer_due_at, answer_late, "answered"),
        (FindingKind.OVERDUE_DELIVERY, ShareRequest.delivery_due_at, delivery_late, "delivered"),
    ):
        rows = await session.execute(
            sa.select(ShareRequest.id, ShareRequest.source_department_id, due,
                      ShareRequest.ledger_seq)
            .where(due < at, late, ShareRequest.source_department_id.in_(_agency_ids()),
                   _new(kind, ShareRequest.id))
        )  # fmt: skip
        found += [
            Candidate(
                kind,
                f"{kind.value}:{rid}",
                agency,
                f"Share request {rid} was not {what} within 5 working days (due "
                f"{due_at.isoformat()}).",
                {"requests": [str(rid)], "dueAt": due_at.isoformat(), "ledgerSeqs": [seq]},
                rid,
            )  # fmt: skip
            for rid, agency, due_at, seq in rows
        ]
    return found


async def _out_of_grant(session: AsyncSession) -> list[Candidate]:
    rows = await session.execute(
        sa.select(ShareViolationCandidate).where(
            ShareViolationCandidate.kind.in_(OUT_OF_GRANT),
            ShareViolationCandidate.grantee_id.in_(_agency_ids()),
            _new(FindingKind.OUT_OF_GRANT_USE, ShareViolationCandidate.id),
        )
    )
    return [
        Candidate(
            FindingKind.OUT_OF_GRANT_USE,
            f"OUT_OF_GRANT_USE:{v.id}",
            v.grantee_id,
            f"Shared data was asked for outside its grant ({v.kind.value}).",
            {
                "grants": [str(v.grant_id)] if v.grant_id else [],
                "resources": [str(v.resource_id)] if v.resource_id else [],
                "violation": str(v.id),
                "ledgerSeqs": [v.ledger_seq],
            },
            v.id,
        )  # fmt: skip
        for v in rows.scalars()
    ]


def narrowing(change: dict[str, list[object]]) -> list[str]:
    """What a catalogue change took away (items removed, share type narrowed); pure."""
    taken = []
    if "dataItems" in change:
        before, after = change["dataItems"]
        removed = sorted(set(before or []) - set(after or []))  # type: ignore[arg-type]
        if removed:
            taken.append("items removed: " + ", ".join(removed))
    if "shareType" in change:
        before, after = change["shareType"]
        if SHARE_RANK[ShareType(after)] > SHARE_RANK[ShareType(before)]:  # type: ignore[arg-type]
            taken.append(f"share type narrowed: {before} → {after}")
    return taken


async def _unrecorded_changes(session: AsyncSession) -> list[Candidate]:
    rows = await session.execute(
        sa.select(ResourceChange, Resource.owner_id, Resource.code)
        .join(Resource, Resource.id == ResourceChange.resource_id)
        .where(
            ResourceChange.version > 1,
            sa.or_(ResourceChange.change.like('%"dataItems"%'),
                   ResourceChange.change.like('%"shareType"%')),
            sa.not_(ResourceChange.change.like('%"reason"%')),
            Resource.owner_id.in_(_agency_ids()),
            _new(FindingKind.UNRECORDED_CHANGE, ResourceChange.resource_id,
                 ResourceChange.changed_at),
        )
    )  # fmt: skip
    found = []
    for change, owner, code in rows:
        taken = narrowing(json.loads(change.change))
        if taken:
            found.append(
                Candidate(
                    FindingKind.UNRECORDED_CHANGE,
                    f"UNRECORDED_CHANGE:{change.resource_id}:{change.version}", owner,
                    f"Catalogue entry {code} version {change.version}: {'; '.join(taken)}, "
                    "with no recorded reason.",
                    {"resources": [str(change.resource_id)], "version": change.version,
                     "changedAt": change.changed_at.isoformat()},
                    change.resource_id, change.changed_at,
                )
            )  # fmt: skip
    return found


async def _already_granted(session: AsyncSession) -> list[Candidate]:
    held = aliased(ShareGrant)
    outside = (
        sa.select(ShareRequestItem.data_item_id)
        .where(
            ShareRequestItem.request_id == ShareRequest.id,
            ~sa.exists().where(
                ShareGrantItem.grant_id == held.id,
                ShareGrantItem.data_item_id == ShareRequestItem.data_item_id,
            ),
        )
        .exists()
    )
    rows = await session.execute(
        sa.select(ShareRequest.id, ShareRequest.requester_id, ShareRequest.ledger_seq, held.id,
                  held.ledger_seq)
        .join(held, sa.and_(held.grantee_id == ShareRequest.requester_id,
                            held.resource_id == ShareRequest.resource_id))
        .where(
            held.request_id != ShareRequest.id,
            held.created_at < ShareRequest.received_at,
            held.valid_until > ShareRequest.received_at,
            ~outside,
            ShareRequest.requester_id.in_(_agency_ids()),
            _new(FindingKind.DEMAND_ALREADY_GRANTED, ShareRequest.id),
        )
    )  # fmt: skip
    seen: dict[uuid.UUID, Candidate] = {}
    for rid, requester, seq, grant_id, grant_seq in rows:
        seen.setdefault(
            rid,
            Candidate(
                FindingKind.DEMAND_ALREADY_GRANTED, f"DEMAND_ALREADY_GRANTED:{rid}", requester,
                f"Share request {rid} asked for data the requester already held a live grant for.",
                {"requests": [str(rid)], "grants": [str(grant_id)], "ledgerSeqs": [seq, grant_seq]},
                rid,
            ),
        )  # fmt: skip
    return list(seen.values())


COLUMNS = tuple(Finding.__table__.columns)  # type: ignore[attr-defined]
LISTED = 200  # a sweep's ledger fact names at most this many findings; all are in its digest


def sweep_fact(rows: Sequence[Finding]) -> dict[str, object]:
    """A sweep's ledger fact: how many findings of each kind for each agency, the SHA-256 of
    the sorted "id key" lines of every finding (anyone with the rows recomputes it), and the
    first findings by key; each finding row carries this entry's sequence number."""
    lines = "\n".join(f"{f.id} {f.key}" for f in sorted(rows, key=lambda f: f.key))
    counts: dict[str, dict[str, int]] = {}
    for f in rows:
        per = counts.setdefault(str(f.agency_id), {})
        per[f.kind.value] = per.get(f.kind.value, 0) + 1
    return {
        "count": len(rows),
        "digest": hashlib.sha256(lines.encode()).hexdigest(),
        "byAgency": dict(sorted(counts.items())),
        "findings": [
            {"finding": str(f.id), "kind": f.kind.value, "articleItem": f.article_item,
             "agency": str(f.agency_id), "key": f.key}
            for f in sorted(rows, key=lambda f: f.key)[:LISTED]
        ],
    }  # fmt: skip


@dataclass
class Sweep:
    findings: list[Finding] = field(default_factory=list)
    escalated: list[Rectification] = field(default_factory=list)
    ledger_seq: int | None = None


SWEEP_LOCK = int.from_bytes(b"pdexswp", "big")  # no other lock uses it


# Art. 35: what the records show is found, with its evidence
async def detect_findings(session: AsyncSession, actor: Principal | None) -> Sweep:
    """Run every detector; record the new findings (one ledger fact for the sweep) and
    escalate the rectifications whose deadline passed."""
    actor = require(actor, Role.AUTHORITY)
    # One sweep at a time: a second one waits, then sees the first's findings and skips them
    # (two at once both inserted the same keys, and the loser failed on the unique key).
    await advisory_lock(session, SWEEP_LOCK)
    at = now()
    candidates = [
        *await _stale(session, at),
        *await _overdue(session, at),
        *await _out_of_grant(session),
        *await _unrecorded_changes(session),
        *await _already_granted(session),
    ]
    # each detector skips what was found already; one sweep finds each record once
    fresh = sorted({c.key: c for c in candidates}.values(), key=lambda c: c.key)
    sweep = Sweep()
    if fresh:
        rows = [
            Finding(
                id=uuid.uuid4(), key=c.key, kind=c.kind, article_item=ARTICLE_ITEM[c.kind],
                agency_id=c.agency_id, subject_id=c.subject_id, subject_at=c.subject_at,
                summary=c.summary[:2000],
                evidence=json.dumps(c.evidence, sort_keys=True), detected_at=at,
                ledger_seq=ledger.UNSEQUENCED,
            )
            for c in fresh
        ]  # fmt: skip
        await ledger.append(
            session, ledger.Kind.FINDINGS_DETECTED, actor, sweep_fact(rows),
            parties=sorted({f.agency_id for f in rows}, key=str),
            stamp=[*rows, (sweep, "ledger_seq")],
        )  # fmt: skip
        # One multi-row INSERT however many were found (a first sweep may find thousands).
        await session.execute(
            sa.insert(Finding), [{c.name: getattr(f, c.name) for c in COLUMNS} for f in rows]
        )
        sweep.findings = rows
    sweep.escalated = await escalate_overdue(session, actor, at=at)
    return sweep


async def list_findings(
    session: AsyncSession,
    actor: Principal | None,
    *,
    kind: FindingKind | None,
    agency_id: uuid.UUID | None,
    open_only: bool,
    first: int,
    after: str | None,
) -> Page[Finding]:
    """The authority (its superior, auditors) sees every finding; an agency its own."""
    actor = require(actor)
    statement = sa.select(Finding).where(visible(actor, Finding.agency_id, "Findings"))
    if kind is not None:
        statement = statement.where(Finding.kind == kind)
    if agency_id is not None:
        statement = statement.where(Finding.agency_id == agency_id)
    if open_only:
        statement = statement.where(Finding.rectification_id.is_(None))
    return await paginate(
        session, statement, sort=Finding.detected_at, id_column=Finding.id, first=first,
        after=after, newest_first=True,
    )  # fmt: skip


async def get_findings(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Finding | None]:
    condition = visible_or_none(actor, Finding.agency_id)
    return await fetch_by_ids(session, Finding, ids, sa.false() if condition is None else condition)
