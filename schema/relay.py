"""Relay plumbing: the `Node` interface, global IDs and keyset connections.

A global ID is base64("TypeName:uuid"), as Relay's reference server makes them. Connections
wrap a `core.pagination.Page`, so every list in the API pages the same way.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField

from core.errors import UserError
from core.pagination import Page

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
        raise UserError("ID_INVALID", f"{global_id!r} is not a pdex ID.", "id") from exc
    if expected is not None and type_name != expected:
        raise UserError("ID_INVALID", f"{global_id!r} is not the ID of a {expected}.", "id")
    return type_name, row_id


# Each schema module registers how to fetch its node types by id (for `Query.node`).
NodeResolver = Callable[[Any, uuid.UUID], Awaitable[Node | None]]
NODE_RESOLVERS: dict[str, NodeResolver] = {}


def node_type(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    def register(resolver: NodeResolver) -> NodeResolver:
        NODE_RESOLVERS[type_name] = resolver
        return resolver

    return register


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
