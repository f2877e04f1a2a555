"""GraphQL for sharing (Art. 9, 12-20): the enums."""

from __future__ import annotations

import strawberry

import sharing

ShareModeEnum = strawberry.enum(
    sharing.ShareMode,
    name="ShareMode",
    description="Art. 10, 15: online by API, table or file; offline by secure line, media or "
    "paper.",
)
ShareRequestStatusEnum = strawberry.enum(
    sharing.ShareRequestStatus,
    name="ShareRequestStatus",
    description="PENDING → APPROVED → DELIVERED; PENDING → REFUSED → DISPUTED → REFUSED or "
    "APPROVED; WITHDRAWN by the requester until delivered.",
)
ShareDecisionEnum = strawberry.enum(sharing.Decision, name="ShareDecision")
DisputeOutcomeEnum = strawberry.enum(sharing.DisputeOutcome, name="ShareDisputeOutcome")
GrantStatusEnum = strawberry.enum(
    sharing.GrantStatus,
    name="ShareGrantStatus",
    description="Recorded status; a grant past its validUntil is also refused (expired).",
)
ViolationKindEnum = strawberry.enum(
    sharing.ViolationKind,
    name="ShareViolationKind",
    description="Why a use fell outside a grant (Art. 17): counted against the grantee.",
)
DemandStatusEnum = strawberry.enum(sharing.DemandStatus, name="DataDemandStatus")
AnomalyStatusEnum = strawberry.enum(
    sharing.AnomalyStatus,
    name="DataAnomalyStatus",
    description="RECEIVED until the owner answers CORRECTED (with the new version) or "
    "NOT_AN_ERROR (with a reason).",
)
OpenApplicationStatusEnum = strawberry.enum(
    sharing.OpenApplicationStatus,
    name="OpenApplicationStatus",
    description="PENDING → APPROVED (terms set) → AGREED (both sides accepted the terms' "
    "hash); or REFUSED.",
)
VerificationAnswerEnum = strawberry.enum(
    sharing.VerificationAnswer,
    name="VerificationAnswer",
    description="MATCH: the set holds this value; NO_MATCH: it holds another value for the "
    "subject's item; UNKNOWN: it holds nothing for them. Never a value.",
)
