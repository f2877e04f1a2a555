"""Compiled reads (schema.compiled, core.jsonread): a covered query answered in one statement
per root field says exactly what the resolvers say — data, errors and nulls — for random
selections, for every role, on both engines; anything not covered falls back."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

import registry
from core import jsonread
from core.identity import Principal, Role
from core.models import Organization, OrganizationKind
from schema import build_schema, compiled
from schema.compiled import PlanCache
from schema.context import Context
from schema.relay import to_global_id
from tests import conftest
from tests.conftest import _new_uscc

# every role: the suite's organisation kind for each, and oversight (held for an agency)
ROLE_KIND = {**conftest.ROLE_KIND, Role.OVERSIGHT: OrganizationKind.AGENCY}

# The covered fields of each type, and the type a relation leads to.
FIELDS: dict[str, dict[str, str | None]] = {
    "Organization": dict.fromkeys(("id", "kind", "name", "uscc", "createdAt", "__typename"))
    | {"registeredBy": "Organization"},
    "Asset": dict.fromkeys(
        (
            "id",
            "kind",
            "name",
            "description",
            "scenario",
            "deliveryMode",
            "updateFrequency",
            "timeSpan",
            "scale",
            "status",
            "noticeEndsAt",
            "noticeEndsProvisional",
            "decisionReason",
            "version",
            "createdAt",
            "__typename",
        )
    )  # fmt: skip
    | {
        "holder": "Organization",
        "sources": "AssetSource",
        "currentValuation": "AssetValuation",
        "certificate": "RegistrationCertificate",
    },
    "AssetSource": dict.fromkeys(("datasetName", "datasetHolder", "legalBasis", "__typename")),
    "AssetValuation": dict.fromkeys(("method", "value", "valuedAt", "ledgerSeq", "__typename")),
    "RegistrationCertificate": dict.fromkeys(("number", "registeredAt", "ledgerSeq", "__typename"))
    | {"holder": "Organization"},
    "Resource": dict.fromkeys(
        (
            "id",
            "code",
            "name",
            "description",
            "shareType",
            "shareConditions",
            "shareLegalBasis",
            "openType",
            "delivery",
            "updateFrequency",
            "sensitivity",
            "containsPersonalInfo",
            "lastUpdatedAt",
            "version",
            "createdAt",
            "isStale",
            "__typename",
        )
    )  # fmt: skip
    | {"owner": "Organization", "dataItems": "DataItem"},
    "DataItem": dict.fromkeys(
        ("id", "code", "name", "legalBasis", "sensitivePersonal", "claimedAt", "__typename")
    )
    | {"sourceDepartment": "Organization"},
}
ROOTS = {
    "organizations": "Organization",
    "assets": "Asset",
    "resources": "Resource",
    "dataItems": "DataItem",
}
# each root's arguments besides `first` and `after` ($holder and $other: two organisations' IDs)
WHERE = {
    "organizations": [None, "kind: AGENCY", "kind: MARKET_ENTITY", "kind: AUDITOR"],
    "assets": [
        None, "filter: {holder: $holder}", "filter: {holder: $other}", "filter: {status: DRAFT}",
        "filter: {holder: $holder, status: REGISTERED}", "filter: {kind: DATA_PRODUCT}",
        'filter: {text: "资产"}', 'filter: {text: "引号", holder: $holder}',
    ],
    "resources": [
        None, "filter: {owner: $other}", "filter: {owner: $holder}", "filter: {openType: OPEN}",
        "filter: {stale: true}", "filter: {stale: false, shareType: CONDITIONAL}",
        'filter: {text: "资源", openType: NOT_OPEN}', "filter: {owner: $other, stale: true}",
    ],
    "dataItems": [None, "sourceDepartment: $other", "sourceDepartment: $holder"],
}  # fmt: skip


@st.composite
def _selection(draw: Any, type_name: str, depth: int = 0) -> str:
    names = [n for n, target in FIELDS[type_name].items() if target is None or depth < 2]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=7, unique=True))
    parts = []
    for i, name in enumerate(chosen):
        alias = f"a{i}{name}: " if draw(st.integers(0, 3)) == 0 else ""
        target = FIELDS[type_name][name]
        sub = f" {{ {draw(_selection(target, depth + 1))} }}" if target else ""
        parts.append(f"{alias}{name}{sub}")
        if draw(st.integers(0, 9)) == 0:
            parts.append(f"{name}{sub}" if not alias else f"{alias}{name}{sub}")  # merged repeat
    body = " ".join(parts)
    if draw(st.integers(0, 5)) == 0:
        body = f"... on {type_name} {{ {body} }}"
    return body


@st.composite
def _query(draw: Any, root: str) -> dict[str, Any]:
    node = ROOTS[root]
    parts = []
    fragment = ""
    if draw(st.booleans()):
        edge = []
        if draw(st.booleans()):
            edge.append("cursor")
        fields = draw(_selection(node))
        if draw(st.integers(0, 3)) == 0:  # a named fragment, spread with a field beside it
            fragment = f"fragment N on {node} {{ {fields} }}"
            fields = "... N __typename"
        edge.append(f"node {{ {fields} }}")
        if draw(st.integers(0, 3)) == 0:
            edge.append("__typename")
        parts.append(
            ("e: " if draw(st.integers(0, 3)) == 0 else "") + f"edges {{ {' '.join(edge)} }}"
        )
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"nodes {{ {draw(_selection(node))} }}")
    if draw(st.booleans()):
        info = draw(
            st.lists(
                st.sampled_from(
                    ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
                ),
                min_size=1,
                unique=True,
            )
        )
        parts.append(f"pageInfo {{ {' '.join(info)} }}")
    if draw(st.integers(0, 3)) == 0 or not parts:
        parts.append("__typename")
    argument = draw(st.sampled_from(WHERE[root])) or ""
    return {
        "root": root,
        "alias": draw(st.sampled_from(["", "", "r: "])),
        "argument": argument,
        "first": draw(st.sampled_from([1, 2, 3, 7, 20])),
        "after": draw(st.sampled_from([None, None, 0, 1, 4])),
        "selection": " ".join(parts),
        "typename": draw(st.integers(0, 4)) == 0,
        "fragment": fragment,
    }


def _samples(per_root: int = 80) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for root in ROOTS:

        @settings(
            max_examples=per_root,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(_query(root))
        def collect(query: dict[str, Any]) -> None:
            found.append(query)

        collect()
    return found


def _document(q: dict[str, Any], after: str | None) -> str:
    arguments = [a for a in (q["argument"], "first: $first", "after: $after" if after else "") if a]
    uses = "$first: Int!" + "".join(
        f", ${name}: ID" for name in ("holder", "other") if f"${name}" in q["argument"]
    )
    uses += ", $after: String" if after else ""
    head = "__typename " if q["typename"] else ""
    root = f"{q['alias']}{q['root']}({', '.join(arguments)}) {{ {q['selection']} }}"
    return f"query Q({uses}) {{ {head}{root} }} {q['fragment']}"


@pytest.fixture(scope="module")
async def engines(app: Any) -> dict[str, Any]:
    """The app's schema (compiled reads on) and the same schema with them off."""
    settings_off = dataclasses.replace(app.state.settings, compiled_reads=False)
    return {"compiled": app.state.schema, "fallback": build_schema(settings_off)}


