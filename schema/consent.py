"""GraphQL for consent (Art. 27; PIPL Art. 15, 29): grants, revocation, the gate every data
use passes, the subject's dashboard, complaints, receipts and the `consentEvents` feed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

import consent
from core.clock import now
from core.db import AsyncSession
from core.errors import AuthError, Forbidden
from core.identity import Principal, Role, require
from core.pagination import Page
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, perform
from schema.ledger import Checkpoint, InclusionProof
from schema.organizations import Organization, from_row
from schema.relay import (
    Connection,
    Node,
    connection,
    from_global_id,
    node_type,
    selected_node_fields,
    to_global_id,
)

CertificateTypeEnum = strawberry.enum(
    consent.CertificateType,
    name="CertificateType",
    description="Certificates and licences a subject may let a third party fetch (Art. 27).",
)
ConsentModeEnum = strawberry.enum(
    consent.ConsentMode, name="ConsentMode", description="A single fetch, or periodic fetches."
)
ConsentStatusEnum = strawberry.enum(
    consent.ConsentStatus,
    name="ConsentStatus",
    description="ACTIVE and REVOKED are recorded; NOT_YET_VALID, EXPIRED and EXHAUSTED are "
    "computed from the validity window and the uses so far.",
)
UseOutcomeEnum = strawberry.enum(consent.UseOutcome, name="UseOutcome")
DenialReasonEnum = strawberry.enum(
    consent.DenialReason, name="DenialReason", description="Why the gate refused a data use."
)
ComplaintStatusEnum = strawberry.enum(consent.ComplaintStatus, name="ComplaintStatus")
ComplaintOutcomeEnum = strawberry.enum(consent.ComplaintOutcome, name="ComplaintOutcome")
SubjectKindEnum = strawberry.enum(consent.SubjectKind, name="SubjectKind")


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


@node_type("Consent")
async def load_consent(info: Info, row_id: uuid.UUID) -> Consent | None:
    require(info.context.actor)
    return _consent_or_none(await info.context.loaders.consent.load(row_id))


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


@node_type("DataUse")
async def load_data_use(info: Info, row_id: uuid.UUID) -> DataUse | None:
    async with info.context.db.read() as session:
        (row,) = await consent.get_uses(session, info.context.actor, [row_id])
    return DataUse.from_row(row) if row else None


@strawberry.type(description="A subject's complaint to the data authority (Art. 27).")
class Complaint(Node):
    subject: str
    text: str
    status: ComplaintStatusEnum
    received_at: datetime
    due_at: datetime = strawberry.field(description="15 working days (CN calendar).")
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
            overdue=consent.is_overdue(row, now()), assignee=row.assignee,
            outcome=row.outcome, resolution=row.resolution, resolved_at=row.resolved_at,
            row=row,
        )  # fmt: skip


@node_type("Complaint")
async def load_complaint(info: Info, row_id: uuid.UUID) -> Complaint | None:
    async with info.context.db.read() as session:
        row = await consent.get_complaint(session, info.context.actor, row_id)
    return Complaint.from_row(row) if row else None


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


async def _consent_page(
    info: Info,
    list_consents: Callable[..., Awaitable[Page[consent.Consent]]],
    status: consent.ConsentStatus | None,
    first: int,
    after: str | None,
) -> Connection[Consent]:
    """A page of consents, with the relations the query reads (grantee, items) fetched in the
    page's own session: one connection, one statement per relation."""
    wanted = selected_node_fields(info)
    loaders = info.context.loaders
    async with info.context.db.read() as session:
        page = await list_consents(
            session, info.context.actor, status=status, first=first, after=after
        )
        if "grantee" in wanted:
            await loaders.organization.prefetch(session, [r.grantee_id for r in page.items])
        if "items" in wanted:
            await loaders.consent_items.prefetch(session, [r.id for r in page.items])
    return connection(page, Consent.from_row)


