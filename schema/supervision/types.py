"""GraphQL for agency supervision: the object types."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

import supervision
from core.clock import now
from schema.broker import PeriodScores
from schema.context import Info
from schema.dataloaders import load_then
from schema.organizations import Organization, from_row
from schema.registry import Resource, resource_of
from schema.relay import Node, to_global_id
from schema.supervision.enums import FindingKindEnum, ProjectStatusEnum, RectificationStatusEnum


def _org(info: Info, org_id: uuid.UUID) -> Organization | None | Awaitable[Organization | None]:
    return load_then(info.context.loaders.organization, org_id, from_row)


@strawberry.type(description="One appointment of an organisation's chief data officer (Art. 28).")
class ChiefDataOfficer(Node):
    name: str
    title: str
    appointed_at: datetime
    ended_at: datetime | None
    end_reason: str
    current: bool
    ledger_seq: int
    row: strawberry.Private[supervision.ChiefDataOfficer]

    @strawberry.field
    def organization(self, info: Info) -> Organization | None:
        return _org(info, self.row.organization_id)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: supervision.ChiefDataOfficer) -> ChiefDataOfficer:
        return cls(
            id=to_global_id("ChiefDataOfficer", row.id), name=row.name, title=row.title,
            appointed_at=row.appointed_at, ended_at=row.ended_at, end_reason=row.end_reason,
            current=row.ended_at is None, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(
    description="An information system in an agency's inventory (Art. 9), with the hashes of "
    "its filed design and data-structure documents and the catalogue entries it feeds."
)
class InformationSystem(Node):
    name: str
    description: str
    design_doc_sha256: str
    data_structure_doc_sha256: str
    registered_at: datetime
    ledger_seq: int
    row: strawberry.Private[supervision.InformationSystem]

    @strawberry.field
    def owner(self, info: Info) -> Organization | None:
        return _org(info, self.row.owner_id)  # type: ignore[return-value]

    @strawberry.field(description="The catalogue entries the system feeds.")
    async def resources(self, info: Info) -> list[Resource]:
        ids = await info.context.loaders.system_resources.load(self.row.id)
        found = [await _resolved(resource_of(info, r)) for r in ids]
        return [r for r in found if r is not None]

    @classmethod
    def from_row(cls, row: supervision.InformationSystem) -> InformationSystem:
        return cls(
            id=to_global_id("InformationSystem", row.id), name=row.name,
            description=row.description, design_doc_sha256=row.design_doc_sha256,
            data_structure_doc_sha256=row.data_structure_doc_sha256,
            registered_at=row.registered_at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


async def _resolved(value: object) -> object:
    return await value if isinstance(value, Awaitable) else value  # type: ignore[misc]


@strawberry.type(description="A listed item not yet ready for the project's acceptance.")
class ProjectGap:
    item: str = strawberry.field(description="The data item code or planned entry code.")
    reason: str = strawberry.field(
        description="NOT_CATALOGUED: in no catalogue entry of the agency; NOT_DELIVERED: in a "
        "shareable entry never delivered through the platform."
    )


@strawberry.type(description="A fiscally funded IT project and its data list (Art. 29).")
class ItProject(Node):
    name: str
    budget: Decimal
    status: ProjectStatusEnum
    filed_at: datetime
    approved_at: datetime | None
    override_reason: str = strawberry.field(
        description="Art. 30: the reason the authority approved an agency graded lowest."
    )
    accepted_at: datetime | None
    ledger_seq: int
    row: strawberry.Private[supervision.ItProject]

    @strawberry.field
    def agency(self, info: Info) -> Organization | None:
        return _org(info, self.row.agency_id)  # type: ignore[return-value]

    @strawberry.field(description="The public data the project will produce.")
    async def data_list(self, info: Info) -> list[str]:
        async with info.context.db.read() as session:
            return await supervision.data_list(session, self.row)

    @strawberry.field(
        description="What still stands between the project and acceptance (Art. 29); empty "
        "when it may be accepted. One statement per listed item: ask it of one project."
    )
    async def missing(self, info: Info) -> list[ProjectGap]:
        async with info.context.db.read() as session:
            gaps = await supervision.project_gaps(session, self.row)
        return [ProjectGap(item=g.label, reason=g.reason) for g in gaps]

    @classmethod
    def from_row(cls, row: supervision.ItProject) -> ItProject:
        return cls(
            id=to_global_id("ItProject", row.id), name=row.name, budget=row.budget,
            status=row.status, filed_at=row.filed_at, approved_at=row.approved_at,
            override_reason=row.override_reason, accepted_at=row.accepted_at,
            ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(
    description="One agency's scorecard for one period, from recorded facts (Art. 30)."
)
class AgencyScorecard(PeriodScores):
    row: strawberry.Private[supervision.AgencyScorecard]

    @strawberry.field
    def agency(self, info: Info) -> Organization | None:
        return _org(info, self.row.agency_id)  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: supervision.AgencyScorecard) -> AgencyScorecard:
        return cls(
            id=to_global_id("AgencyScorecard", row.id), row=row, **PeriodScores.fields_of(row)
        )


@strawberry.type(description="A violation the records show (Art. 35), with its evidence.")
class Finding(Node):
    kind: FindingKindEnum
    article_item: str = strawberry.field(description='The Art. 35 item, e.g. "35(2)".')
    summary: str
    evidence: JSON = strawberry.field(
        description="The records: resources, requests, grants (ids), ledgerSeqs, and dates."
    )
    detected_at: datetime
    ledger_seq: int
    row: strawberry.Private[supervision.Finding]

    @strawberry.field
    def agency(self, info: Info) -> Organization | None:
        return _org(info, self.row.agency_id)  # type: ignore[return-value]

    @strawberry.field(description="The rectification ordered for it, if any.")
    def rectification_id(self) -> strawberry.ID | None:
        rid = self.row.rectification_id
        return to_global_id("Rectification", rid) if rid else None  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: supervision.Finding) -> Finding:
        return cls(
            id=to_global_id("Finding", row.id), kind=row.kind, article_item=row.article_item,
            summary=row.summary, evidence=json.loads(row.evidence), detected_at=row.detected_at,
            ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip


@strawberry.type(
    description="A rectification order (Art. 35): due in working days; ESCALATED to the "
    "superior government (Art. 33) when the deadline passes unrectified."
)
class Rectification(Node):
    status: RectificationStatusEnum
    instructions: str
    working_days: int
    ordered_at: datetime
    due_at: datetime = strawberry.field(description="End of the last working day (CN calendar).")
    due_provisional: bool = strawberry.field(
        description="Counted on a year whose official holidays are not entered yet; recounted "
        "when they are."
    )
    overdue: bool
    evidence: str
    reported_at: datetime | None
    decided_at: datetime | None
    decision_reason: str = strawberry.field(description="The authority's reason for its decision.")
    escalated_at: datetime | None
    closed_at: datetime | None
    ledger_seq: int
    row: strawberry.Private[supervision.Rectification]

    @strawberry.field
    def agency(self, info: Info) -> Organization | None:
        return _org(info, self.row.agency_id)  # type: ignore[return-value]

    @strawberry.field(description="The findings it orders rectified.")
    async def findings(self, info: Info) -> list[Finding]:
        rows = await info.context.loaders.rectification_findings.load(self.row.id)
        return [Finding.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: supervision.Rectification) -> Rectification:
        open_ = row.status in (
            supervision.RectificationStatus.ORDERED,
            supervision.RectificationStatus.REOPENED,
        )
        return cls(
            id=to_global_id("Rectification", row.id), status=row.status,
            instructions=row.instructions, working_days=row.working_days,
            ordered_at=row.ordered_at, due_at=row.due_at, due_provisional=row.due_provisional,
            overdue=open_ and row.due_at < now(), evidence=row.evidence,
            reported_at=row.reported_at, decided_at=row.decided_at,
            decision_reason=row.decision_reason, escalated_at=row.escalated_at,
            closed_at=row.closed_at, ledger_seq=row.ledger_seq, row=row,
        )  # fmt: skip
