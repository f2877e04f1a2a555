"""Compiled reads (issue 14): one SQL statement builds a page's JSON in the database.

A `Shape` says how a GraphQL object type reads off one table: which fields are columns, which
one is the row's global ID, which follow a foreign key to one row (`ToOne`), collect the rows
that point back (`ToMany`) or take the first of them (`Latest`), or show the same row as
another type when a condition holds (`SameRow`). `node_json` turns a selection of such
fields into one SQL expression (`json_build_object`/`json_agg` on PostgreSQL,
`json_object`/`json_group_array` on SQLite) with the relations as correlated subqueries, and
values exactly as the GraphQL resolvers serialise them: global IDs (base64 of `Type:uuid`, as
`schema.relay.to_global_id`), aware UTC timestamps as `datetime.isoformat()`, enum names,
money as its two-decimal text.

What a shape does not describe raises `NotCompiled`, and the caller answers through the
resolvers instead. Nothing here knows GraphQL documents or who is asking: the caller's
visibility predicates come in the domain's `Listing` statement the node expression is
selected from (`page_rows`). Relations carry no predicate of their own, so describe only
those whose resolver reads them unfiltered (as the `organization` loader reads holders).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import visitors
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.util import ClauseAdapter

from core import clock
from core.db import GLOBAL_ID_FUNCTION, DriverConnection
from core.pagination import AFTER_SORT, Listing, Page, keyset_statement, page_values
from core.sqltypes import Money, UTCDateTime

log = logging.getLogger(__name__)


class NotCompiled(Exception):
    """The selection asks for something no shape describes: answer through the resolvers."""


@dataclass(frozen=True)
class Column:
    """A scalar field read from the column `attr`."""

    attr: str


@dataclass(frozen=True)
class GlobalId:
    """The Relay global ID of the row: base64 of `type_name:uuid` of the column `attr`."""

    type_name: str
    attr: str = "id"


@dataclass(frozen=True)
class ToOne:
    """The row of shape `shape` whose `id` is this row's `key` (null when there is none)."""

    key: str
    shape: str


@dataclass(frozen=True)
class Via:
    """A link table between two rows: its column `near` holds this row's id, `far` the
    other row's."""

    model: Any
    near: str
    far: str


@dataclass(frozen=True)
class ToMany:
    """The rows of shape `shape` whose column `key` holds this row's id, in `order_by`
    order (the domain's column tuple, the one order its batch getter uses too); with `via`,
    the rows a link table pairs with this one (`key` is then ignored: `via.near` says it)."""

    shape: str
    key: str
    order_by: Sequence[Any]
    via: Via | None = None


@dataclass(frozen=True)
class Latest:
    """The first row of shape `shape` whose column `key` holds this row's id, in `order_by`
    order (null when there is none): "the latest valuation"."""

    shape: str
    key: str
    order_by: Sequence[Any]


