"""Access tickets (Art. 12, 16, 17, 27): data is released only against a short-lived signed
ticket, checked where it is released.

`issue_access_ticket` checks the grant (the caller is its grantee, items ⊆ grant, purpose,
status, validity) and, for every item holding personal information, the data subject's
consent through the consent gate — on the releasing side, inside this use case; the
requester never calls the gate on itself. The ticket is a compact JWS (EdDSA, Ed25519)
signed with the platform's ticket key, published at `GET /.well-known/jwks.json`, so a
source department's data service verifies it offline and reports the use back
(`report_ticket_use`). Every issuance and every refusal is a ledger fact; a refusal is also
counted against the grantee as a violation candidate (`sharing.violations`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import ledger
from consent import UseOutcome, authorize_data_use
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession, Database
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate
from core.settings import Settings
from registry import DataItem, Resource
from sharing.errors import Code
from sharing.models import AccessTicket, GrantStatus, ShareGrant, ShareGrantItem, ViolationKind
from sharing.violations import record_violation

KEY_ENV = "PDEX_TICKET_KEY"  # hex of the 32-byte Ed25519 seed; else a file in the data dir
TICKET_TTL = timedelta(minutes=5)
ISSUER = "pdex"
HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TicketSigner:
    """The platform's Ed25519 ticket key and its key id (RFC 7638 thumbprint)."""

    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def ephemeral(cls) -> TicketSigner:
        """A key kept nowhere: for seeding demo tickets no one will present."""
        return _signer(os.urandom(32))

    @property
    def public_jwk(self) -> dict[str, str]:
        raw = self.private_key.public_key().public_bytes_raw()
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signer(seed: bytes) -> TicketSigner:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    x = _b64(key.public_key().public_bytes_raw())
    # RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace
    thumb = hashlib.sha256(f'{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}'.encode()).digest()
    return TicketSigner(key, _b64(thumb))


def ticket_signer(settings: Settings) -> TicketSigner:
    """`PDEX_TICKET_KEY` (hex seed), else `ticket-key.hex` in the data directory, made on
    first use like the ledger's key."""
    raw = os.environ.get(KEY_ENV)
    if raw:
        return _signer(bytes.fromhex(raw))
    return _from_file(Path(settings.data_dir) / "ticket-key.hex")


@cache
def _from_file(path: Path) -> TicketSigner:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return _signer(bytes.fromhex(path.read_text().strip()))


def jwks(settings: Settings) -> dict[str, Any]:
    """The public keys tickets verify against (RFC 7517), for `/.well-known/jwks.json`."""
    return {"keys": [ticket_signer(settings).public_jwk]}


@dataclass(frozen=True)
class TicketRequest:
    grant_id: uuid.UUID
    items: tuple[str, ...]  # data item codes
    purpose: str
    consent_id: uuid.UUID | None = None  # the subject's consent, for personal items
    subject: str | None = None  # whose data (the consent says it; kept for the report)


@dataclass(frozen=True)
class IssuedTicket:
    ticket: AccessTicket
    token: str  # the compact JWS


class TicketRefused(UserError):
    """A ticket refused outside a grant: counted against the grantee once rolled back."""

    def __init__(
        self,
        problem: Problem,
        *,
        kind: ViolationKind,
        grantee_id: uuid.UUID,
        grant: ShareGrant | None,
        detail: str,
        denied: Sequence[tuple[uuid.UUID, str, str]] = (),
    ) -> None:
        super().__init__(problem.code, problem.message, problem.field)
        # ids, not the row: the row is expired once the transaction rolls back
        self.kind, self.grantee_id = kind, grantee_id
        self.grant_id = grant.id if grant else None
        self.resource_id = grant.resource_id if grant else None
        self.detail, self.denied = detail, tuple(denied)

    async def after_rollback(self, db: Database, actor: Principal | None) -> None:  # type: ignore[override]
        # Art. 17: a request outside a grant is recorded and counted against the grantee
        async with db.transaction() as session:
            for consent_id, item, purpose in self.denied:  # the gate's denial, on record
                await authorize_data_use(
                    session, actor, consent_id=consent_id, item=item, purpose=purpose
                )
            await record_violation(
                session,
                actor,
                grantee_id=self.grantee_id,
                grant_id=self.grant_id,
                resource_id=self.resource_id,
                kind=self.kind,
                detail=self.detail,
                action=ledger.Kind.TICKET_REFUSED,
            )


def _refuse(
    code: Code,
    message: str,
    field: str,
    kind: ViolationKind,
    actor: Principal,
    grant: ShareGrant | None,
    **extra: Any,
) -> TicketRefused:
    assert actor.organization_id is not None
    return TicketRefused(
        Problem(code, message, field),
        kind=kind,
        grantee_id=actor.organization_id,
        grant=grant,
        detail=message,
        **extra,
    )


