"""Compiled reads (issue 14 item 2): a covered query is answered by one SQL statement per
root field that builds its JSON in the database (`core.jsonread`), without graphql-core's
per-field completion or ORM objects.

Each domain's schema package describes, beside its types and resolvers:
- `shape(name, model, fields)`: how an object type reads off its table (`core.jsonread`'s
  `Column`, `GlobalId`, `Holds`, `ToOne`, `ToMany` (`Via` a link table), `Latest`, `SameRow`);
- `connection(field, node=..., listing=...)`: which root connection field pages which domain
  `Listing` (the same statement, visibility and keyset order its resolver pages);
- `node(type, visible=...)`: that `node(id)` may read the type by ID, under the predicate its
  loader's batch getter applies; `by_id(field)`: which root fields answer `resolve_node` of
  their `id` (`node`, `asset`, …), each an ID's one row or null.

`CompiledReads`, a schema extension that runs after the input sanitizer, plans each
(document, operation) once — cached beside the parse and validation caches, a refusal
cached too — and runs the plan instead of graphql-core when every root field of a query is
covered. Anything else — an uncovered field or argument, a directive, a mutation or
subscription, a caller the resolver would refuse, a bad cursor or page size, variables that
do not coerce — runs through the resolvers unchanged, so errors come from one place.
Connections: `edges { cursor node }`, `nodes`, `pageInfo`, `__typename` at every level,
aliases and fragments; by ID, inline fragments on the node types (an ID of a type the
selection does not cover goes to the resolvers). Cursors are made in Python by the one
cursor encoder (from the sort key and id the statement returns); everything under `node`
comes from the database as JSON.
`PDEX_COMPILED_READS=0` turns it off.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from core.errors import UserError
from core.identity import Principal
from core.jsonread import (
    Column,
    GlobalId,
    Holds,
    Latest,
    NotCompiled,
    SameRow,
    Selection,
    Shape,
    ToMany,
    ToOne,
    Via,
    node_json,
    now_parameter,
    page_rows,
    row_by_id,
)
from core.pagination import Listing
from schema.relay import NODE_TYPES, from_global_id

__all__ = [
    "Column",
    "CompiledReads",
    "GlobalId",
    "Holds",
    "Latest",
    "PlanCache",
    "SameRow",
    "ToMany",
    "ToOne",
    "Via",
    "by_id",
    "connection",
    "node",
    "now_parameter",
    "shape",
]

log = logging.getLogger(__name__)

SHAPES: dict[str, Shape] = {}


@dataclass(frozen=True)
class RootConnection:
    node: str  # the shape of its nodes
    listing: Callable[[Principal | None, dict[str, Any]], Listing]
    signed_in: bool  # the resolver refuses anonymous callers (`require(actor)`)
    arguments: frozenset[str]


ROOTS: dict[str, RootConnection] = {}


@dataclass(frozen=True)
class NodeKind:
    """How `node(id)` (and `thing(id)`) reads one node type by id: the rows of its table
    `visible(actor)` lets the caller see, the same predicate as its loader's batch getter."""

    visible: Callable[[Principal | None], Any] | None


NODES: dict[str, NodeKind] = {}


@dataclass(frozen=True)
class RootById:
    type_name: str | None  # the one type its `id` must be of; None: any node (`node`)
    signed_in: bool  # the resolver refuses anonymous callers (`require(actor)`)


BY_ID: dict[str, RootById] = {}


def shape(name: str, model: Any, fields: Mapping[str, Any]) -> None:
    """Describe how the GraphQL object type `name` reads off `model`'s table."""
    if name in SHAPES:
        raise ValueError(f"shape {name!r} described twice")
    SHAPES[name] = Shape(name, model, dict(fields))


def connection(
    field_name: str,
    *,
    node: str,
    listing: Callable[[Principal | None, dict[str, Any]], Listing],
    signed_in: bool,
    arguments: Iterable[str] = ("first", "after"),
) -> None:
    """Compile the root connection `field_name` (its GraphQL name): `listing(actor, args)` is
    the domain listing its resolver pages (`args`: the field's coerced arguments, `first` and
    `after` included)."""
    if field_name in ROOTS:
        raise ValueError(f"root connection {field_name!r} described twice")
    ROOTS[field_name] = RootConnection(node, listing, signed_in, frozenset(arguments))


def node(type_name: str, *, visible: Callable[[Principal | None], Any] | None = None) -> None:
    """Compile `node(id)` for the node type `type_name` (described by `shape`): `visible(actor)`
    is the predicate its loader's batch getter applies (None: every row, as an unfiltered
    loader). Anonymous callers get null unless the type is `public` (`schema.relay`)."""
    if type_name in NODES:
        raise ValueError(f"node {type_name!r} described twice")
    NODES[type_name] = NodeKind(visible)