async def _run(
    app: Any, schema: Any, query: str, variables: dict[str, Any], actor: Principal | None
) -> dict[str, Any]:
    context = Context(
        db=app.state.db,
        settings=app.state.settings,
        actor=actor,
        signer=app.state.signer,
        request_id="compiled-test",
    )
    result = await schema.execute(query, variable_values=variables, context_value=context)
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


@pytest.fixture(scope="module")
async def world(app: Any, db: Any, make_caller: Any) -> dict[str, Any]:
    """Two holders with assets in every state that shows differently: drafts (the holder's),
    registered with and without a certificate, several sources and valuations, null and
    whole-second timestamps, names that need escaping."""
    holder = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    other = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    base = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
    async with db.transaction() as session:
        parent = Organization(
            kind=OrganizationKind.AUTHORITY, name='0 授权机构 "q"', uscc=_new_uscc()
        )
        session.add(parent)
        await session.flush()
        for i, name in enumerate(("0 甲 registrant's child", "0 B\\slash\n")):
            session.add(
                Organization(
                    kind=OrganizationKind.AGENCY,
                    name=name,
                    uscc=_new_uscc(),
                    registered_by_id=parent.id,
                    created_at=base + timedelta(microseconds=i * 7),
                )
            )
        statuses = [
            registry.AssetStatus.DRAFT,
            registry.AssetStatus.REGISTERED,
            registry.AssetStatus.REGISTERED,
            registry.AssetStatus.PUBLIC_NOTICE,
            registry.AssetStatus.SUBMITTED,
        ]
        assets = []
        for n, (owner, status) in enumerate(
            [(holder.org_id, s) for s in statuses] + [(other.org_id, s) for s in statuses[:3]]
        ):
            asset = registry.Asset(
                kind=registry.AssetKind.DATA_PRODUCT if n % 2 else registry.AssetKind.DATA_SERVICE,
                name=f'资产 {n} "引号" \\ {uuid.uuid4().hex[:6]}',
                description="line\nbreak\ttab é" if n % 3 == 0 else "",
                scenario="场景",
                rights="HOLDING,OPERATION",
                update_frequency=registry.UpdateFrequency.DAILY,
                holder_id=owner,
                status=status,
                notice_ends_at=base + timedelta(days=5) if status.name == "PUBLIC_NOTICE" else None,
                notice_ends_provisional=n == 3,
                registration_number=f"JMDR-T-{uuid.uuid4().hex[:12]}" if n in (1, 6) else None,
                registration_seq=1000 + n if n in (1, 6) else None,
                registered_at=base + timedelta(seconds=n, microseconds=n * 1000 % 7)
                if status is registry.AssetStatus.REGISTERED
                else None,
                version=n + 1,
                created_at=base + timedelta(seconds=n) + timedelta(microseconds=(n % 2) * 123456),
            )
            session.add(asset)
            assets.append(asset)
        await session.flush()
        for n, asset in enumerate(assets):
            for k in range(n % 4):
                session.add(
                    registry.AssetSource(
                        asset_id=asset.id,
                        dataset_name=f"数据集 {k}",
                        dataset_holder=f"holder {k}",
                        legal_basis="Art. 24",
                    )
                )
            for k in range(n % 3):
                session.add(
                    registry.AssetValuation(
                        asset_id=asset.id,
                        method="cost" if k else "income",
                        inputs="{}",
                        breakdown="{}",
                        value=Decimal(f"{1000 * (n + 1) + k}.{k}5"),
                        valued_at=base + timedelta(days=k),
                        ledger_seq=2000 + 10 * n + k,
                    )
                )
        # the catalogue: items of two departments, resources of every open type, stale,
        # fresh and never stale, refreshed or not, with none to three items
        tag = uuid.uuid4().hex[:8]
        items = []
        for n in range(5):
            item = registry.DataItem(
                code=f"000.{tag}.{4 - n}",
                name=f'数据项 {n} "q" \\',
                legal_basis="Art. 8\n¶2" if n % 2 else "",
                sensitive_personal=n == 3,
                source_department_id=other.org_id if n < 3 else holder.org_id,
                claimed_at=base + timedelta(minutes=n, microseconds=n % 2 * 5),
            )
            session.add(item)
            items.append(item)
        await session.flush()
        past, future = datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) + timedelta(days=3)
        open_types = list(registry.OpenType)
        resources = []
        for n in range(7):
            resource = registry.Resource(
                code=f"000-{tag}-{n}",
                name=f"资源 {n} 'x' \\ \"",
                description="desc\n" if n % 2 else "",
                owner_id=other.org_id if n < 5 else holder.org_id,
                share_type=list(registry.ShareType)[n % 3],
                share_conditions="条件" if n % 3 == 1 else "",
                share_legal_basis="law" if n % 3 == 2 else "",
                open_type=open_types[n % 3],
                delivery=list(registry.Delivery)[n % 3],
                update_frequency=registry.UpdateFrequency.DAILY,
                sensitivity=list(registry.Sensitivity)[n % 3],
                contains_personal_info=n % 2 == 0,
                last_updated_at=base + timedelta(hours=n) if n % 3 else None,
                stale_after=[past, future, None][n % 3],
                version=n + 1,
                created_at=base + timedelta(seconds=n, microseconds=n % 2 * 250000),
            )
            session.add(resource)
            resources.append(resource)
            await session.flush()
            for item in items[n % 4 : n % 4 + n % 4]:
                session.add(registry.ResourceItem(resource_id=resource.id, data_item_id=item.id))
    callers: dict[str, Principal | None] = {"anonymous": None}
    for role, kind in ROLE_KIND.items():
        callers[role.value] = (await make_caller(role, kind)).principal
    callers["holder"] = holder.principal
    callers["other holder"] = other.principal
    ids = {
        "holder": to_global_id("Organization", holder.org_id),
        "other": to_global_id("Organization", other.org_id),
    }
    drafts = {
        to_global_id("Asset", a.id)
        for a in assets
        if a.status is registry.AssetStatus.DRAFT and a.holder_id == holder.org_id
    }
    rows = [("Organization", o) for o in (holder.org_id, other.org_id, parent.id)]
    rows += [("Asset", a.id) for a in assets] + [("DataItem", i.id) for i in items]
    rows += [("Resource", r.id) for r in resources]
    nodes = [to_global_id(type_name, row_id) for type_name, row_id in rows]
    nodes += [to_global_id("Asset", uuid.uuid4()), to_global_id("Resource", parent.id)]
    return {"callers": callers, "ids": ids, "drafts": drafts, "nodes": nodes}


