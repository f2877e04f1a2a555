"""GraphQL for consents, data uses and complaints: the mutations and their payloads."""

from __future__ import annotations

import uuid

import strawberry

import consent
from consent import Code
from core.db import AsyncSession
from core.errors import Code as CoreCode
from core.identity import Principal
from schema.consent.inputs import (
    AssignComplaintInput,
    AuthorizeDataUseInput,
    FileComplaintInput,
    GrantConsentInput,
    ResolveComplaintInput,
    RevokeConsentInput,
    UpdateMyIdentityInput,
)
from schema.consent.types import Complaint, Consent, DataSubject, DataUse
from schema.context import Info
from schema.errors import Code as ApiCode
from schema.errors import UserErrorType, payload, perform, with_codes
from schema.relay import (
    from_global_id,
    uuid_of,
)


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
    return await payload(info, use_case, ConsentPayload, consent=Consent.from_row)


async def _complaint_payload(info: Info, use_case: object) -> ComplaintPayload:
    return await payload(info, use_case, ComplaintPayload, complaint=Complaint.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=with_codes(
            "Data subjects: set your display name and resident ID.",
            Code.NAME_TOO_LONG,
            Code.RESIDENT_ID_INVALID,
            Code.RESIDENT_ID_IN_USE,
            Code.RESIDENT_ID_NOT_APPLICABLE,
        )
    )
    async def update_my_identity(
        self, info: Info, input: UpdateMyIdentityInput
    ) -> DataSubjectPayload:
        key = consent.identity_key(info.context.settings)
        return await payload(
            info,
            lambda s, a: consent.update_my_identity(
                s, a, display_name=input.display_name, resident_id=input.resident_id, key=key
            ),
            DataSubjectPayload,
            data_subject=DataSubject.from_row,
        )

    @strawberry.mutation(
        description=with_codes(
            "Data subjects: authorise an organisation.",
            Code.PURPOSE_REQUIRED,
            Code.SCENARIO_TOO_LONG,
            Code.SCOPE_REQUIRED,
            Code.SCOPE_TOO_LARGE,
            Code.SCOPE_DUPLICATE,
            Code.TIME_ZONE_REQUIRED,
            Code.VALID_FROM_PAST,
            Code.VALIDITY_INVALID,
            Code.VALIDITY_TOO_LONG,
            Code.FREQUENCY_REQUIRED,
            Code.FREQUENCY_NOT_ALLOWED,
            Code.MAX_USES_INVALID,
            Code.USES_PER_PERIOD_NOT_ALLOWED,
            Code.USES_PER_PERIOD_INVALID,
            Code.DATA_LIFE_INVALID,
            Code.GRANTEE_NOT_FOUND,
            Code.DATA_ITEM_NOT_FOUND,
            Code.SEPARATE_CONSENT_REQUIRED,
            ApiCode.ID_INVALID,
        )
    )
    async def grant_consent(self, info: Info, input: GrantConsentInput) -> ConsentPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> consent.Consent:
            fields = consent.GrantFields(
                grantee_id=uuid_of(input.grantee, "Organization"),
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
        description=with_codes(
            (
                "Data subjects: revoke one of your consents, at once, for every use that "
                "starts after it."
            ),
            Code.CONSENT_NOT_FOUND,
            Code.CONSENT_REVOKED,
            Code.REASON_TOO_LONG,
            ApiCode.ID_INVALID,
        )
    )
    async def revoke_consent(self, info: Info, input: RevokeConsentInput) -> ConsentPayload:
        return await _consent_payload(
            info,
            lambda s, a: consent.revoke_consent(
                s, a, _uuid(input.consent_id, "Consent"), reason=input.reason
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            (
                "The gate before any use of a subject's data: ALLOWED or DENIED with a "
                "reason, recorded either way (a denial is a result, not an error)."
            ),
            Code.ITEM_INVALID,
            Code.PURPOSE_REQUIRED,
            Code.ORGANIZATION_REQUIRED,
            Code.CONSENT_NOT_FOUND,
            ApiCode.ID_INVALID,
        )
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
        description=with_codes(
            "Data subjects: complain to the data authority; due in 15 working days.",
            Code.TEXT_REQUIRED,
            Code.ORGANIZATION_NOT_FOUND,
            Code.CONSENT_NOT_FOUND,
            Code.USE_NOT_FOUND,
            ApiCode.ID_INVALID,
            CoreCode.TIME_ZONE_REQUIRED,
            CoreCode.WORKING_DAYS_INVALID,
            CoreCode.YEAR_OUT_OF_RANGE,
            after=(
                " Never refused for the calendar: a due date in a year without its official "
                "holiday arrangement is provisional (dueProvisional)."
            ),
        )
    )
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> ComplaintPayload:
        async def use_case(session: AsyncSession, actor: Principal | None) -> consent.Complaint:
            fields = consent.ComplaintFields(
                against_id=uuid_of(input.against_organization, "Organization"),
                text=input.text,
                consent_id=_uuid(input.consent_id, "Consent"),
                use_id=_uuid(input.use_id, "DataUse"),
            )
            return await consent.file_complaint(session, actor, fields)

        return await _complaint_payload(info, use_case)

    @strawberry.mutation(
        description=with_codes(
            "The data authority: assign (or reassign) a complaint.",
            Code.ASSIGNEE_REQUIRED,
            Code.COMPLAINT_NOT_FOUND,
            Code.COMPLAINT_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def assign_complaint(self, info: Info, input: AssignComplaintInput) -> ComplaintPayload:
        return await _complaint_payload(
            info,
            lambda s, a: consent.assign_complaint(
                s, a, _uuid(input.complaint_id, "Complaint"), assignee=input.assignee
            ),
        )

    @strawberry.mutation(
        description=with_codes(
            "The data authority: UPHELD or REJECTED, with the resolution.",
            Code.RESOLUTION_REQUIRED,
            Code.COMPLAINT_NOT_FOUND,
            Code.COMPLAINT_STATUS_INVALID,
            ApiCode.ID_INVALID,
        )
    )
    async def resolve_complaint(self, info: Info, input: ResolveComplaintInput) -> ComplaintPayload:
        return await _complaint_payload(
            info,
            lambda s, a: consent.resolve_complaint(
                s, a, _uuid(input.complaint_id, "Complaint"), outcome=input.outcome,
                resolution=input.resolution,
            ),
        )  # fmt: skip