@dataclass(frozen=True)
class SameRow:
    """This same row seen as shape `shape`, or null unless `when(table)` holds (a domain
    predicate over the table or an alias of it)."""

    shape: str
    when: Callable[[Any], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class Holds:
    """`true` when `when(table)` holds for the row, else `false` (a domain predicate over the
    table or an alias of it, such as "stale": one rule for the resolver and the SQL)."""

    when: Callable[[Any], sa.ColumnElement[bool]]


Field = Column | GlobalId | ToOne | ToMany | Latest | SameRow | Holds


def now_parameter() -> sa.BindParameter[Any]:
    """The time of each execution as a bound value (`core.clock.now()` when the statement
    runs, not when the plan was made): for predicates such as "stale" that the resolvers
    evaluate against the clock."""
    return sa.bindparam(None, callable_=_clock_now, type_=UTCDateTime(), unique=True)


def _clock_now() -> Any:
    return clock.now()


@dataclass(frozen=True)
class Shape:
    name: str  # the GraphQL type name (`__typename`)
    model: Any  # the table's mapped class
    fields: Mapping[str, Field]  # by GraphQL field name


# A selection: (response key, field name, sub-selection or None), in response order.
Selection = tuple[tuple[str, str, "Selection | None"], ...]

MAX_KEYS = 50  # json_build_object takes at most 100 arguments on PostgreSQL


def _text(value: str) -> sa.ColumnElement[str]:
    """A constant SQL string literal (GraphQL names and formats only: never user input)."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text)


class _Builder:
    def __init__(self, shapes: Mapping[str, Shape], dialect: str) -> None:
        if dialect not in ("postgresql", "sqlite"):
            raise NotCompiled(dialect)
        self.shapes = shapes
        self.pg = dialect == "postgresql"

    def shape(self, name: str) -> Shape:
        shape = self.shapes.get(name)
        if shape is None:
            raise NotCompiled(name)
        return shape

    def obj(self, shape: Shape, table: Any, selection: Selection) -> sa.ColumnElement[Any]:
        keys: dict[str, sa.ColumnElement[Any]] = {}
        for key, name, sub in selection:
            if key in keys:
                raise NotCompiled(key)  # the caller merges fields; a repeat is not ours
            keys[key] = self.value(shape, table, name, sub)
        if not keys or len(keys) > MAX_KEYS:
            raise NotCompiled(shape.name)
        args = [part for key, value in keys.items() for part in (_text(key), value)]
        return sa.func.json_build_object(*args) if self.pg else sa.func.json_object(*args)

    def nested(self, value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # SQLite passes JSON as text between queries: `json()` marks it JSON again.
        return value if self.pg else sa.func.json(value)

    def value(
        self, shape: Shape, table: Any, name: str, sub: Selection | None
    ) -> sa.ColumnElement[Any]:
        if name == "__typename":
            return _text(shape.name)
        field = shape.fields.get(name)
        if field is None:
            raise NotCompiled(f"{shape.name}.{name}")
        if isinstance(field, (Column, GlobalId, Holds)) != (sub is None):
            raise NotCompiled(f"{shape.name}.{name}")
        if isinstance(field, Column):
            return self.scalar(getattr(table, field.attr))
        if isinstance(field, Holds):
            if self.pg:
                return sa.case((field.when(table), sa.true()), else_=sa.false())
            return sa.func.json(sa.case((field.when(table), _text("true")), else_=_text("false")))
        if isinstance(field, GlobalId):
            return self.global_id(field.type_name, getattr(table, field.attr))
        assert sub is not None
        if isinstance(field, SameRow):
            inner = self.obj(self.shape(field.shape), table, sub)
            return self.nested(sa.case((field.when(table), inner), else_=sa.null()))
        target = self.shape(field.shape)
        other = aliased(target.model)
        inner = self.obj(target, other, sub)
        if isinstance(field, ToOne):
            one = sa.select(inner).where(other.id == getattr(table, field.key))
            return self.nested(one.scalar_subquery())
        # the domain's order, over this alias of its table
        adapt = ClauseAdapter(sa.inspect(other).selectable).traverse
        order = [adapt(getattr(c, "__clause_element__", lambda c=c: c)()) for c in field.order_by]
        if isinstance(field, Latest):
            mine = getattr(other, field.key) == table.id
            latest = sa.select(inner).where(mine).order_by(*order).limit(1)
            return self.nested(latest.scalar_subquery())
        assert isinstance(field, ToMany)
        if field.via is None:
            source: Any = other
            mine = getattr(other, field.key) == table.id
        else:
            link = aliased(field.via.model)
            source = sa.join(other, link, getattr(link, field.via.far) == other.id)
            mine = getattr(link, field.via.near) == table.id
        if self.pg:
            many = sa.select(
                sa.func.coalesce(
                    sa.func.json_agg(aggregate_order_by(inner, *order)),
                    sa.literal_column("'[]'::json"),
                )
            )
            return many.select_from(source).where(mine).scalar_subquery()
        # SQLite 3.40 has no ORDER BY inside an aggregate; its window function has one
        rows = sa.func.json_group_array(inner).over(order_by=order, rows=(None, None))
        found = sa.select(rows).select_from(source).where(mine).limit(1).scalar_subquery()
        return sa.func.json(sa.func.coalesce(found, _text("[]")))

    def global_id(self, type_name: str, column: Any) -> sa.ColumnElement[Any]:
        if not self.pg:
            return getattr(sa.func, GLOBAL_ID_FUNCTION)(_text(type_name), column)
        raw = _text(f"{type_name}:").concat(sa.cast(column, sa.Text))
        encoded = sa.func.encode(sa.func.convert_to(raw, _text("UTF8")), _text("base64"))
        return sa.func.replace(encoded, sa.literal_column("E'\\n'", sa.Text), _text(""))

    def scalar(self, column: Any) -> sa.ColumnElement[Any]:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            return self.timestamp(column)
        if isinstance(kind, Money):
            return sa.cast(column, sa.Text) if self.pg else column
        if isinstance(kind, sa.Enum):
            members = kind.enum_class
            # GraphQL shows enum names; the column holds values: only where they agree
            if members is None or any(m.name != m.value for m in members):  # type: ignore[attr-defined]
                raise NotCompiled(str(column))
            return column
        if isinstance(kind, sa.types.TypeDecorator):  # e.g. SQLModel's AutoString
            kind = kind.impl_instance
        if isinstance(kind, sa.Boolean):
            if self.pg:
                return column
            return sa.func.json(sa.case((column, _text("true")), (sa.not_(column), _text("false"))))
        if isinstance(kind, (sa.Integer, sa.String)) and not isinstance(kind, sa.Enum):
            return column
        raise NotCompiled(str(column))

    def timestamp(self, column: Any) -> sa.ColumnElement[Any]:
        """`datetime.isoformat()` of an aware UTC datetime: microseconds only when not 0."""
        suffix = _text("+00:00")
        if not self.pg:
            # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite
            bare = sa.func.replace(
                sa.func.replace(column, _text(" "), _text("T")), _text(".000000"), _text("")
            )
            return bare.concat(suffix)
        utc = sa.func.timezone(_text("UTC"), column)
        micro = sa.func.to_char(utc, _text("US"))
        seconds = sa.func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS'))
        fraction = sa.case((micro == _text("000000"), _text("")), else_=_text(".").concat(micro))
        return seconds.concat(fraction).concat(suffix)


class _Planned(sa.sql.expression.ColumnElement[Any]):
    """A node expression built once per plan, keyed for SQLAlchemy's statement cache by its
    serial number alone: generating the key of the whole JSON tree on every execution cost
    ~0.4 ms a request (issue 14 profile). Its bound values are the plan's constants (enum
    values, `LIMIT 1`), the same in every statement that embeds it."""

    inherit_cache = False
    _serials = itertools.count()

    def __init__(self, inner: sa.ColumnElement[Any]) -> None:
        self.inner = inner
        self.type = inner.type
        self.serial = next(self._serials)

    @property
    def _from_objects(self) -> list[Any]:
        return self.inner._from_objects

    def _gen_cache_key(self, anon_map: Any, bindparams: list[Any]) -> tuple[Any, ...]:
        return (_Planned, self.serial)


@compiles(_Planned)
def _compile_planned(element: _Planned, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.inner, **kw))


def node_json(
    shapes: Mapping[str, Shape], shape: str, selection: Selection, dialect: str
) -> sa.ColumnElement[Any]:
    """The JSON text of `selection` over one row of `shape`'s table (the mapped class itself,
    as the domain's listing selects it). Raises `NotCompiled`."""
    builder = _Builder(shapes, dialect)
    root = builder.shape(shape)
    value = builder.obj(root, root.model, selection)
    return _Planned(sa.cast(value, sa.Text) if builder.pg else value)


