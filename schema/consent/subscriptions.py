"""GraphQL for consents, data uses and complaints: the subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError

import consent
from core.errors import AuthError, Forbidden
from core.identity import Role, require
from schema.consent.enums import ConsentStatusEnum
from schema.context import Info
from schema.relay import (
    to_global_id,
)


@strawberry.type(description="A consent was granted or revoked.")
class ConsentEvent:
    kind: str = strawberry.field(description="GRANTED or REVOKED.")
    consent_id: strawberry.ID
    grantee_id: strawberry.ID
    status: ConsentStatusEnum
    at: datetime
    ledger_seq: int

    @classmethod
    def from_event(cls, event: consent.ConsentEvent) -> ConsentEvent:
        return cls(
            kind=event.kind,
            consent_id=to_global_id("Consent", event.consent_id),
            grantee_id=to_global_id("Organization", event.grantee_id),
            status=event.status,
            at=event.at,
            ledger_seq=event.ledger_seq,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="graphql-transport-ws: grants and revocations of consents granted to your "
        "organisation, or (data subjects) of your own consents, as they commit, from every "
        "app process (PostgreSQL LISTEN/NOTIFY). A client that was away misses what happened "
        "meanwhile: query the status for the truth."
    )
    async def consent_events(self, info: Info) -> AsyncGenerator[ConsentEvent, None]:
        try:
            actor = require(info.context.actor)
            audiences = []
            if actor.organization_id is not None:
                audiences.append(f"org:{actor.organization_id}")
            if actor.has(Role.DATA_SUBJECT):
                audiences.append(f"subject:{actor.subject}")
            if not audiences:
                raise Forbidden("Consent events go to organisations and data subjects.")
        except AuthError as exc:  # subscriptions skip ErrorPolicy: code the error here
            raise GraphQLError(str(exc), extensions={"code": exc.code}) from None
        async for event in consent.listen_events(audiences):
            yield ConsentEvent.from_event(event)
