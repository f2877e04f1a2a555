"""GraphQL for the registry: data items and their source departments (Art. 8)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

import registry
from core.identity import require
from schema.context import Info
from schema.dataloaders import load_then
from schema.errors import UserErrorType, perform
from schema.organizations import Organization, from_row
from schema.relay import Connection, Node, connection, from_global_id, node_type, to_global_id


@strawberry.type(description="A kind of data and its one source department (Art. 8).")
class DataItem(Node):
    code: str
    name: str
    legal_basis: str
    claimed_at: datetime
    source_department_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The agency legally responsible for collecting it.")
    def source_department(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.source_department_id, from_row)

    @classmethod
    def from_row(cls, row: registry.DataItem) -> DataItem:
        return cls(
            id=to_global_id("DataItem", row.id),
            code=row.code,
            name=row.name,
            legal_basis=row.legal_basis,
            claimed_at=row.claimed_at,
            source_department_id=row.source_department_id,
        )


@node_type("DataItem")
async def load_data_item(info: Info, row_id: uuid.UUID) -> DataItem | None:
    require(info.context.actor)
    async with info.context.db.read() as session:
        (row,) = await registry.get_items(session, [row_id])
    return DataItem.from_row(row) if row else None


@strawberry.type
class Query:
    @strawberry.field(description="One data item by its code. Needs a token.")
    async def data_item(self, info: Info, code: str) -> DataItem | None:
        require(info.context.actor)
        async with info.context.db.read() as session:
            row = await registry.find_item(session, code)
        return DataItem.from_row(row) if row else None

    @strawberry.field(
        description="Data items by code; one agency's collection list with `sourceDepartment`. "
        "Needs a token."
    )
    async def data_items(
        self,
        info: Info,
        source_department: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[DataItem]:
        require(info.context.actor)
        owner = from_global_id(source_department, "Organization")[1] if source_department else None
        async with info.context.db.read() as session:
            page = await registry.list_items(
                session, source_department_id=owner, first=first, after=after
            )
        return connection(page, DataItem.from_row)


@strawberry.input
class ClaimDataItemInput:
    code: str
    name: str
    legal_basis: str = strawberry.field(description="The law that makes you collect this data.")


@strawberry.input
class TransferDataItemInput:
    code: str
    to_organization: strawberry.ID
    reason: str


@strawberry.type
class DataItemPayload:
    data_item: DataItem | None = None
    user_errors: list[UserErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Become the source department of a data item (Art. 8). Agency only. "
        "userErrors codes: DATA_ITEM_ALREADY_CLAIMED (names the holder), DATA_ITEM_CODE_INVALID, "
        "NAME_INVALID, LEGAL_BASIS_REQUIRED, ORGANIZATION_REQUIRED."
    )
    async def claim_data_item(self, info: Info, input: ClaimDataItemInput) -> DataItemPayload:
        row, errors = await perform(
            info,
            lambda session, actor: registry.claim_data_item(
                session, actor, code=input.code, name=input.name, legal_basis=input.legal_basis
            ),
        )
        return DataItemPayload(
            data_item=DataItem.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Move a data item to another source department, with a reason. Data "
        "authority only. userErrors codes: DATA_ITEM_NOT_FOUND, SOURCE_DEPARTMENT_INVALID, "
        "DATA_ITEM_SAME_OWNER, REASON_REQUIRED, ID_INVALID."
    )
    async def transfer_data_item(self, info: Info, input: TransferDataItemInput) -> DataItemPayload:
        async def transfer(session, actor):  # type: ignore[no-untyped-def]
            _, target = from_global_id(input.to_organization, "Organization")
            return await registry.transfer_data_item(
                session, actor, code=input.code, to_organization_id=target, reason=input.reason
            )

        row, errors = await perform(info, transfer)
        return DataItemPayload(
            data_item=DataItem.from_row(row) if row else None, user_errors=errors
        )