async def page_rows(
    connection: Any,
    listing: Listing,
    nodes: Sequence[sa.ColumnElement[Any]],
    *,
    first: int,
    after: str | None,
) -> Page[tuple[str, ...]]:
    """One statement on `connection` (`Database.read_statements`, or a session): the page of
    `listing` (its visibility and filters, its keyset order), each row as the JSON texts of
    `nodes`, with the page's cursors (the one cursor encoder, from the sort key and id the
    statement returns)."""
    keys = [listing.sort] if listing.id_column is None else [listing.sort, listing.id_column]
    values = page_values(listing, first=first, after=after)
    if isinstance(connection, DriverConnection):
        rows = await _page_on_driver(connection, listing, keys, nodes, values)
    else:
        rows = await _rows(connection, _page_statement(listing, keys, nodes, values))
    has_next = len(rows) > first
    rows = rows[:first]
    width = len(keys)
    cursors = [listing.cursor(row[0], row[1] if width == 2 else None) for row in rows]
    items = [tuple(row[width:]) for row in rows]
    return Page(items, cursors, has_next_page=has_next, has_previous_page=after is not None)


def _page_statement(
    listing: Listing, keys: list[Any], nodes: Sequence[Any], values: dict[str, Any]
) -> sa.Select[Any]:
    return keyset_statement(listing, values).with_only_columns(
        *keys, *nodes, maintain_column_froms=True
    )


async def row_by_id(
    connection: Any,
    model: Any,
    node: sa.ColumnElement[Any],
    row_id: Any,
    visible: sa.ColumnElement[bool] | None,
) -> str | None:
    """One statement on `connection`: the JSON text of `node` over the row of `model` whose
    id is `row_id`, if `visible` (the caller's visibility, as the domain's batch getter
    applies it) lets it be seen; None otherwise."""
    statement = sa.select(node).where(model.id == row_id)
    if visible is not None:
        statement = statement.where(visible)
    rows = await _rows(connection, statement)
    return rows[0][0] if rows else None