def test_the_samples_select_every_covered_field():
    samples = _samples()
    assert {q["root"] for q in samples} == set(ROOTS)
    words = set(re.findall(r"\w+", " ".join(q["selection"] + q["fragment"] for q in samples)))
    assert not {f"{t}.{f}" for t, fields in FIELDS.items() for f in fields if f not in words}


async def test_random_selections_answer_as_the_resolvers_do(
    app, engines, world, count_statements, monkeypatch
):
    assert set(ROLE_KIND) == set(Role)  # every role, and anonymous, and two holders
    pages: list[str] = []  # the root fields the compiled path answered
    original = compiled.page_rows

    async def page_rows(connection: Any, listing: Any, *args: Any, **kwargs: Any) -> Any:
        pages.append(listing.sort.class_.__name__)
        return await original(connection, listing, *args, **kwargs)

    monkeypatch.setattr(compiled, "page_rows", page_rows)
    checked = compiled_runs = 0
    roots: set[str] = set()
    for q in _samples():
        for who, actor in world["callers"].items():
            variables = {"first": q["first"]}
            for name in ("holder", "other"):
                if f"${name}" in q["argument"]:
                    variables[name] = world["ids"][name]
            after = None
            if q["after"] is not None:  # a real cursor from the page before
                probe = {**q, "selection": "edges { cursor }", "alias": "", "fragment": ""}
                probe = _document(probe, None)
                page = await _run(
                    app, engines["fallback"], probe, {**variables, "first": 10}, actor
                )
                edges = (page["data"] or {}).get(q["root"], {}).get("edges") or []
                if edges:
                    after = edges[q["after"] % len(edges)]["cursor"]
                    variables["after"] = after
            document = _document(q, after)
            expected = await _run(app, engines["fallback"], document, variables, actor)
            pages.clear()
            with count_statements() as counter:
                got = await _run(app, engines["compiled"], document, variables, actor)
            assert got == expected, (who, document, variables)
            checked += 1
            if not expected["errors"]:
                assert len(counter.statements) == 1, (who, document, counter.statements)
                assert len(pages) == 1, (who, document)  # answered by the compiled read
                compiled_runs += 1
                roots.add(q["root"])
    assert checked >= 2000 and compiled_runs >= 1000, (checked, compiled_runs)
    assert roots == set(ROOTS), roots


