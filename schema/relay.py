"""Relay plumbing: the `Node` interface, global IDs and keyset connections.

A global ID is base64("TypeName:uuid"), as Relay's reference server makes them. Connections
wrap a `core.pagination.Page`, so every list in the API pages the same way.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField

from core.db import AsyncSession
from core.errors import UserError
from core.identity import Principal
from core.pagination import Page
from schema.errors import Code

NodeT = TypeVar("NodeT")


@strawberry.interface(description="An object with a global ID; fetch any of them with `node`.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, row_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{row_id}".encode()).decode())


def from_global_id(global_id: str, expected: str | None = None) -> tuple[str, uuid.UUID]:
    """Decode a global ID; raise `UserError(ID_INVALID)` if it is not one of ours."""
    try:
        type_name, raw = base64.b64decode(global_id, validate=True).decode().split(":", 1)
        row_id = uuid.UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise UserError(Code.ID_INVALID, f"{global_id!r} is not a pdex ID.", "id") from exc
    if expected is not None and type_name != expected:
        raise UserError(Code.ID_INVALID, f"{global_id!r} is not the ID of a {expected}.", "id")
    return type_name, row_id


@dataclass(frozen=True)
class NodeType:
    """How `node(id)` fetches one type: through the request's loader named `loader` (rows
    as the domain's `visible_to(actor)` lets the caller see them), converted by `convert`."""

    loader: str
    convert: Callable[[Any], Any]
    public: bool = False


def uuid_of(global_id: str, type_name: str) -> uuid.UUID:
    """The row id in a global ID that must be of `type_name` (`UserError(ID_INVALID)` if not)."""
    return from_global_id(global_id, type_name)[1]


# Each domain's schema package registers its node types here (`node_type`).
NODE_TYPES: dict[str, NodeType] = {}


def node_type(
    type_name: str, loader: str, convert: Callable[[Any], Any], *, public: bool = False
) -> None:
    """Register a node type. `public`: anonymous callers may fetch it (which rows, the
    domain's `visible_to(None)` decides); for every other type an anonymous caller gets null.
    That is the one rule for anonymous callers; signed-in callers get what their domain's
    `visible_to(actor)` grants, null for the rest."""
    if type_name in NODE_TYPES:
        raise ValueError(f"node type {type_name!r} registered twice")
    NODE_TYPES[type_name] = NodeType(loader, convert, public)


async def resolve_node(info: Any, type_name: str, row_id: uuid.UUID) -> Any:
    """The one way a node is fetched by id: `node(id)` and every `thing(id)` query."""
    spec = NODE_TYPES.get(type_name)
    if spec is None or (info.context.actor is None and not spec.public):
        return None
    row = await getattr(info.context.loaders, spec.loader).load(row_id)
    return None if row is None else spec.convert(row)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection(page: Page[Any], convert: Callable[[Any], NodeT]) -> Connection[NodeT]:
    edges = [
        Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
    )


def selected_node_fields(info: Any) -> set[str]:
    """The fields asked for on this connection's nodes (`edges { node }` or `nodes`), looked
    through fragments: a list resolver uses it to fetch, in its own session, the relations it
    knows will be read. Directives are ignored; fetching a skipped relation is only waste."""

    def children(selections: Any) -> Any:
        for selection in selections:
            if isinstance(selection, SelectedField):
                yield selection
            else:  # a fragment spread or an inline fragment
                yield from children(selection.selections)

    names: set[str] = set()
    for connection_field in info.selected_fields:
        for field in children(connection_field.selections):
            if field.name == "nodes":
                names.update(f.name for f in children(field.selections))
            elif field.name == "edges":
                for node in children(field.selections):
                    if node.name == "node":
                        names.update(f.name for f in children(node.selections))
    return names


RowT = TypeVar("RowT")
# node field -> (the request loader that fetches it, the loader's key for one row of the page)
Prefetch = dict[str, tuple[str, Callable[[Any], Any]]]


async def page_connection(
    info: Any,
    list_page: Callable[[AsyncSession, Principal | None], Awaitable[Page[RowT]]],
    convert: Callable[[RowT], NodeT],
    prefetch: Prefetch | None = None,
) -> Connection[NodeT]:
    """The one way a list resolver pages: `list_page(session, actor)` (a domain's `list_*`) in
    one read session, then, in that same session, the relations the query will read
    (`prefetch`, by the node fields selected: no second session, no N+1)."""
    wanted = selected_node_fields(info) if prefetch else set()
    loaders = info.context.loaders
    async with info.context.db.read() as session:
        page = await list_page(session, info.context.actor)
        for field, (loader, key) in (prefetch or {}).items():
            if field in wanted:
                await getattr(loaders, loader).prefetch(session, [key(row) for row in page.items])
    return connection(page, convert)