def by_id(field_name: str, *, type_name: str | None = None, signed_in: bool = False) -> None:
    """Compile the root field `field_name(id: ID!)` that answers `resolve_node` of the ID:
    of any node type (`node`) or of `type_name` only (`asset(id)`)."""
    if field_name in BY_ID:
        raise ValueError(f"root field {field_name!r} described twice")
    BY_ID[field_name] = RootById(type_name, signed_in)


# The connection part of a response, built in Python around the JSON nodes:
# (response key, what, detail): what is "typename" (detail: the name), "edges" (detail: a
# list of (key, "cursor" | "node" | "typename", node column or type name)), "nodes"
# (detail: node column), "pageInfo" (detail: a list of (key, pageInfo field or typename)).
Envelope = list[tuple[str, str, Any]]


@dataclass
class RootPlan:
    key: str
    spec: RootConnection
    field_def: Any
    field_node: FieldNode
    envelope: Envelope
    selections: list[Selection]
    columns: dict[str, list[Any]] = field(default_factory=dict)  # by dialect, built once

    def nodes(self, dialect: str) -> list[Any]:
        built = self.columns.get(dialect)
        if built is None:
            built = [node_json(SHAPES, self.spec.node, s, dialect) for s in self.selections]
            self.columns[dialect] = built
        return built


@dataclass
class NodePlan:
    key: str
    spec: RootById
    field_def: Any
    field_node: FieldNode
    selections: dict[str, Selection | None]  # by node type; None: that type is not covered
    columns: dict[tuple[str, str], Any] = field(default_factory=dict)  # by (type, dialect)

    def node(self, type_name: str, dialect: str) -> Any:
        built = self.columns.get((type_name, dialect))
        if built is None:
            selection = self.selections[type_name]
            assert selection is not None
            built = node_json(SHAPES, type_name, selection, dialect)
            self.columns[(type_name, dialect)] = built
        return built


@dataclass
class Plan:
    operation: OperationDefinitionNode
    roots: list[tuple[str, RootPlan | NodePlan | None]]  # (key, plan), None: `__typename`