ASSETS = """{ assets(first: %d, filter: {holder: "%s"}) { edges { cursor node { id name status
  holder { name } sources { datasetName datasetHolder } currentValuation { method value }
  certificate { number registeredAt holder { id } } } } pageInfo { hasNextPage endCursor } } }"""


async def test_one_statement_per_root_field_whatever_the_page_size(
    app, engines, world, count_statements
):
    holder = world["callers"]["holder"]
    for first in (1, 3, 20):
        query = ASSETS % (first, world["ids"]["holder"])
        with count_statements() as counter:
            got = await _run(app, engines["compiled"], query, {}, holder)
        assert not got["errors"] and len(got["data"]["assets"]["edges"]) == min(first, 5)
        assert len(counter.statements) == 1
        assert got == await _run(app, engines["fallback"], query, {}, holder)
    both = """{ __typename o: organizations(first: 20) { edges { node { id registeredBy { name } } } }
      assets(first: 20) { nodes { id holder { registeredBy { id } } } } }"""
    with count_statements() as counter:
        got = await _run(app, engines["compiled"], both, {}, holder)
    assert len(counter.statements) == 2 and got["data"]["__typename"] == "Query"
    assert got == await _run(app, engines["fallback"], both, {}, holder)


# by-id roots: (field, the type its ID must be of); `node` takes any
BY_ID_ROOTS = [("node", None), ("asset", "Asset"), ("resource", "Resource"),
               ("organization", "Organization")]  # fmt: skip


