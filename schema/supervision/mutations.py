"""GraphQL for agency supervision: the mutations and their payloads."""

from __future__ import annotations

from decimal import Decimal

import strawberry

import supervision
from core.db import AsyncSession
from core.identity import Principal
from schema.broker import (
    SupervisionGrade,
    SupervisionIndicator,
    UpdateSupervisionGradeInput,
    UpdateSupervisionIndicatorInput,
)
from schema.context import Info
from schema.errors import UserErrorType, perform
from schema.relay import uuid_of
from schema.supervision.inputs import (
    AcceptItProjectInput,
    AppointChiefDataOfficerInput,
    ApproveItProjectInput,
    DecideRectificationInput,
    EndChiefDataOfficerInput,
    EvaluateAgenciesInput,
    FileItProjectInput,
    OrderRectificationInput,
    RegisterInformationSystemInput,
    ReportRectificationInput,
)
from schema.supervision.types import (
    AgencyScorecard,
    ChiefDataOfficer,
    Finding,
    InformationSystem,
    ItProject,
    Rectification,
)


@strawberry.type
class ChiefDataOfficerPayload:
    chief_data_officer: ChiefDataOfficer | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class InformationSystemPayload:
    information_system: InformationSystem | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class ItProjectPayload:
    it_project: ItProject | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class EvaluateAgenciesPayload:
    scorecards: list[AgencyScorecard] | None = None
    ledger_seq: int | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class AgencyIndicatorPayload:
    indicator: SupervisionIndicator | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class AgencyGradePayload:
    grade: SupervisionGrade | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class DetectFindingsPayload:
    findings: list[Finding] | None = strawberry.field(default=None, description="New ones only.")
    escalated: list[Rectification] | None = None
    ledger_seq: int | None = strawberry.field(
        default=None, description="The sweep's ledger entry (none when nothing new was found)."
    )
    user_errors: list[UserErrorType]


@strawberry.type
class RectificationPayload:
    rectification: Rectification | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class EscalationPayload:
    escalated: list[Rectification] | None = None
    user_errors: list[UserErrorType]


async def _cdo(info: Info, use_case: object) -> ChiefDataOfficerPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return ChiefDataOfficerPayload(
        chief_data_officer=ChiefDataOfficer.from_row(row) if row else None, user_errors=errors
    )


async def _project(info: Info, use_case: object) -> ItProjectPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return ItProjectPayload(it_project=ItProject.from_row(row) if row else None, user_errors=errors)


