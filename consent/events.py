"""Consent events pushed to holders (India's AA: revocation is pushed to every holder).

In-process publish/subscribe: a use case queues an event on its session, and the event is
delivered only after that transaction commits (a rolled-back grant tells no one). Each
subscriber has a bounded queue keyed by audience: `org:<grantee id>` and `subject:<sub>`.

One process only: a subscriber connected to another app process does not hear it. Across
processes this would ride PostgreSQL LISTEN/NOTIFY; holders that miss an event still see the
status on their next query, which is the source of truth.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from consent.models import Consent, ConsentStatus
from core.db import AsyncSession

_PENDING = "pdex.consent.events"
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class ConsentEvent:
    kind: str  # GRANTED | REVOKED
    consent_id: uuid.UUID
    subject: str
    grantee_id: uuid.UUID
    status: ConsentStatus
    at: datetime
    ledger_seq: int

    @property
    def audiences(self) -> tuple[str, str]:
        return (f"org:{self.grantee_id}", f"subject:{self.subject}")


def consent_event(kind: str, consent: Consent) -> ConsentEvent:
    revoked = kind == "REVOKED"
    return ConsentEvent(
        kind=kind,
        consent_id=consent.id,
        subject=consent.subject,
        grantee_id=consent.grantee_id,
        status=consent.status,
        at=consent.revoked_at if revoked and consent.revoked_at else consent.created_at,
        ledger_seq=consent.revoke_seq
        if revoked and consent.revoke_seq is not None
        else consent.ledger_seq,
    )


_subscribers: dict[str, set[asyncio.Queue[ConsentEvent]]] = {}


def publish(event: ConsentEvent) -> None:
    for audience in event.audiences:
        for queue in list(_subscribers.get(audience, ())):
            with suppress(asyncio.QueueFull):  # a stalled client: drop, never hold up writers
                queue.put_nowait(event)


def publish_after_commit(session: AsyncSession, event: ConsentEvent) -> None:
    session.sync_session.info.setdefault(_PENDING, []).append(event)


@sa.event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for event in session.info.pop(_PENDING, ()):
        publish(event)


@sa.event.listens_for(Session, "after_rollback")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


@contextmanager
def _subscribed(audiences: list[str]) -> Iterator[asyncio.Queue[ConsentEvent]]:
    queue: asyncio.Queue[ConsentEvent] = asyncio.Queue(QUEUE_SIZE)
    for audience in audiences:
        _subscribers.setdefault(audience, set()).add(queue)
    try:
        yield queue
    finally:
        for audience in audiences:
            listeners = _subscribers.get(audience)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del _subscribers[audience]


async def listen(audiences: list[str]) -> AsyncIterator[ConsentEvent]:
    """Events for any of `audiences`, as they commit, until the caller stops iterating."""
    with _subscribed(audiences) as queue:
        while True:
            yield await queue.get()


def subscriber_count(audience: str) -> int:
    return len(_subscribers.get(audience, ()))
