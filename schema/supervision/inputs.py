"""GraphQL for agency supervision: the input types."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry


@strawberry.input
class AppointChiefDataOfficerInput:
    organization_id: strawberry.ID
    name: str
    title: str


@strawberry.input
class EndChiefDataOfficerInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class RegisterInformationSystemInput:
    name: str
    description: str = ""
    design_doc_sha256: str = strawberry.field(
        description="SHA-256 (hex) of the filed design document; pdex keeps only the hash."
    )
    data_structure_doc_sha256: str = strawberry.field(
        description="SHA-256 (hex) of the filed data-structure document."
    )
    resource_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The agency's own catalogue entries the system feeds."
    )


@strawberry.input
class FileItProjectInput:
    name: str
    budget: Decimal = strawberry.field(description="CNY, fiscally funded.")
    data_items: list[str] = strawberry.field(
        default_factory=list, description="Codes of data items the agency claims."
    )
    resource_codes: list[str] = strawberry.field(
        default_factory=list, description="Planned catalogue entries, by the code they will have."
    )


@strawberry.input
class ApproveItProjectInput:
    id: strawberry.ID
    override_reason: str | None = strawberry.field(
        default=None,
        description="Required when the agency was graded lowest in its last evaluated period.",
    )


@strawberry.input
class AcceptItProjectInput:
    id: strawberry.ID


@strawberry.input
class EvaluateAgenciesInput:
    period_start: datetime
    period_end: datetime


@strawberry.input
class OrderRectificationInput:
    agency_id: strawberry.ID
    finding_ids: list[strawberry.ID]
    working_days: int
    instructions: str


@strawberry.input
class ReportRectificationInput:
    id: strawberry.ID
    evidence: str


@strawberry.input
class DecideRectificationInput:
    id: strawberry.ID
    accept: bool
    reason: str = ""