async def _rectification(info: Info, use_case: object) -> RectificationPayload:
    row, errors = await perform(info, use_case)  # type: ignore[arg-type]
    return RectificationPayload(
        rectification=Rectification.from_row(row) if row else None, user_errors=errors
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Art. 28: record an organisation's chief data officer (the organisation "
        "itself or the data authority). userErrors codes: NAME_REQUIRED, TITLE_REQUIRED, "
        "ORGANIZATION_NOT_FOUND, CDO_ALREADY_APPOINTED, ID_INVALID."
    )
    async def appoint_chief_data_officer(
        self, info: Info, input: AppointChiefDataOfficerInput
    ) -> ChiefDataOfficerPayload:
        return await _cdo(
            info,
            lambda s, a: supervision.appoint_cdo(
                s, a, uuid_of(input.organization_id, "Organization"), name=input.name,
                title=input.title,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Art. 28: end an appointment; the history stays. userErrors codes: "
        "CDO_NOT_FOUND, CDO_ALREADY_ENDED, REASON_REQUIRED, ID_INVALID."
    )
    async def end_chief_data_officer(
        self, info: Info, input: EndChiefDataOfficerInput
    ) -> ChiefDataOfficerPayload:
        return await _cdo(
            info,
            lambda s, a: supervision.end_cdo(
                s, a, uuid_of(input.id, "ChiefDataOfficer"), reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="Art. 9: an agency registers an information system with the hashes of its "
        "filed documents and the catalogue entries it feeds. userErrors codes: NAME_REQUIRED, "
        "DESCRIPTION_TOO_LONG, DOCUMENT_HASH_INVALID, TOO_MANY_RESOURCES, RESOURCE_NOT_OWNED, "
        "SYSTEM_NAME_TAKEN, ID_INVALID."
    )
    async def register_information_system(
        self, info: Info, input: RegisterInformationSystemInput
    ) -> InformationSystemPayload:
        fields = supervision.SystemFields(
            name=input.name, description=input.description,
            design_doc_sha256=input.design_doc_sha256,
            data_structure_doc_sha256=input.data_structure_doc_sha256,
            resource_ids=tuple(uuid_of(r, "Resource") for r in input.resource_ids),
        )  # fmt: skip
        row, errors = await perform(info, lambda s, a: supervision.register_system(s, a, fields))
        return InformationSystemPayload(
            information_system=InformationSystem.from_row(row) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Art. 29: an agency files a fiscally funded IT project with the public data "
        "it will produce. userErrors codes: NAME_REQUIRED, BUDGET_INVALID, TOO_MANY_ITEMS, "
        "RESOURCE_CODE_INVALID, DATA_ITEM_NOT_OWNED."
    )
    async def file_it_project(self, info: Info, input: FileItProjectInput) -> ItProjectPayload:
        fields = supervision.ProjectFields(
            input.name, Decimal(input.budget), tuple(input.data_items),
            tuple(input.resource_codes),
        )  # fmt: skip
        return await _project(info, lambda s, a: supervision.file_project(s, a, fields))

    @strawberry.mutation(
        description="Art. 29, 30: the data authority approves a project that lists its data; "
        "an agency graded lowest in its last period needs `overrideReason`. userErrors codes: "
        "PROJECT_NOT_FOUND, PROJECT_STATUS_INVALID, PROJECT_DATA_LIST_MISSING, REASON_TOO_LONG, "
        "AGENCY_GRADE_NEEDS_OVERRIDE, ID_INVALID."
    )
    async def approve_it_project(
        self, info: Info, input: ApproveItProjectInput
    ) -> ItProjectPayload:
        return await _project(
            info,
            lambda s, a: supervision.approve_project(
                s, a, uuid_of(input.id, "ItProject"), override_reason=input.override_reason
            ),
        )

    @strawberry.mutation(
        description="Art. 29: the data authority accepts a project once every listed item is "
        "catalogued and, where shareable, delivered at least once through the platform (the "
        "message lists what is missing; `ItProject.missing` too). userErrors codes: "
        "PROJECT_NOT_FOUND, PROJECT_STATUS_INVALID, PROJECT_DATA_MISSING, ID_INVALID."
    )
    async def accept_it_project(self, info: Info, input: AcceptItProjectInput) -> ItProjectPayload:
        return await _project(
            info, lambda s, a: supervision.accept_project(s, a, uuid_of(input.id, "ItProject"))
        )

    @strawberry.mutation(
        description="Art. 30: the data authority evaluates every agency for a period that has "
        "ended, from recorded facts; the period's scorecards are replaced, one ledger entry "
        "names the definitions used. userErrors codes: PERIOD_INVALID, PERIOD_NOT_OVER, "
        "NO_AGENCIES_IN_PERIOD."
    )
    async def evaluate_agencies(
        self, info: Info, input: EvaluateAgenciesInput
    ) -> EvaluateAgenciesPayload:
        run, errors = await perform(
            info,
            lambda s, a: supervision.evaluate_agencies(s, a, input.period_start, input.period_end),
        )
        if run is None:
            return EvaluateAgenciesPayload(user_errors=errors)
        return EvaluateAgenciesPayload(
            scorecards=[AgencyScorecard.from_row(r) for r in run.scorecards],
            ledger_seq=run.ledger_seq,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Art. 30: the data authority changes a published agency indicator. "
        "userErrors codes: INDICATOR_NOT_FOUND, WEIGHT_INVALID, PARAMETER_INVALID, "
        "NAME_INVALID, NOTHING_CHANGED."
    )
    async def update_agency_indicator(
        self, info: Info, input: UpdateSupervisionIndicatorInput
    ) -> AgencyIndicatorPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> object:
            return await supervision.scorecards.update_indicator(
                session, actor, input.code, weight=input.weight, parameter=input.parameter,
                name=input.name, description=input.description, veto=input.veto,
            )  # fmt: skip

        row, errors = await perform(info, use_case)
        return AgencyIndicatorPayload(
            indicator=SupervisionIndicator.from_row(row) if row else None,  # type: ignore[arg-type]
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Art. 30: the data authority moves an agency grade's threshold. userErrors "
        "codes: GRADE_NOT_FOUND, MIN_SCORE_INVALID, GRADES_OUT_OF_ORDER, NOTHING_CHANGED."
    )
    async def update_agency_grade(
        self, info: Info, input: UpdateSupervisionGradeInput
    ) -> AgencyGradePayload:
        row, errors = await perform(
            info,
            lambda s, a: supervision.scorecards.update_grade(
                s, a, input.grade, min_score=input.min_score
            ),
        )
        grade = (
            SupervisionGrade(grade=row.grade, min_score=Decimal(row.min_score))  # type: ignore[attr-defined]
            if row
            else None
        )
        return AgencyGradePayload(grade=grade, user_errors=errors)

    @strawberry.mutation(
        description="Art. 35: the data authority runs the detectors; new findings are recorded "
        "(one ledger entry for the sweep) and rectifications past their deadline escalate. "
        "userErrors codes: RECTIFICATION_STATUS_INVALID."
    )
    async def detect_findings(self, info: Info) -> DetectFindingsPayload:
        sweep, errors = await perform(info, lambda s, a: supervision.detect_findings(s, a))
        if sweep is None:
            return DetectFindingsPayload(user_errors=errors)
        return DetectFindingsPayload(
            findings=[Finding.from_row(f) for f in sweep.findings],
            escalated=[Rectification.from_row(r) for r in sweep.escalated],
            ledger_seq=sweep.ledger_seq,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Art. 35: the data authority orders an agency to rectify findings within "
        "`workingDays` working days. userErrors codes: WORKING_DAYS_INVALID, "
        "INSTRUCTIONS_REQUIRED, FINDINGS_REQUIRED, AGENCY_NOT_FOUND, FINDING_NOT_FOUND, "
        "FINDING_ALREADY_ORDERED, ID_INVALID, TIME_ZONE_REQUIRED, YEAR_OUT_OF_RANGE."
    )
    async def order_rectification(
        self, info: Info, input: OrderRectificationInput
    ) -> RectificationPayload:
        order = supervision.RectificationOrder(
            agency_id=uuid_of(input.agency_id, "Organization"),
            finding_ids=tuple(uuid_of(f, "Finding") for f in input.finding_ids),
            working_days=input.working_days,
            instructions=input.instructions,
        )
        return await _rectification(info, lambda s, a: supervision.order_rectification(s, a, order))

    @strawberry.mutation(
        description="Art. 35: the agency reports what it did, with evidence. userErrors codes: "
        "RECTIFICATION_NOT_FOUND, RECTIFICATION_STATUS_INVALID, EVIDENCE_REQUIRED, ID_INVALID."
    )
    async def report_rectification(
        self, info: Info, input: ReportRectificationInput
    ) -> RectificationPayload:
        return await _rectification(
            info,
            lambda s, a: supervision.report_rectification(
                s, a, uuid_of(input.id, "Rectification"), evidence=input.evidence
            ),
        )

    @strawberry.mutation(
        description="Art. 35: the data authority accepts a reported rectification (closed) or "
        "reopens it with its reason. userErrors codes: RECTIFICATION_NOT_FOUND, "
        "RECTIFICATION_STATUS_INVALID, REASON_REQUIRED, ID_INVALID."
    )
    async def decide_rectification(
        self, info: Info, input: DecideRectificationInput
    ) -> RectificationPayload:
        return await _rectification(
            info,
            lambda s, a: supervision.decide_rectification(
                s, a, uuid_of(input.id, "Rectification"), accept=input.accept, reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="Art. 33, 35: escalate every rectification past its deadline to the "
        "superior government (role oversight). Data authority only. userErrors codes: "
        "RECTIFICATION_STATUS_INVALID."
    )
    async def escalate_overdue_rectifications(self, info: Info) -> EscalationPayload:
        rows, errors = await perform(
            info, lambda s, a: supervision.escalate_overdue_rectifications(s, a)
        )
        return EscalationPayload(
            escalated=[Rectification.from_row(r) for r in rows] if rows is not None else None,  # type: ignore[union-attr]
            user_errors=errors,
        )