_GRANT_STATUS_REFUSALS = {
    GrantStatus.SUSPENDED: (Code.GRANT_SUSPENDED, ViolationKind.GRANT_SUSPENDED),
    GrantStatus.REVOKED: (Code.GRANT_REVOKED, ViolationKind.GRANT_REVOKED),
}


_GRANT_FIELDS = tuple(ShareGrant.__table__.c.keys())  # the grant's own columns of the row
_GRANT_CONTEXT = (
    sa.select(
        *ShareGrant.__table__.c,
        Resource.code.label("resource_code"),
        Resource.contains_personal_info,
        DataItem.code.label("item"),
        DataItem.sensitive_personal,
    )
    .join(Resource, Resource.id == ShareGrant.resource_id)
    .outerjoin(ShareGrantItem, ShareGrantItem.grant_id == ShareGrant.id)
    .outerjoin(DataItem, DataItem.id == ShareGrantItem.data_item_id)
    .where(ShareGrant.id == sa.bindparam("grant_id"))
)
_RECORD_TICKET = sa.insert(AccessTicket.__table__)


# Art. 17: a release is checked against its grant and, for personal data, consent
async def issue_access_ticket(
    session: AsyncSession, actor: Principal | None, signer: TicketSigner, asked: TicketRequest
) -> IssuedTicket:
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    purpose = " ".join(asked.purpose.split())
    codes = sorted({c.strip() for c in asked.items})
    if not purpose or len(purpose) > 200:
        raise UserError(Code.PURPOSE_REQUIRED, "Say what the data is for (1-200).", "purpose")
    if not codes:
        raise UserError(Code.ITEMS_REQUIRED, "Name at least one data item.", "items")
    # One round trip: the grant, its resource's code and personal-information flag, and
    # the items it covers (a row each).
    connection = await session.connection()  # Core statements, built once: the hot path
    rows = (await connection.execute(_GRANT_CONTEXT, {"grant_id": asked.grant_id})).all()
    grant = (
        ShareGrant.model_construct(**{k: rows[0]._mapping[k] for k in _GRANT_FIELDS})
        if rows
        else None
    )
    if grant is None or grant.grantee_id != actor.organization_id:
        # Art. 17: no grant of yours — a stranger learns nothing, but the attempt counts
        raise _refuse(
            Code.GRANT_NOT_FOUND, "You hold no grant with this id.", "grant_id",
            ViolationKind.NO_GRANT, actor, None,
        )  # fmt: skip
    if grant.status in _GRANT_STATUS_REFUSALS:
        code, kind = _GRANT_STATUS_REFUSALS[grant.status]
        raise _refuse(
            code, f"The grant is {grant.status.value.lower()}: {grant.status_reason}",
            "grant_id", kind, actor, grant,
        )  # fmt: skip
    at = now()
    if grant.valid_until <= at:
        raise _refuse(
            Code.GRANT_EXPIRED, "The grant has ended.", "grant_id",
            ViolationKind.GRANT_EXPIRED, actor, grant,
        )  # fmt: skip
    granted = {r.item: r.sensitive_personal for r in rows if r.item is not None}
    outside = [c for c in codes if c not in granted]
    # Art. 16: exactly the items granted, nothing more
    if outside:
        raise _refuse(
            Code.ITEMS_OUTSIDE_GRANT, f"{outside[0]} is not in the grant.", "items",
            ViolationKind.ITEMS_OUTSIDE_GRANT, actor, grant,
        )  # fmt: skip
    # Art. 17: use only within the purpose the grant was given for
    if purpose.casefold() != " ".join(grant.purpose.split()).casefold():
        raise _refuse(
            Code.PURPOSE_MISMATCH, "The purpose differs from the grant's.", "purpose",
            ViolationKind.PURPOSE_MISMATCH, actor, grant,
        )  # fmt: skip
    personal = [c for c in codes if granted[c] or rows[0].contains_personal_info]
    subject: str | None = None
    # Art. 27: personal information is released only with the subject's consent, checked
    # here, where the data is released
    if personal:
        if asked.consent_id is None:
            raise UserError(
                Code.CONSENT_REQUIRED,
                "These items hold personal information: name the subject's consent.",
                "consent_id",
            )
        for code in personal:
            use = await authorize_data_use(
                session, actor, consent_id=asked.consent_id, item=code, purpose=purpose
            )
            subject = use.subject
            if use.outcome is UseOutcome.DENIED:
                assert use.reason is not None
                raise _refuse(
                    Code.CONSENT_DENIED,
                    f"The subject's consent does not allow {code}: {use.reason.value}.",
                    "consent_id", ViolationKind.CONSENT_DENIED, actor, grant,
                    denied=[(asked.consent_id, code, purpose)],
                )  # fmt: skip
    ticket = AccessTicket(
        grant_id=grant.id,
        grantee_id=grant.grantee_id,
        source_department_id=grant.source_department_id,
        items=",".join(codes),
        purpose=purpose,
        subject=subject,
        issued_at=at,
        expires_at=at + TICKET_TTL,
        key_id=signer.kid,
        ledger_seq=ledger.UNSEQUENCED,
    )
    claims = {
        "iss": ISSUER,
        "aud": str(grant.source_department_id),
        "sub": str(grant.grantee_id),
        "jti": str(ticket.id),
        "iat": int(at.timestamp()),
        "exp": int(ticket.expires_at.timestamp()),
        "grant": str(grant.id),
        "resource": rows[0].resource_code,
        "items": codes,
        "scenario": grant.scenario,
        "purpose": purpose,
    }
    token = jwt.encode(claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid})
    entry = await ledger.append(
        session,
        ledger.Kind.TICKET_ISSUED,
        actor,
        {
            "ticket": str(ticket.id),
            "grant": str(grant.id),
            "grantee": str(grant.grantee_id),
            "items": codes,
            "purpose": purpose,
            "expiresAt": ticket.expires_at.isoformat(),
            "kid": signer.kid,
            "tokenHash": hashlib.sha256(token.encode()).hexdigest(),
        },
        subjects=[subject] if subject else [],
        parties=[grant.grantee_id, grant.source_department_id],
    )
    entry.stamp(ticket)
    await connection.execute(_RECORD_TICKET, ticket.model_dump())
    return IssuedTicket(ticket, token)