@strawberry.type
class Query:
    @strawberry.field(description="Data subjects: yourself (made on first use).")
    async def my_data_subject(self, info: Info) -> DataSubject:
        async with info.context.db.read() as session:
            return DataSubject.from_row(await consent.my_subject(session, info.context.actor))

    @strawberry.field(description="Data subjects: your consents, newest first.")
    async def my_consents(
        self,
        info: Info,
        status: ConsentStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Consent]:
        return await _consent_page(info, consent.list_my_consents, status, first, after)

    @strawberry.field(
        description="Data subjects: every use of your data, allowed or denied, newest first."
    )
    async def my_data_uses(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[DataUse]:
        async with info.context.db.read() as session:
            page = await consent.list_my_data_uses(
                session, info.context.actor, first=first, after=after
            )
        return connection(page, DataUse.from_row)

    @strawberry.field(description="Organisations: consents granted to yours, newest first.")
    async def received_consents(
        self,
        info: Info,
        status: ConsentStatusEnum | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Consent]:
        return await _consent_page(info, consent.list_received_consents, status, first, after)

    @strawberry.field(description="Data subjects: your complaints, oldest first.")
    async def my_complaints(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Complaint]:
        async with info.context.db.read() as session:
            page = await consent.list_my_complaints(
                session, info.context.actor, first=first, after=after
            )
        return connection(page, Complaint.from_row)

    @strawberry.field(
        description="The data authority (and auditors): complaints by due date; "
        "`overdue: true` for those past due and unresolved."
    )
    async def complaints(
        self,
        info: Info,
        status: ComplaintStatusEnum | None = None,
        overdue: bool | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Complaint]:
        async with info.context.db.read() as session:
            page = await consent.list_complaints(
                session, info.context.actor, status=status, overdue=overdue, first=first,
                after=after,
            )  # fmt: skip
        return connection(page, Complaint.from_row)


@strawberry.input
class UpdateMyIdentityInput:
    display_name: str | None = None
    resident_id: str | None = strawberry.field(
        default=None,
        description="GB 11643 resident ID; kept only as a keyed hash. Empty removes it.",
    )


@strawberry.input
class GrantConsentInput:
    grantee: strawberry.ID = strawberry.field(description="The organisation authorised.")
    purpose: str = strawberry.field(description="Matched by the gate, ignoring case and spaces.")
    valid_until: datetime
    data_items: list[str] = strawberry.field(
        default_factory=list, description="Catalogue data item codes."
    )
    certificates: list[CertificateTypeEnum] = strawberry.field(default_factory=list)
    scenario: str = strawberry.field(default="", description="The application scenario.")
    valid_from: datetime | None = strawberry.field(default=None, description="Default: now.")
    mode: ConsentModeEnum = consent.ConsentMode.ONE_TIME
    frequency: str | None = None
    max_uses: int | None = strawberry.field(
        default=None, description="PERIODIC: a cap on uses; ONE_TIME is always 1."
    )
    uses_per_period: int | None = strawberry.field(
        default=None,
        description="PERIODIC: a rate, at most this many uses in any `frequency`-long window "
        "(India's AA fetch frequency); beyond it the gate answers FREQUENCY_EXCEEDED.",
    )
    data_life: str | None = strawberry.field(
        default=None,
        description="How long the grantee may keep what it fetched, ISO 8601 (P30D, P6M, P1Y).",
    )
    separate: bool = strawberry.field(
        default=False,
        description="Required when any item is sensitive personal information (PIPL Art. 29).",
    )


@strawberry.input
class RevokeConsentInput:
    consent_id: strawberry.ID
    reason: str = ""


@strawberry.input
class AuthorizeDataUseInput:
    consent_id: strawberry.ID
    item: str = strawberry.field(
        description='"item:<code>", "certificate:<TYPE>", a data item code or a certificate type.'
    )
    purpose: str


@strawberry.input
class FileComplaintInput:
    against_organization: strawberry.ID
    text: str
    consent_id: strawberry.ID | None = None
    use_id: strawberry.ID | None = None


@strawberry.input
class AssignComplaintInput:
    complaint_id: strawberry.ID
    assignee: str = strawberry.field(description="The officer or unit handling it.")


@strawberry.input
class ResolveComplaintInput:
    complaint_id: strawberry.ID
    outcome: ComplaintOutcomeEnum
    resolution: str


@strawberry.type
class DataSubjectPayload:
    data_subject: DataSubject | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class AuthorizeDataUsePayload:
    data_use: DataUse | None = strawberry.field(
        default=None, description="The recorded decision: ALLOWED, or DENIED with a reason."
    )
    allowed: bool = False
    user_errors: list[UserErrorType]


@strawberry.type
class ComplaintPayload:
    complaint: Complaint | None = None
    user_errors: list[UserErrorType]


def _uuid(global_id: str | None, type_name: str) -> uuid.UUID | None:
    return from_global_id(global_id, type_name)[1] if global_id else None


async def _consent_payload(info: Info, use_case: object) -> ConsentPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return ConsentPayload(consent=Consent.from_row(row) if row else None, user_errors=errors)


async def _complaint_payload(info: Info, use_case: object) -> ComplaintPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return ComplaintPayload(complaint=Complaint.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Data subjects: set your display name and resident ID. userErrors codes: "
        "NAME_TOO_LONG, RESIDENT_ID_INVALID, RESIDENT_ID_IN_USE, RESIDENT_ID_NOT_APPLICABLE."
    )
    async def update_my_identity(
        self, info: Info, input: UpdateMyIdentityInput
    ) -> DataSubjectPayload:
        key = consent.identity_key(info.context.settings)
        row, errors = await perform(
            info,
            lambda s, a: consent.update_my_identity(
                s, a, display_name=input.display_name, resident_id=input.resident_id, key=key
            ),
        )
        return DataSubjectPayload(
            data_subject=DataSubject.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Data subjects: authorise an organisation. userErrors codes: "
        "PURPOSE_REQUIRED, SCENARIO_TOO_LONG, SCOPE_REQUIRED, SCOPE_TOO_LARGE, "
        "SCOPE_DUPLICATE, TIME_ZONE_REQUIRED, VALID_FROM_PAST, VALIDITY_INVALID, "
        "VALIDITY_TOO_LONG, FREQUENCY_REQUIRED, FREQUENCY_NOT_ALLOWED, MAX_USES_INVALID, "
        "USES_PER_PERIOD_NOT_ALLOWED, USES_PER_PERIOD_INVALID, DATA_LIFE_INVALID, "
        "GRANTEE_NOT_FOUND, DATA_ITEM_NOT_FOUND, SEPARATE_CONSENT_REQUIRED, ID_INVALID."
    )
    async def grant_consent(self, info: Info, input: GrantConsentInput) -> ConsentPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> consent.Consent:
            fields = consent.GrantFields(
                grantee_id=from_global_id(input.grantee, "Organization")[1],
                purpose=input.purpose,
                valid_until=input.valid_until,
                data_items=tuple(input.data_items),
                certificates=tuple(input.certificates),
                scenario=input.scenario,
                valid_from=input.valid_from,
                mode=input.mode,
                frequency=input.frequency,
                max_uses=input.max_uses,
                uses_per_period=input.uses_per_period,
                data_life=input.data_life,
                separate=input.separate,
            )
            return await consent.grant_consent(session, actor, fields)

        return await _consent_payload(info, use_case)

    @strawberry.mutation(
        description="Data subjects: revoke one of your consents, at once, for every use that "
        "starts after it. userErrors codes: CONSENT_NOT_FOUND, CONSENT_REVOKED, "
        "REASON_TOO_LONG, ID_INVALID."
    )
    async def revoke_consent(self, info: Info, input: RevokeConsentInput) -> ConsentPayload:
        return await _consent_payload(
            info,
            lambda s, a: consent.revoke_consent(
                s, a, _uuid(input.consent_id, "Consent"), reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="The gate before any use of a subject's data: ALLOWED or DENIED with a "
        "reason, recorded either way (a denial is a result, not an error). userErrors codes: "
        "ITEM_INVALID, PURPOSE_REQUIRED, ORGANIZATION_REQUIRED, CONSENT_NOT_FOUND, ID_INVALID."
    )
    async def authorize_data_use(
        self, info: Info, input: AuthorizeDataUseInput
    ) -> AuthorizeDataUsePayload:
        row, errors = await perform(
            info,
            lambda s, a: consent.authorize_data_use(
                s, a, consent_id=_uuid(input.consent_id, "Consent"), item=input.item,
                purpose=input.purpose,
            ),
        )  # fmt: skip
        return AuthorizeDataUsePayload(
            data_use=DataUse.from_row(row) if row else None,
            allowed=row is not None and row.outcome is consent.UseOutcome.ALLOWED,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Data subjects: complain to the data authority; due in 15 working days. "
        "userErrors codes: TEXT_REQUIRED, ORGANIZATION_NOT_FOUND, CONSENT_NOT_FOUND, "
        "USE_NOT_FOUND, CALENDAR_NOT_COVERED, ID_INVALID."
    )
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> ComplaintPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> consent.Complaint:
            fields = consent.ComplaintFields(
                against_id=from_global_id(input.against_organization, "Organization")[1],
                text=input.text,
                consent_id=_uuid(input.consent_id, "Consent"),
                use_id=_uuid(input.use_id, "DataUse"),
            )
            return await consent.file_complaint(session, actor, fields)

        return await _complaint_payload(info, use_case)

    @strawberry.mutation(
        description="The data authority: assign (or reassign) a complaint. userErrors codes: "
        "ASSIGNEE_REQUIRED, COMPLAINT_NOT_FOUND, COMPLAINT_STATUS_INVALID, ID_INVALID."
    )
    async def assign_complaint(self, info: Info, input: AssignComplaintInput) -> ComplaintPayload:
        return await _complaint_payload(
            info,
            lambda s, a: consent.assign_complaint(
                s, a, _uuid(input.complaint_id, "Complaint"), assignee=input.assignee
            ),
        )

    @strawberry.mutation(
        description="The data authority: UPHELD or REJECTED, with the resolution. userErrors "
        "codes: RESOLUTION_REQUIRED, COMPLAINT_NOT_FOUND, COMPLAINT_STATUS_INVALID, ID_INVALID."
    )
    async def resolve_complaint(self, info: Info, input: ResolveComplaintInput) -> ComplaintPayload:
        return await _complaint_payload(
            info,
            lambda s, a: consent.resolve_complaint(
                s, a, _uuid(input.complaint_id, "Complaint"), outcome=input.outcome,
                resolution=input.resolution,
            ),
        )  # fmt: skip


@strawberry.type(description="A consent was granted or revoked.")
class ConsentEvent:
    kind: str = strawberry.field(description="GRANTED or REVOKED.")
    consent_id: strawberry.ID
    grantee_id: strawberry.ID
    status: ConsentStatusEnum
    at: datetime
    ledger_seq: int

    @classmethod
    def from_event(cls, event: consent.ConsentEvent) -> ConsentEvent:
        return cls(
            kind=event.kind,
            consent_id=to_global_id("Consent", event.consent_id),
            grantee_id=to_global_id("Organization", event.grantee_id),
            status=event.status,
            at=event.at,
            ledger_seq=event.ledger_seq,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="graphql-transport-ws: grants and revocations of consents granted to your "
        "organisation, or (data subjects) of your own consents, as they commit, from every "
        "app process (PostgreSQL LISTEN/NOTIFY). A client that was away misses what happened "
        "meanwhile: query the status for the truth."
    )
    async def consent_events(self, info: Info) -> AsyncGenerator[ConsentEvent, None]:
        try:
            actor = require(info.context.actor)
            audiences = []
            if actor.organization_id is not None:
                audiences.append(f"org:{actor.organization_id}")
            if actor.has(Role.DATA_SUBJECT):
                audiences.append(f"subject:{actor.subject}")
            if not audiences:
                raise Forbidden("Consent events go to organisations and data subjects.")
        except AuthError as exc:  # subscriptions skip ErrorPolicy: code the error here
            raise GraphQLError(str(exc), extensions={"code": exc.code}) from None
        async for event in consent.listen_events(audiences):
            yield ConsentEvent.from_event(event)
