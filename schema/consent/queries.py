"""GraphQL for consents, data uses and complaints: the queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

import consent
from core.pagination import Page
from schema.consent.enums import ComplaintStatusEnum, ConsentStatusEnum
from schema.consent.types import Complaint, Consent, DataSubject, DataUse
from schema.context import Info
from schema.relay import (
    Connection,
    page_connection,
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
    return await page_connection(
        info,
        lambda session, actor: list_consents(
            session, actor, status=status, first=first, after=after
        ),
        Consent.from_row,
        prefetch={
            "grantee": ("organization", lambda r: r.grantee_id),
            "items": ("consent_items", lambda r: r.id),
        },
    )


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
        return await page_connection(
            info,
            lambda session, actor: consent.list_my_data_uses(
                session, actor, first=first, after=after
            ),
            DataUse.from_row,
        )

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
        return await page_connection(
            info,
            lambda session, actor: consent.list_my_complaints(
                session, actor, first=first, after=after
            ),
            Complaint.from_row,
        )

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
        return await page_connection(
            info,
            lambda session, actor: consent.list_complaints(
                session, actor, status=status, overdue=overdue, first=first, after=after
            ),
            Complaint.from_row,
        )
