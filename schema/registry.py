"""GraphQL for the registry: data items (Art. 8) and the resource catalogue (Art. 9-18)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

import registry
from core.clock import now
from core.errors import UserError
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
    sensitive_personal: bool = strawberry.field(
        description="Sensitive personal information (PIPL Art. 28): consents covering it must "
        "be separate consents (Art. 29)."
    )
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
            sensitive_personal=row.sensitive_personal,
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
    sensitive_personal: bool = strawberry.field(
        default=False,
        description="Sensitive personal information (PIPL Art. 28: biometrics, religion, "
        "specific identity, medical health, financial accounts, whereabouts, minors' data).",
    )


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
                session,
                actor,
                code=input.code,
                name=input.name,
                legal_basis=input.legal_basis,
                sensitive_personal=input.sensitive_personal,
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


ShareTypeEnum = strawberry.enum(registry.ShareType, name="ShareType", description="Art. 14.")
OpenTypeEnum = strawberry.enum(registry.OpenType, name="OpenType", description="Art. 18.")
DeliveryEnum = strawberry.enum(registry.Delivery, name="Delivery", description="Art. 10.")
UpdateFrequencyEnum = strawberry.enum(
    registry.UpdateFrequency, name="UpdateFrequency", description="Art. 11."
)
SensitivityEnum = strawberry.enum(registry.Sensitivity, name="Sensitivity")


@strawberry.type(description="One version of a resource: what changed, when and by whom.")
class ResourceChange:
    version: int
    changed_at: datetime
    change: JSON
    changed_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    def changed_by(self, info: Info) -> Organization | None:
        if self.changed_by_id is None:
            return None
        return load_then(info.context.loaders.organization, self.changed_by_id, from_row)


@strawberry.type(description="An entry of an agency's resource catalogue (Art. 9-11, 14, 18).")
class Resource(Node):
    code: str
    name: str
    description: str
    share_type: ShareTypeEnum
    share_conditions: str
    share_legal_basis: str
    open_type: OpenTypeEnum
    delivery: DeliveryEnum
    update_frequency: UpdateFrequencyEnum
    sensitivity: SensitivityEnum
    contains_personal_info: bool
    last_updated_at: datetime | None
    version: int
    created_at: datetime
    owner_id: strawberry.Private[uuid.UUID]
    row_id: strawberry.Private[uuid.UUID]
    stale_after: strawberry.Private[datetime | None]

    @strawberry.field(description="Art. 11: not refreshed within its update frequency.")
    def is_stale(self) -> bool:
        return registry.is_stale(self.stale_after, now())

    @strawberry.field(description="The agency that keeps this entry.")
    def owner(self, info: Info) -> Organization | None:
        return load_then(info.context.loaders.organization, self.owner_id, from_row)

    @strawberry.field
    async def data_items(self, info: Info) -> list[DataItem]:
        rows = await info.context.loaders.resource_items.load(self.row_id)
        return [DataItem.from_row(r) for r in rows]

    @strawberry.field(description="Every version, oldest first.")
    async def history(self, info: Info) -> list[ResourceChange]:
        rows = await info.context.loaders.resource_history.load(self.row_id)
        return [
            ResourceChange(
                version=r.version,
                changed_at=r.changed_at,
                change=json.loads(r.change),
                changed_by_id=r.changed_by_id,
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: registry.Resource) -> Resource:
        return cls(
            id=to_global_id("Resource", row.id),
            code=row.code,
            name=row.name,
            description=row.description,
            share_type=row.share_type,
            share_conditions=row.share_conditions,
            share_legal_basis=row.share_legal_basis,
            open_type=row.open_type,
            delivery=row.delivery,
            update_frequency=row.update_frequency,
            sensitivity=row.sensitivity,
            contains_personal_info=row.contains_personal_info,
            last_updated_at=row.last_updated_at,
            version=row.version,
            created_at=row.created_at,
            owner_id=row.owner_id,
            row_id=row.id,
            stale_after=row.stale_after,
        )


def _resource_or_none(row: registry.Resource | None) -> Resource | None:
    return Resource.from_row(row) if row else None


def resource_of(
    info: Info, row_id: uuid.UUID | None
) -> Resource | None | Awaitable[Resource | None]:
    """A resource as the caller may see it, through the request's loader (one statement for
    every resource a page refers to)."""
    if row_id is None:
        return None
    return load_then(info.context.loaders.resource, row_id, _resource_or_none)


@node_type("Resource")
async def load_resource(info: Info, row_id: uuid.UUID) -> Resource | None:
    return _resource_or_none(await info.context.loaders.resource.load(row_id))


@strawberry.input
class ResourceFilterInput:
    owner: strawberry.ID | None = None
    share_type: ShareTypeEnum | None = None
    open_type: OpenTypeEnum | None = None
    stale: bool | None = None
    text: str | None = None


@strawberry.type
class ResourceQuery:
    @strawberry.field(
        description="One catalogue entry. Without a token only OPEN entries are visible."
    )
    async def resource(self, info: Info, id: strawberry.ID) -> Resource | None:
        return await load_resource(info, from_global_id(id, "Resource")[1])

    @strawberry.field(
        description="The catalogue by code. Without a token: the open catalogue (OPEN only); "
        "agencies, the authority and auditors see every entry; others all but NOT_OPEN."
    )
    async def resources(
        self,
        info: Info,
        filter: ResourceFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Resource]:
        f = filter or ResourceFilterInput()
        where = registry.ResourceFilter(
            owner_id=from_global_id(f.owner, "Organization")[1] if f.owner else None,
            share_type=f.share_type,
            open_type=f.open_type,
            stale=f.stale,
            text=f.text,
        )
        async with info.context.db.read() as session:
            page = await registry.list_resources(
                session, info.context.actor, where, first=first, after=after
            )
        return connection(page, Resource.from_row)


@strawberry.input
class CreateResourceInput:
    code: str
    name: str
    description: str = ""
    share_type: ShareTypeEnum
    share_conditions: str = ""
    share_legal_basis: str = ""
    open_type: OpenTypeEnum
    delivery: DeliveryEnum
    update_frequency: UpdateFrequencyEnum
    sensitivity: SensitivityEnum
    contains_personal_info: bool
    data_items: list[str] = strawberry.field(
        default_factory=list, description="Codes of data items your agency has claimed."
    )


@strawberry.input(description="Only the fields given change; the whole entry is re-checked.")
class UpdateResourceInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    share_type: ShareTypeEnum | None = strawberry.UNSET
    share_conditions: str | None = strawberry.UNSET
    share_legal_basis: str | None = strawberry.UNSET
    open_type: OpenTypeEnum | None = strawberry.UNSET
    delivery: DeliveryEnum | None = strawberry.UNSET
    update_frequency: UpdateFrequencyEnum | None = strawberry.UNSET
    sensitivity: SensitivityEnum | None = strawberry.UNSET
    contains_personal_info: bool | None = strawberry.UNSET
    data_items: list[str] | None = strawberry.UNSET


@strawberry.input
class RecordResourceUpdateInput:
    id: strawberry.ID
    updated_at: datetime


@strawberry.type
class ResourcePayload:
    resource: Resource | None = None
    user_errors: list[UserErrorType]


RESOURCE_CODES = (
    "RESOURCE_CODE_INVALID, RESOURCE_CODE_TAKEN, NAME_INVALID, DESCRIPTION_TOO_LONG, "
    "SHARE_CONDITIONS_REQUIRED, SHARE_LEGAL_BASIS_REQUIRED, OPEN_TYPE_NOT_ALLOWED, "
    "DATA_ITEM_NOT_FOUND, DATA_ITEM_NOT_OWNED"
)


def _payload(row: registry.Resource | None, errors: list[UserErrorType]) -> ResourcePayload:
    return ResourcePayload(resource=Resource.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class ResourceMutation:
    @strawberry.mutation(
        description="Catalogue a resource (Art. 9). Agency only. "
        f"userErrors codes: {RESOURCE_CODES}."
    )
    async def create_resource(self, info: Info, input: CreateResourceInput) -> ResourcePayload:
        fields = registry.ResourceFields(
            code=input.code,
            name=input.name,
            description=input.description,
            share_type=input.share_type,
            share_conditions=input.share_conditions,
            share_legal_basis=input.share_legal_basis,
            open_type=input.open_type,
            delivery=input.delivery,
            update_frequency=input.update_frequency,
            sensitivity=input.sensitivity,
            contains_personal_info=input.contains_personal_info,
            data_items=tuple(input.data_items),
        )
        row, errors = await perform(
            info, lambda session, actor: registry.create_resource(session, actor, fields)
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="Change a catalogue entry; a new version is recorded. Owning agency only. "
        f"userErrors codes: RESOURCE_NOT_FOUND, FIELD_REQUIRED, {RESOURCE_CODES}."
    )
    async def update_resource(self, info: Info, input: UpdateResourceInput) -> ResourcePayload:
        changes = {
            name: getattr(input, name)
            for name in registry.ResourceFields.__dataclass_fields__
            if getattr(input, name) is not strawberry.UNSET
        }
        if "data_items" in changes and changes["data_items"] is not None:
            changes["data_items"] = tuple(changes["data_items"])

        async def update(session, actor):  # type: ignore[no-untyped-def]
            nulls = [name for name, value in changes.items() if value is None]
            if nulls:
                raise UserError(
                    "FIELD_REQUIRED", "Omit a field to keep it; null is not a value.", nulls[0]
                )
            return await registry.update_resource(
                session, actor, from_global_id(input.id, "Resource")[1], changes
            )

        row, errors = await perform(info, update)
        return _payload(row, errors)

    @strawberry.mutation(
        description="Art. 11: the data was refreshed at `updatedAt`. Owning agency only. "
        "userErrors codes: RESOURCE_NOT_FOUND, TIME_ZONE_REQUIRED, UPDATED_IN_FUTURE, "
        "UPDATE_OUT_OF_ORDER."
    )
    async def record_resource_update(
        self, info: Info, input: RecordResourceUpdateInput
    ) -> ResourcePayload:
        row, errors = await perform(
            info,
            lambda session, actor: registry.record_resource_update(
                session, actor, from_global_id(input.id, "Resource")[1], input.updated_at
            ),
        )
        return _payload(row, errors)
