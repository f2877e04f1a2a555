"""Abuse limits refused before execution, with clear errors (DESIGN.md)."""

from __future__ import annotations

from dataclasses import replace

import httpx
from graphql import parse

from schema.limits import count_nodes
from server.app import create_app


def nodes(query: str) -> int:
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    return count_nodes(operation.selection_set, fragments)


def test_node_budget_multiplies_nested_connections():
    assert nodes("{ viewer { roles } }") == 0
    assert nodes("{ organizations(first: 20) { edges { node { name } } } }") == 20
    # GitHub's rule: 10 + 10*5 = 60
    assert (
        nodes(
            "{ a: organizations(first: 10) { edges { node { b: organizations(first: 5) { edges { cursor } } } } } }"
        )
        == 60
    )
    # a variable counts as the cap (100); fragments are followed
    assert (
        nodes(
            "query($n: Int!) { ...F } fragment F on Query { organizations(first: $n) { edges { cursor } } }"
        )
        == 100
    )


async def test_depth_limit(gql, authority):
    deep = "{ viewer { organization { " + "registeredBy { " * 12 + "id" + " }" * 12 + " } } }"
    result = await gql(deep, caller=authority)
    assert "data" not in result or result["data"] is None
    assert "depth" in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_alias_limit(gql, authority):
    query = "{ " + " ".join(f"a{i}: viewer {{ subject }}" for i in range(31)) + " }"
    result = await gql(query, caller=authority)
    assert "aliases" in result["errors"][0]["message"]


async def test_token_limit(gql, authority):
    query = "{ viewer { " + "subject " * 2100 + "} }"
    result = await gql(query, caller=authority)
    assert "more than 2000 tokens" in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_syntax_errors_carry_a_code(gql):
    for query in ("{ viewer {", '{ resources(filter: {text: "\\ud800"}) { totalCount } }'):
        result = await gql(query)
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", query


async def test_node_budget_is_refused_before_execution(settings, authority, count_statements):
    # Only top-level lists exist yet, so prove the refusal with a smaller budget.
    small = create_app(replace(settings, max_nodes=150))
    query = "{ a: organizations(first: 100) { edges { cursor } } b: organizations(first: 51) { edges { cursor } } }"
    transport = httpx.ASGITransport(app=small)
    await small.state.tokens.verify(authority.token)  # warm-up: the organisation is cached
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        with count_statements(small.state.db.reader) as counter:
            response = await http.post("/graphql", json={"query": query}, headers=authority.headers)
        ok = await http.post(
            "/graphql", json={"query": query.replace("51", "50")}, headers=authority.headers
        )
    await small.state.db.dispose()
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "up to 151 nodes; the limit is 150" in error["message"]
    assert counter.statements == []  # refused before any SQL ran
    assert "errors" not in ok.json()


async def test_unknown_field_and_malformed_json(client, gql, authority):
    result = await gql("{ viewer { favouriteColour } }", caller=authority)
    assert "favouriteColour" in result["errors"][0]["message"]
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