# Art. 12: the data service reports what it released against a ticket
async def report_ticket_use(
    session: AsyncSession,
    actor: Principal | None,
    ticket_id: uuid.UUID,
    *,
    rows: int,
    content_hash: str,
) -> AccessTicket:
    actor = require(actor, Role.AGENCY)
    content_hash = content_hash.strip().lower()
    if rows < 0:
        raise UserError(Code.ROWS_INVALID, "Rows released cannot be negative.", "rows")
    if not HEX64.fullmatch(content_hash):
        raise UserError(
            Code.CONTENT_HASH_INVALID, "Give the hex SHA-256 of what was sent.", "content_hash"
        )
    ticket = await session.scalar(
        sa.select(AccessTicket).where(AccessTicket.id == ticket_id).with_for_update()
    )
    if ticket is None:
        raise UserError(Code.TICKET_NOT_FOUND, "No ticket has this id.", "ticket_id")
    if ticket.source_department_id != actor.organization_id:
        raise Forbidden("Only the source department that released the data reports its use.")
    if ticket.used_at is not None:
        raise UserError(Code.TICKET_ALREADY_REPORTED, "This ticket's use is reported.", "ticket_id")
    at = now()
    entry = await ledger.append(
        session,
        ledger.Kind.TICKET_USED,
        actor,
        {
            "ticket": str(ticket.id),
            "grant": str(ticket.grant_id),
            "rows": rows,
            "contentHash": content_hash,
            "afterExpiry": at > ticket.expires_at,
        },
        subjects=[ticket.subject] if ticket.subject else [],
        parties=[ticket.grantee_id, ticket.source_department_id],
    )
    ticket.used_at, ticket.rows_released, ticket.content_hash = at, rows, content_hash
    entry.stamp((ticket, "use_seq"))
    await session.flush()
    return ticket


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is not None:
        return sa.or_(
            AccessTicket.grantee_id == actor.organization_id,
            AccessTicket.source_department_id == actor.organization_id,
        )
    return sa.false()


async def list_tickets(
    session: AsyncSession,
    actor: Principal | None,
    *,
    grant_id: uuid.UUID | None = None,
    first: int,
    after: str | None = None,
) -> Page[AccessTicket]:
    actor = require(actor, Role.AUTHORITY, Role.AUDITOR, Role.AGENCY)
    statement = sa.select(AccessTicket).where(visible_to(actor))
    if grant_id is not None:
        statement = statement.where(AccessTicket.grant_id == grant_id)
    return await paginate(
        session,
        statement,
        sort=AccessTicket.issued_at,
        id_column=AccessTicket.id,
        first=first,
        after=after,
        newest_first=True,
    )


async def get_tickets(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[AccessTicket | None]:
    return await fetch_by_ids(session, AccessTicket, ids, visible_to(actor))