class PlanCache:
    """Plans by query text and operation name, as the parser and validation caches key
    theirs (a plan is made from the parsed, validated document on a miss); `None` where the
    operation is not covered."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def get(
        self, schema: GraphQLSchema, query: str, document: Any, operation_name: str | None
    ) -> Plan | None:
        key = (query, operation_name)
        try:
            plan = self._plans[key]
        except KeyError:
            pass
        else:
            self._plans.move_to_end(key)
            return plan
        try:
            plan = _plan(schema, document, operation_name)
        except NotCompiled as reason:
            log.debug("not compiled: %s", reason)
            plan = None
        self._plans[key] = plan
        if len(self._plans) > self.maxsize:
            self._plans.popitem(last=False)
        return plan


class _Collector:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def fields(
        self, type_: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, tuple[str, list[FieldNode]]]:
        """Fields by response key, through fragments, merged as GraphQL merges them."""
        out: dict[str, tuple[str, list[FieldNode]]] = {}

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if selection.directives:
                    raise NotCompiled("directive")
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    if key in out:
                        out[key][1].append(selection)
                    else:
                        out[key] = (selection.name.value, [selection])
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition, type_):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is None:
                        raise NotCompiled("fragment")
                    if fragment.directives:
                        raise NotCompiled("directive")
                    if self.applies(fragment.type_condition, type_):
                        walk(fragment.selection_set)

        for selection_set in selection_sets:
            walk(selection_set)
        return out

    def applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is type_:
            return True
        return is_abstract_type(named) and self.schema.is_sub_type(named, type_)  # type: ignore[arg-type]

    @staticmethod
    def sub(nodes: list[FieldNode]) -> list[SelectionSetNode]:
        return [n.selection_set for n in nodes if n.selection_set is not None]


def _object(type_: Any) -> GraphQLObjectType:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        raise NotCompiled(str(named))
    return named


def _node_selection(
    collect: _Collector, shape_name: str, type_: GraphQLObjectType, sets: list[SelectionSetNode]
) -> Selection:
    shape_ = SHAPES.get(shape_name)
    if shape_ is None or type_.name != shape_name:
        raise NotCompiled(shape_name)
    out: list[tuple[str, str, Selection | None]] = []
    for key, (name, nodes) in collect.fields(type_, sets).items():
        if name == "__typename":
            out.append((key, name, None))
            continue
        spec = shape_.fields.get(name)
        field_def = type_.fields.get(name)
        if spec is None or field_def is None or any(n.arguments for n in nodes):
            raise NotCompiled(f"{shape_name}.{name}")
        if isinstance(spec, (Column, GlobalId, Holds)):
            out.append((key, name, None))
            continue
        target = _object(field_def.type)
        out.append((key, name, _node_selection(collect, spec.shape, target, collect.sub(nodes))))
    return tuple(out)


def _root_plan(
    collect: _Collector, query: GraphQLObjectType, key: str, name: str, nodes: list[FieldNode]
) -> RootPlan:
    spec = ROOTS.get(name)
    field_def = query.fields.get(name)
    if spec is None or field_def is None or len(nodes) != 1:
        raise NotCompiled(name)
    node = nodes[0]
    if any(a.name.value not in spec.arguments for a in node.arguments or ()):
        raise NotCompiled(f"{name} arguments")
    connection_type = _object(field_def.type)
    node_type = _object(connection_type.fields["edges"].type).fields["node"].type
    node_type = _object(node_type)
    selections: list[Selection] = []

    def node_column(field_nodes: list[FieldNode]) -> int:
        selections.append(_node_selection(collect, spec.node, node_type, collect.sub(field_nodes)))
        return len(selections) - 1

    envelope: Envelope = []
    for ckey, (cname, cnodes) in collect.fields(connection_type, [node.selection_set]).items():
        if cname == "__typename":
            envelope.append((ckey, "typename", connection_type.name))
        elif cname == "nodes":
            envelope.append((ckey, "nodes", node_column(cnodes)))
        elif cname == "edges":
            edge_type = _object(connection_type.fields["edges"].type)
            parts = []
            for ekey, (ename, enodes) in collect.fields(edge_type, collect.sub(cnodes)).items():
                if ename == "__typename":
                    parts.append((ekey, "typename", edge_type.name))
                elif ename == "cursor":
                    parts.append((ekey, "cursor", None))
                elif ename == "node":
                    parts.append((ekey, "node", node_column(enodes)))
                else:
                    raise NotCompiled(ename)
            envelope.append((ckey, "edges", parts))
        elif cname == "pageInfo":
            info_type = _object(connection_type.fields["pageInfo"].type)
            parts = []
            for pkey, (pname, _) in collect.fields(info_type, collect.sub(cnodes)).items():
                if pname == "__typename":
                    parts.append((pkey, info_type.name))
                elif pname in ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor"):
                    parts.append((pkey, pname))
                else:
                    raise NotCompiled(pname)
            envelope.append((ckey, "pageInfo", parts))
        else:
            raise NotCompiled(cname)
    return RootPlan(key, spec, field_def, node, envelope, selections)


def _node_plan(
    collect: _Collector, query: GraphQLObjectType, key: str, name: str, nodes: list[FieldNode]
) -> NodePlan:
    spec = BY_ID[name]
    field_def = query.fields.get(name)
    if field_def is None or len(nodes) != 1:
        raise NotCompiled(name)
    node_ = nodes[0]
    if [a.name.value for a in node_.arguments or ()] != ["id"]:
        raise NotCompiled(f"{name} arguments")
    sets = collect.sub(nodes)
    selections: dict[str, Selection | None] = {}
    for type_name in [spec.type_name] if spec.type_name else NODES:
        type_ = collect.schema.get_type(type_name)
        if type_name not in NODES or not isinstance(type_, GraphQLObjectType):
            raise NotCompiled(type_name)
        try:
            selections[type_name] = _node_selection(collect, type_name, type_, sets)
        except NotCompiled:
            selections[type_name] = None  # an ID of this type goes to the resolvers
    if not any(selections.values()):
        raise NotCompiled(name)
    return NodePlan(key, spec, field_def, node_, selections)


def _plan(schema: GraphQLSchema, document: Any, operation_name: str | None) -> Plan:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        operation = operations[0] if len(operations) == 1 else None
    else:
        operation = next((o for o in operations if o.name and o.name.value == operation_name), None)
    if operation is None or operation.operation is not OperationType.QUERY or operation.directives:
        raise NotCompiled("operation")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    collect = _Collector(schema, fragments)
    query = schema.query_type
    assert query is not None
    roots: list[tuple[str, RootPlan | NodePlan | None]] = []
    for key, (name, nodes) in collect.fields(query, [operation.selection_set]).items():
        if name == "__typename":
            roots.append((key, None))
        elif name in BY_ID:
            roots.append((key, _node_plan(collect, query, key, name, nodes)))
        else:
            roots.append((key, _root_plan(collect, query, key, name, nodes)))
    if all(plan is None for _, plan in roots):
        raise NotCompiled("nothing to compile")
    return Plan(operation, roots)


def _connection(page: Any, envelope: Envelope) -> dict[str, Any]:
    items = [[orjson.loads(text) for text in item] for item in page.items]
    cursors = page.cursors
    out: dict[str, Any] = {}
    for key, what, detail in envelope:
        if what == "typename":
            out[key] = detail
        elif what == "nodes":
            out[key] = [item[detail] for item in items]
        elif what == "edges":
            edges = []
            for item, cursor in zip(items, cursors, strict=True):
                edge: dict[str, Any] = {}
                for ekey, ewhat, edetail in detail:
                    if ewhat == "cursor":
                        edge[ekey] = cursor
                    elif ewhat == "node":
                        edge[ekey] = item[edetail]
                    else:
                        edge[ekey] = edetail
                edges.append(edge)
            out[key] = edges
        else:
            values = {
                "hasNextPage": page.has_next_page,
                "hasPreviousPage": page.has_previous_page,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            }
            out[key] = {pkey: values.get(pname, pname) for pkey, pname in detail}
    return out


async def _run(plan: Plan, schema: GraphQLSchema, context: Any, raw: Any) -> dict[str, Any] | None:
    variables = get_variable_values(schema, plan.operation.variable_definitions or (), raw or {})
    if isinstance(variables, list):
        return None  # the variables' errors come from graphql-core
    actor = context.actor
    dialect = "sqlite" if context.db.is_sqlite else "postgresql"
    calls: list[tuple[str, Callable[[Any], Awaitable[Any]] | None]] = []
    for key, root in plan.roots:
        if root is not None and root.spec.signed_in and actor is None:
            return None  # the resolver's refusal, with its error
        if root is None:
            calls.append((key, None))
        elif isinstance(root, NodePlan):
            args = get_argument_values(root.field_def, root.field_node, variables)
            call = _by_id(root, actor, args, dialect)
            if call is False:
                return None  # an ID the plan does not cover: the resolvers answer
            calls.append((key, call))
        else:
            args = get_argument_values(root.field_def, root.field_node, variables)
            calls.append((key, _page(root, root.spec.listing(actor, args), args, dialect)))
    data: dict[str, Any] = {}
    async with context.db.read_statements() as connection:
        for key, call in calls:
            data[key] = schema.query_type.name if call is None else await call(connection)  # type: ignore[union-attr]
    return data


def _page(
    root: RootPlan, listing: Listing, args: dict[str, Any], dialect: str
) -> Callable[[Any], Awaitable[Any]]:
    async def call(connection: Any) -> Any:
        page = await page_rows(
            connection, listing, root.nodes(dialect), first=args["first"], after=args["after"]
        )
        return _connection(page, root.envelope)

    return call


def _by_id(
    root: NodePlan, actor: Principal | None, args: dict[str, Any], dialect: str
) -> Callable[[Any], Awaitable[Any]] | Literal[False]:
    """One node as `resolve_node` shows it: null for a type anonymous callers may not fetch
    and for a row the caller may not see (or that does not exist)."""
    type_name, row_id = from_global_id(args["id"], root.spec.type_name)
    kind = NODES.get(type_name)
    if root.selections.get(type_name) is None or kind is None:
        return False
    spec = NODE_TYPES[type_name]
    model = SHAPES[type_name].model

    async def call(connection: Any) -> Any:
        if actor is None and not spec.public:
            return None
        visible = None if kind.visible is None else kind.visible(actor)
        text = await row_by_id(connection, model, root.node(type_name, dialect), row_id, visible)
        return None if text is None else orjson.loads(text)

    return call


class CompiledReads(SchemaExtension):
    """Answer covered queries from compiled plans; leave everything else to graphql-core."""

    def __init__(self, plans: PlanCache) -> None:
        self.plans = plans

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        document = context.graphql_document

        if context.result is None and document is not None:
            try:
                data = await self._answer(context, document)
            except Exception:  # a bug here must not cost the caller the answer
                log.exception("compiled read failed; the resolvers answer instead")
                data = None
            if data is not None:
                context.result = ExecutionResult(data=data)
        yield

    async def _answer(self, context: Any, document: Any) -> dict[str, Any] | None:
        schema = context.schema._schema
        if not isinstance(context.query, str):
            return None
        plan = self.plans.get(schema, context.query, document, context.operation_name)
        if plan is None:
            return None
        try:
            return await _run(plan, schema, context.context, context.variables)
        except (UserError, GraphQLError, NotCompiled) as reason:
            log.debug("compiled read left to the resolvers: %r", reason)
            return None  # the resolvers raise it again, as the API's error