@st.composite
def _by_id_query(draw: Any) -> tuple[str, list[int]]:
    field, type_name = draw(st.sampled_from(BY_ID_ROOTS))
    types = [type_name] if type_name else ["Asset", "Resource", "Organization", "DataItem"]
    parts = []
    for t in types:
        if draw(st.integers(0, 4)):
            fields = draw(_selection(t))
            parts.append(fields if type_name else f"... on {t} {{ {fields} }}")
    if draw(st.booleans()) or not parts:
        parts.append(draw(st.sampled_from(["id", "__typename", "a: id"])))
    alias = draw(st.sampled_from(["", "x: "]))
    query = f"query Q($id: ID!) {{ {alias}{field}(id: $id) {{ {' '.join(parts)} }} }}"
    return query, draw(st.lists(st.integers(0, 99), min_size=4, max_size=4, unique=True))


def _by_id_samples() -> list[tuple[str, list[int]]]:
    found: list[tuple[str, list[int]]] = []

    @settings(
        max_examples=40,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_by_id_query())
    def collect(sample: tuple[str, list[int]]) -> None:
        found.append(sample)

    collect()
    return found


async def test_nodes_by_id_answer_as_the_resolvers_do(
    app, engines, world, count_statements, monkeypatch
):
    """`node(id)`, `asset(id)`, `resource(id)`, `organization(id)`: every role, IDs of every
    covered type (drafts, entries not open, a missing row, an ID of another type) and bad
    IDs; a covered answer is one statement (none for a type anonymous callers never get)."""
    answered: list[str] = []
    original = compiled.row_by_id

    async def row_by_id(connection: Any, model: Any, *args: Any) -> Any:
        answered.append(model.__name__)
        return await original(connection, model, *args)

    monkeypatch.setattr(compiled, "row_by_id", row_by_id)
    ids = [*world["nodes"], "bad", to_global_id("Consent", uuid.uuid4())]
    checked, compiled_types = 0, set()
    for query, picks in _by_id_samples():
        for who, actor in world["callers"].items():
            for pick in picks:
                variables = {"id": ids[pick % len(ids)]}
                expected = await _run(app, engines["fallback"], query, variables, actor)
                answered.clear()
                with count_statements() as counter:
                    got = await _run(app, engines["compiled"], query, variables, actor)
                assert got == expected, (who, query, variables)
                checked += 1
                if answered:
                    assert not expected["errors"] and len(counter.statements) == 1
                    compiled_types.update(answered)
    assert checked >= 1500, checked
    assert compiled_types == {"Asset", "Resource", "Organization", "DataItem"}, compiled_types


async def test_on_postgresql_the_statement_runs_on_asyncpg_itself(
    app, engines, world, count_statements, monkeypatch, is_postgres
):
    """SQLAlchemy compiles a compiled read's statement and binds it; on PostgreSQL asyncpg
    runs it (its execution and result layers cost ~150 µs a page), still counted."""
    executed: list[Any] = []
    execute = AsyncConnection.execute

    async def counted(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(statement)
        return await execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "execute", counted)
    holder = world["callers"]["holder"]
    query = ASSETS % (20, world["ids"]["holder"])
    by_id = "query Q($id: ID!) { node(id: $id) { ... on Asset { name holder { name } } } }"
    for text, variables in ((query, {}), (by_id, {"id": world["nodes"][3]})):
        for _ in range(2):  # compiled once, then from the cache
            executed.clear()
            with count_statements() as counter:
                got = await _run(app, engines["compiled"], text, variables, holder)
            assert not got["errors"] and len(counter.statements) == 1
            assert len(executed) == (0 if is_postgres else 1)
            assert got == await _run(app, engines["fallback"], text, variables, holder)


