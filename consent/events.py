"""Consent events pushed to holders (India's AA: revocation is pushed to every holder).

Carried by `core.events`: delivered only after the transaction commits (a rolled-back grant
tells no one), to every app process on PostgreSQL (LISTEN/NOTIFY). Audiences are
`org:<grantee id>` and `subject:<sub>`. Holders that miss an event still see the status on
their next query, which is the source of truth.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consent.models import Consent, ConsentStatus
from core import events as core_events
from core.db import AsyncSession, after_commit

TOPIC = "consent"


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

    def to_payload(self) -> dict[str, Any]:
        return {
            "topic": TOPIC,
            "kind": self.kind,
            "consent": str(self.consent_id),
            "subject": self.subject,
            "grantee": str(self.grantee_id),
            "status": self.status.value,
            "at": self.at.isoformat(),
            "seq": self.ledger_seq,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ConsentEvent:
        return cls(
            kind=payload["kind"],
            consent_id=uuid.UUID(payload["consent"]),
            subject=payload["subject"],
            grantee_id=uuid.UUID(payload["grantee"]),
            status=ConsentStatus(payload["status"]),
            at=datetime.fromisoformat(payload["at"]),
            ledger_seq=payload["seq"],
        )


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


def publish(session: AsyncSession, kind: str, consent: Consent) -> None:
    """Tell the grantee and the subject once this transaction has committed and its ledger
    fact is sequenced: the event carries the seq (`core.db.after_commit`, `core.events`)."""
    engine = session.bind

    async def send() -> None:
        event = consent_event(kind, consent)
        await core_events.send(engine, event.audiences, event.to_payload())

    after_commit(session, send)


async def listen(audiences: list[str]) -> AsyncIterator[ConsentEvent]:
    """Events for any of `audiences`, as they commit, until the caller stops iterating."""
    async for payload in core_events.subscribe(audiences):
        if payload.get("topic") == TOPIC:
            yield ConsentEvent.from_payload(payload)
