"""GraphQL for consents, data uses and complaints: the input types."""

from __future__ import annotations

from datetime import datetime

import strawberry

import consent
from schema.consent.enums import CertificateTypeEnum, ComplaintOutcomeEnum, ConsentModeEnum


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