class _Driven:
    """A statement as SQLAlchemy compiled it for asyncpg, to run on asyncpg itself."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        self.sql = str(compiled)
        self.names = compiled.positiontup
        self.processors = compiled._bind_processors


_DRIVEN: OrderedDict[Any, _Driven] = OrderedDict()
_PAGES: OrderedDict[Any, _Driven | None] = OrderedDict()  # None: not reusable, build each time
DRIVEN_MAX = 512


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > DRIVEN_MAX:
        cache.popitem(last=False)


async def _rows(connection: Any, statement: sa.Select[Any]) -> Sequence[Sequence[Any]]:
    """The rows of `statement`. On PostgreSQL (a `DriverConnection`) SQLAlchemy compiles it
    (once per cache key, as its own statement cache does) and binds its parameters, asyncpg
    runs it: SQLAlchemy's execution and result layers cost ~150 µs of a 20-row asset page's
    ~520 here (issue 14), and these rows need none of them: a compiled read's columns are the
    sort key, the id and JSON texts, which asyncpg returns as the resolvers' path would
    (aware UTC datetimes, UUIDs, str). Elsewhere: SQLAlchemy."""
    if not isinstance(connection, DriverConnection):
        return (await connection.execute(statement)).all()
    dialect = connection.dialect
    key = statement._generate_cache_key()
    if key is None:
        driven = _Driven(statement.compile(dialect=dialect))
        return await _fetch(connection, driven, driven.compiled.construct_params())
    by = (dialect.server_version_info, key.key)  # what the compiled text depends on
    driven = _DRIVEN.get(by)
    if driven is None:
        driven = _Driven(statement.compile(dialect=dialect, cache_key=key))
        _remember(_DRIVEN, by, driven)
    return await _fetch(
        connection,
        driven,
        driven.compiled.construct_params(key.params, extracted_parameters=key.bindparams),
    )


async def _page_on_driver(
    connection: DriverConnection,
    listing: Listing,
    keys: list[Any],
    nodes: Sequence[Any],
    values: dict[str, Any],
) -> Sequence[Sequence[Any]]:
    """`_rows` of a page without building its statement each time: the SQL is made once per
    listing statement's cache key (its structure: a caller's visibility predicate that
    differs by role differs there), keyset order, cursor or none, and plan nodes; each
    request binds its listing's own extracted values and its page's. Building the page
    statement and generating its cache key cost ~80 µs of a ~950 µs organisation page
    (issue 14); the listing's own key costs ~16."""
    listing_key = listing.statement._generate_cache_key()
    serials = tuple(node.serial if isinstance(node, _Planned) else None for node in nodes)
    if listing_key is None or listing_key.params or None in serials:
        return await _rows(connection, _page_statement(listing, keys, nodes, values))
    by = (
        connection.dialect.server_version_info,
        listing_key.key,
        tuple((getattr(c, "class_", None), c.key) for c in keys),
        listing.newest_first,
        AFTER_SORT in values,
        serials,
    )
    try:
        driven = _PAGES[by]
    except KeyError:
        statement = _page_statement(listing, keys, nodes, values)
        driven = _reusable(statement, connection.dialect, listing_key, nodes, values)
        _remember(_PAGES, by, driven)
        if driven is None:
            log.warning("the compiled page of %s is built per request", listing.sort)
    if driven is None:
        return await _rows(connection, _page_statement(listing, keys, nodes, values))
    params = driven.compiled.construct_params(
        params=values, extracted_parameters=listing_key.bindparams
    )
    return await _fetch(connection, driven, params)


def _reusable(
    statement: sa.Select[Any], dialect: Any, listing_key: Any, nodes: Sequence[Any], values: Any
) -> _Driven | None:
    """`statement` compiled so that another request's listing values bind into it by
    position (as SQLAlchemy's own cache binds a new statement's), or None unless every bound
    parameter it renders is one of: the listing's (matched to its cache key's), the page's
    (`values`, by name), or a plan node's constant or clock."""
    compiled = statement.compile(
        dialect=dialect, cache_key=CacheKey(listing_key.key, listing_key.bindparams, None)
    )
    matches, _ = compiled._cache_key_bind_match
    matched: set[Any] = set()
    for bind in listing_key.bindparams:
        found = matches[bind][1:]  # the first is the key's own
        if not found:
            return None
        matched.update(found)
    planned = {
        element
        for node in nodes
        for element in visitors.iterate(node.inner)
        if isinstance(element, sa.BindParameter)
    }
    for bind in compiled.bind_names:
        if bind in matched or bind.key in values or not planned.isdisjoint(bind._cloned_set):
            continue
        return None
    return _Driven(compiled)


async def _fetch(
    connection: DriverConnection, driven: _Driven, params: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """Run `driven` with `params` on asyncpg. Listeners of SQLAlchemy's
    `before_cursor_execute` on the engine (the suite's statement counter) still hear of it,
    with no connection, cursor or execution context."""
    processors = driven.processors
    args = [processors[n](params[n]) if n in processors else params[n] for n in driven.names]
    listeners = connection.engine.dispatch.before_cursor_execute
    if listeners:
        for listener in listeners:
            listener(None, None, driven.sql, tuple(args), None, False)
    return await connection.driver.fetch(driven.sql, *args)  # type: ignore[no-any-return]
