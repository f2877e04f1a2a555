"""GraphQL for data items, the resource catalogue and public data assets: the queries."""

from __future__ import annotations

from typing import Any

import strawberry

import registry
from core.identity import require
from schema import compiled
from schema.context import Info
from schema.registry.inputs import AssetFilterInput, ResourceFilterInput
from schema.registry.types import Asset, DataItem, Resource
from schema.relay import (
    Connection,
    page_connection,
    resolve_node,
    uuid_of,
)


@strawberry.type
class DataItemQuery:
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
        owner = uuid_of(source_department, "Organization") if source_department else None
        return await page_connection(
            info,
            lambda session, _: registry.list_items(
                session, source_department_id=owner, first=first, after=after
            ),
            DataItem.from_row,
        )


# `dataItems` compiled (schema.compiled): the listing `registry.list_items` pages.
compiled.connection(
    "dataItems",
    node="DataItem",
    signed_in=True,  # as `require(info.context.actor)` above
    arguments=("sourceDepartment", "first", "after"),
    listing=lambda _actor, args: registry.item_listing(
        uuid_of(args["sourceDepartment"], "Organization") if args.get("sourceDepartment") else None
    ),
)


@strawberry.type
class ResourceQuery:
    @strawberry.field(
        description="One catalogue entry. Without a token only OPEN entries are visible."
    )
    async def resource(self, info: Info, id: strawberry.ID) -> Resource | None:
        return await resolve_node(info, "Resource", uuid_of(id, "Resource"))

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
        where = _resource_filter(
            owner=f.owner,
            share_type=f.share_type,
            open_type=f.open_type,
            stale=f.stale,
            text=f.text,
        )
        return await page_connection(
            info,
            lambda session, actor: registry.list_resources(
                session, actor, where, first=first, after=after
            ),
            Resource.from_row,
        )


compiled.by_id("resource", type_name="Resource")  # compiled as `node(id)`


def _resource_filter(
    *,
    owner: str | None = None,
    share_type: Any = None,
    open_type: Any = None,
    stale: bool | None = None,
    text: str | None = None,
) -> registry.ResourceFilter:
    return registry.ResourceFilter(
        owner_id=uuid_of(owner, "Organization") if owner else None,
        share_type=share_type,
        open_type=open_type,
        stale=stale,
        text=text,
    )


def _coerced_resource_filter(values: dict[str, Any]) -> registry.ResourceFilter:
    """`_resource_filter` of a coerced `ResourceFilterInput` (GraphQL's names)."""
    return _resource_filter(
        owner=values.get("owner"),
        share_type=values.get("shareType"),
        open_type=values.get("openType"),
        stale=values.get("stale"),
        text=values.get("text"),
    )


# `resources` compiled (schema.compiled): the listing `registry.list_resources` pages.
compiled.connection(
    "resources",
    node="Resource",
    signed_in=False,  # the open catalogue is public (Art. 18)
    arguments=("filter", "first", "after"),
    listing=lambda actor, args: registry.resource_listing(
        actor, _coerced_resource_filter(args.get("filter") or {})
    ),
)


@strawberry.type
class AssetQuery:
    @strawberry.field(
        description="One asset. Drafts are the holder's; registered assets are "
        "public; the rest need a token."
    )
    async def asset(self, info: Info, id: strawberry.ID) -> Asset | None:
        return await resolve_node(info, "Asset", uuid_of(id, "Asset"))

    @strawberry.field(description="Assets, oldest first, as visible to you (see `asset`).")
    async def assets(
        self,
        info: Info,
        filter: AssetFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Asset]:
        f = filter or AssetFilterInput()
        where = _asset_filter(kind=f.kind, status=f.status, text=f.text, holder=f.holder)
        return await page_connection(
            info,
            lambda session, actor: registry.list_assets(
                session, actor, where, first=first, after=after
            ),
            Asset.from_row,
            prefetch={
                "holder": ("organization", lambda r: r.holder_id),
                "sources": ("asset_sources", lambda r: r.id),
                "currentValuation": ("asset_current_valuation", lambda r: r.id),
            },
        )


compiled.by_id("asset", type_name="Asset")  # compiled as `node(id)`


def _asset_filter(
    *, kind: Any = None, status: Any = None, text: str | None = None, holder: str | None = None
) -> registry.AssetFilter:
    return registry.AssetFilter(
        kind=kind,
        status=status,
        text=text,
        holder_id=uuid_of(holder, "Organization") if holder else None,
    )


# `assets` compiled (schema.compiled): the listing `registry.list_assets` pages.
compiled.connection(
    "assets",
    node="Asset",
    signed_in=False,
    arguments=("filter", "first", "after"),
    listing=lambda actor, args: registry.asset_listing(
        actor, _asset_filter(**(args.get("filter") or {}))
    ),
)
