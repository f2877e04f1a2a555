"""GraphQL for consents, data uses and complaints: the enums."""

from __future__ import annotations

import strawberry

import consent

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
