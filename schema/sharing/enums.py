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
