"""GraphQL for consents, data uses and complaints: the object types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import consent
from core.clock import now
from schema.calendar import PROVISIONAL
from schema.consent.enums import (
    ComplaintOutcomeEnum,
    ComplaintStatusEnum,
    ConsentModeEnum,
    ConsentStatusEnum,
    DenialReasonEnum,
    SubjectKindEnum,
    UseOutcomeEnum,
)
from schema.context import Info
from schema.dataloaders import load_then
from schema.ledger import Checkpoint, InclusionProof
from schema.organizations import Organization, from_row
from schema.relay import (
    Node,
    to_global_id,
)


@strawberry.type(description="One thing a consent covers.")
class ConsentItem:
    item: str = strawberry.field(
        description='"item:<data item code>" or "certificate:<CertificateType>".'
    )
    sensitive: bool = strawberry.field(description="Sensitive personal information (PIPL 28).")


@strawberry.type(description="What the subject keeps: the ledger proof of their consent.")
class ConsentReceipt:
    ledger_seq: int
    revoke_seq: int | None
    subject_salt: str = strawberry.field(description="Hex; with it the commitment is yours.")
    subject_commitment: str
    checkpoint: Checkpoint = strawberry.field(description="The signed tree the proofs are in.")
    inclusion_proof: InclusionProof = strawberry.field(description="Of the grant entry.")
    revocation_proof: InclusionProof | None
    kantara: JSON = strawberry.field(
        description="Kantara Consent Receipt v1.1 JSON (also GET /consents/{id}/receipt)."
    )


@strawberry.type(description="A data subject's authorisation of one organisation (Art. 27).")
class Consent(Node):
    purpose: str
    scenario: str
    valid_from: datetime
    valid_until: datetime
    mode: ConsentModeEnum
    frequency: str | None = strawberry.field(description="PERIODIC: ISO 8601, e.g. P1M.")
    max_uses: int | None
    uses_per_period: int | None = strawberry.field(
        description="PERIODIC: at most this many uses in any `frequency`-long window."
    )
    data_life: str | None = strawberry.field(
        description="How long the grantee may keep fetched data (ISO 8601, e.g. P30D)."
    )
    uses: int = strawberry.field(description="ALLOWED uses so far.")
    separate: bool = strawberry.field(description="Separate consent given (PIPL Art. 29).")
    status: ConsentStatusEnum
    revoked_at: datetime | None
    revoke_reason: str
    ledger_seq: int
    revoke_seq: int | None
    created_at: datetime
    row: strawberry.Private[consent.Consent]

    @strawberry.field(
        description="The subject's account id (token `sub`) to the subject; to anyone else "
        "the salted commitment the ledger names them by (hex SHA-256, as in the receipt), "
        "since an account id may be a resident ID. Empty once the salt is erased (PIPL Art. 47)."
    )
    def subject(self, info: Info) -> str:
        if consent.is_self(info.context.actor, self.row.subject):
            return self.row.subject
        return load_then(info.context.loaders.consent_subject, self.row.subject, str)  # type: ignore[return-value]

    @strawberry.field
    def grantee(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.row.grantee_id, from_row)

    @strawberry.field
    def items(self, info: Info) -> list[ConsentItem]:
        return load_then(info.context.loaders.consent_items, self.row.id, _items)

    @strawberry.field(
        description="The subject's receipt (null for anyone else). Signs a checkpoint if "
        "none covers the entry yet."
    )
    async def receipt(self, info: Info) -> ConsentReceipt | None:
        actor = info.context.actor
        if not consent.is_self(actor, self.row.subject):
            return None
        receipt = await consent.consent_receipt(
            info.context.db, info.context.signer, actor, self.row.id
        )
        if receipt is None:
            return None
        return ConsentReceipt(
            ledger_seq=self.row.ledger_seq,
            revoke_seq=self.row.revoke_seq,
            subject_salt=receipt.salt.hex(),
            subject_commitment=receipt.commitment,
            checkpoint=Checkpoint.from_signed(receipt.signed),
            inclusion_proof=InclusionProof.from_proof(receipt.proofs[0]),
            revocation_proof=InclusionProof.from_proof(receipt.proofs[1])
            if len(receipt.proofs) > 1
            else None,
            kantara=consent.kantara(receipt),
        )  # fmt: skip

    @classmethod
    def from_row(cls, row: consent.Consent) -> Consent:
        return cls(
            id=to_global_id("Consent", row.id), purpose=row.purpose,
            scenario=row.scenario, valid_from=row.valid_from, valid_until=row.valid_until,
            mode=row.mode, frequency=row.frequency, max_uses=row.max_uses,
            uses_per_period=row.uses_per_period, data_life=row.data_life, uses=row.uses,
            separate=row.separate, status=consent.status_of(row, now()),
            revoked_at=row.revoked_at, revoke_reason=row.revoke_reason,
            ledger_seq=row.ledger_seq, revoke_seq=row.revoke_seq, created_at=row.created_at,
            row=row,
        )  # fmt: skip


def _items(rows: list[consent.ConsentItem]) -> list[ConsentItem]:
    return [ConsentItem(item=r.item, sensitive=r.sensitive) for r in rows]


def _consent_or_none(row: consent.Consent | None) -> Consent | None:
    return Consent.from_row(row) if row else None


@strawberry.type(description="One pass through the consent gate, allowed or denied.")
class DataUse(Node):
    item: str
    purpose: str
    outcome: UseOutcomeEnum
    reason: DenialReasonEnum | None
    at: datetime
    ledger_seq: int
    row: strawberry.Private[consent.DataUse]

    @strawberry.field(description="The organisation that asked.")
    def user(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.row.user_id, from_row)

    @strawberry.field(
        name="consent", description="The consent it was checked against, if you may see it."
    )
    def checked_against(self, info: Info) -> Consent | None:
        return load_then(info.context.loaders.consent, self.row.consent_id, _consent_or_none)

    @classmethod
    def from_row(cls, row: consent.DataUse) -> DataUse:
        return cls(
            id=to_global_id("DataUse", row.id), item=row.item, purpose=row.purpose,
            outcome=row.outcome, reason=row.reason, at=row.at, ledger_seq=row.ledger_seq,
            row=row,
        )  # fmt: skip


@strawberry.type(description="A subject's complaint to the data authority (Art. 27).")
class Complaint(Node):
    subject: str
    text: str
    status: ComplaintStatusEnum
    received_at: datetime
    due_at: datetime = strawberry.field(
        description="Art. 27: 15 working days after receipt (CN calendar)."
    )
    due_provisional: bool = strawberry.field(description=PROVISIONAL)
    overdue: bool
    assignee: str
    outcome: ComplaintOutcomeEnum | None
    resolution: str
    resolved_at: datetime | None
    row: strawberry.Private[consent.Complaint]

    @strawberry.field(description="The organisation complained about.")
    def against(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.row.against_id, from_row)

    @strawberry.field
    def consent_id(self) -> strawberry.ID | None:
        return to_global_id("Consent", self.row.consent_id) if self.row.consent_id else None

    @strawberry.field
    def use_id(self) -> strawberry.ID | None:
        return to_global_id("DataUse", self.row.use_id) if self.row.use_id else None

    @classmethod
    def from_row(cls, row: consent.Complaint) -> Complaint:
        return cls(
            id=to_global_id("Complaint", row.id), subject=row.subject, text=row.text,
            status=row.status, received_at=row.received_at, due_at=row.due_at,
            due_provisional=row.due_provisional,
            overdue=consent.is_overdue(row, now()), assignee=row.assignee,
            outcome=row.outcome, resolution=row.resolution, resolved_at=row.resolved_at,
            row=row,
        )  # fmt: skip


@strawberry.type(description="You as a data subject. The resident ID itself is never shown.")
class DataSubject:
    subject: str
    kind: SubjectKindEnum
    display_name: str
    has_resident_id: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: consent.DataSubject) -> DataSubject:
        return cls(
            subject=row.subject,
            kind=row.kind,
            display_name=row.display_name,
            has_resident_id=row.resident_id_hash is not None,
            created_at=row.created_at,
        )
