"""GraphQL for agency supervision: the enums."""

from __future__ import annotations

import strawberry

import supervision

ProjectStatusEnum = strawberry.enum(supervision.ProjectStatus, name="ItProjectStatus")

FindingKindEnum = strawberry.enum(
    supervision.FindingKind,
    name="FindingKind",
    description="What a detector found (Art. 35): OVERDUE_ANSWER and OVERDUE_DELIVERY 35(1), "
    "STALE_CATALOGUE 35(2), OUT_OF_GRANT_USE 35(4), UNRECORDED_CHANGE 35(6), "
    "DEMAND_ALREADY_GRANTED 35(7).",
)

RectificationStatusEnum = strawberry.enum(
    supervision.RectificationStatus, name="RectificationStatus"
)