async def test_a_page_statement_is_built_once_per_listing_shape(
    app, engines, world, monkeypatch, is_postgres
):
    """On PostgreSQL a page's SQL is made once per listing shape, with a cursor or without,
    and each request binds its own values: two holders' assets for two callers (visibility
    and filter that differ by bound value only), page after page, each the resolvers'
    answer. SQLite builds the statement each time (SQLAlchemy's cache keys it)."""
    built: list[Any] = []
    original = jsonread._page_statement

    def counting(*args: Any) -> Any:
        built.append(args[0])
        return original(*args)

    monkeypatch.setattr(jsonread, "_page_statement", counting)
    monkeypatch.setattr(jsonread, "_PAGES", OrderedDict())
    query = """query Q($h: ID, $a: String) { assets(first: 2, after: $a, filter: {holder: $h})
      { edges { cursor node { id name status holder { name } } } } }"""
    requests, seen = 0, set()
    for who in ("holder", "other holder"):
        for holder in ("holder", "other"):
            after = None
            while True:
                variables = {"h": world["ids"][holder], "a": after}
                got = await _run(app, engines["compiled"], query, variables, world["callers"][who])
                requests += 1
                assert got == await _run(
                    app, engines["fallback"], query, variables, world["callers"][who]
                )
                edges = got["data"]["assets"]["edges"]
                seen.update((who, holder, e["node"]["id"]) for e in edges)
                if len(edges) < 2:
                    break
                after = edges[-1]["cursor"]
    assert requests >= 8 and len({(w, h) for w, h, _ in seen}) == 4
    assert len(built) == (2 if is_postgres else requests)
    assert None not in jsonread._PAGES.values()


CATALOGUE = """query Q($o: ID) { resources(first: 20, filter: {owner: $o}) { nodes { code isStale
  owner { name } dataItems { code name sourceDepartment { id } } } }
  dataItems(sourceDepartment: $o) { edges { cursor node { id code sensitivePersonal } } } }"""


async def test_the_catalogue_in_one_statement_per_root_field(app, engines, world, count_statements):
    """One agency's resources with their items (in the items' one order) and its items."""
    variables = {"o": world["ids"]["other"]}
    for who, seen in (("agency", 5), ("holder", 4), ("authority", 5), ("anonymous", 2)):
        actor = world["callers"][who]
        query = CATALOGUE if actor else CATALOGUE.split("dataItems(")[0] + "}"
        with count_statements() as counter:
            got = await _run(app, engines["compiled"], query, variables, actor)
        assert not got["errors"] and len(counter.statements) == (2 if actor else 1)
        assert got == await _run(app, engines["fallback"], query, variables, actor)
        nodes = got["data"]["resources"]["nodes"]
        assert len(nodes) == seen and {n["isStale"] for n in nodes} == {True, seen == 2}
        assert max(len(n["dataItems"]) for n in nodes) == 2  # in code order, not insertion
        if actor:
            assert len(got["data"]["dataItems"]["edges"]) == 3


async def test_stale_is_read_against_the_clock_each_time(app, engines, world, monkeypatch):
    """The plan is made once; the time `isStale` compares with is each execution's."""
    query = "query Q($o: ID) { resources(filter: {owner: $o}) { nodes { code isStale } } }"
    variables, actor = {"o": world["ids"]["other"]}, world["callers"]["agency"]
    for days in (0, 10, 0):
        later = datetime.now(UTC) + timedelta(days=days)
        monkeypatch.setattr("core.clock.now", lambda later=later: later)
        monkeypatch.setattr("schema.registry.types.now", lambda later=later: later)
        got = await _run(app, engines["compiled"], query, variables, actor)
        assert got == await _run(app, engines["fallback"], query, variables, actor)
        stale = [n["isStale"] for n in got["data"]["resources"]["nodes"]]
        assert stale == (
            [True, False, False, True, False] if days == 0 else [True] * 2 + [False] + [True] * 2
        )


@pytest.mark.parametrize(
    "selection",
    [
        "id rights",  # a field no shape describes
        "id objections { id }",
        "id name @include(if: true)",  # directives are left to graphql-core
        "id certificate { rights number }",
        "id currentValuation { inputs }",
    ],
)
async def test_uncovered_selections_fall_back_and_answer_correctly(
    app, engines, world, count_statements, selection
):
    query = "query Q($h: ID) { assets(first: 5, filter: {holder: $h}) { edges { node { %s } } } }"
    query, variables = query.replace("%s", selection), {"h": world["ids"]["holder"]}
    holder = world["callers"]["holder"]
    with count_statements() as counter:
        got = await _run(app, engines["compiled"], query, variables, holder)
    assert got == await _run(app, engines["fallback"], query, variables, holder)
    assert not got["errors"] and len(got["data"]["assets"]["edges"]) == 5
    # the resolvers' page (and loaders) ran, not a compiled statement
    assert counter.statements and not any("json_" in sql for sql in counter.statements)


async def test_errors_fall_back(app, engines, world, caplog):
    holder = world["callers"]["holder"]
    null_first = "query Q($f: Int) { organizations(first: $f) { edges { cursor } } }"
    for query, variables, code in [
        ("{ organizations(first: 2) { edges { cursor } } }", {}, "UNAUTHENTICATED"),
        ('{ assets(after: "nope") { edges { cursor } } }', {}, "BAD_USER_INPUT"),
        ("{ assets(first: 101) { edges { cursor } } }", {}, "BAD_USER_INPUT"),
        ('{ assets(filter: {holder: "bad"}) { edges { cursor } } }', {}, "BAD_USER_INPUT"),
        (null_first, {"f": None}, "BAD_USER_INPUT"),
        ("query Q($k: OrganizationKind) { organizations(kind: $k) { __typename } }", {"k": "X"},
         "BAD_USER_INPUT"),
    ]:  # fmt: skip
        actor = None if code == "UNAUTHENTICATED" else holder
        got = await _run(app, engines["compiled"], query, variables, actor)
        assert got == await _run(app, engines["fallback"], query, variables, actor)
        assert got["errors"][0]["extensions"]["code"] == code, got
    # the caller's mistakes are the resolvers' to answer, not failures of a compiled read
    assert not [r for r in caplog.records if r.name == "schema.compiled" and r.levelno >= 30]


async def test_visibility_is_the_resolvers(app, engines, world):
    """One holder's drafts: its own and the authority's to see, nobody else's."""
    query = "query Q($h: ID) { assets(filter: {status: DRAFT, holder: $h}) { nodes { id } } }"
    callers, variables = world["callers"], {"h": world["ids"]["holder"]}
    for who in ("holder", "other holder", "anonymous", "authority", "agency", "data_subject"):
        got = await _run(app, engines["compiled"], query, variables, callers[who])
        assert got == await _run(app, engines["fallback"], query, variables, callers[who])
        seen = {n["id"] for n in got["data"]["assets"]["nodes"]}
        assert (world["drafts"] <= seen) == (who in ("holder", "authority")), who
        if who not in ("holder", "authority", "auditor"):
            assert not seen & world["drafts"], who


def test_mutations_subscriptions_and_uncovered_roots_are_not_planned(engines):
    schema = engines["compiled"]._schema
    plans = PlanCache()
    for text in (
        'mutation { changeOrganizationKind(input: {organization: "x", kind: AGENCY, reason: "r"})'
        " { userErrors { code } } }",
        "subscription { __typename }",
        "{ __typename }",
        "{ viewer { roles } assets { edges { cursor } } }",  # one root is not covered
        "query A { assets { nodes { id } } } query B { assets { nodes { name } } }",
    ):
        assert plans.get(schema, text, parse(text), None) is None, text
    text = "query A { assets { nodes { id } } } query B { viewer { roles } }"
    assert plans.get(schema, text, parse(text), "A") is not None
    assert plans.get(schema, text, parse(text), "B") is None
