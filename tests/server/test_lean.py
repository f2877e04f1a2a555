"""The lean /graphql path (server/lean.py) answers exactly as strawberry's view does.

Every request of the corpus goes to two apps on the same database, one with the lean path
(the default) and one without (`PDEX_LEAN_REQUESTS=0`): status, headers (in order) and body
must be byte-identical. Each request also says whether the lean path should answer it itself
or hand it to the view, and a spy on the view checks that it did — so the test fails if the
lean path quietly hands everything over, or answers something it should not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from strawberry.extensions import MaskErrors

import authority as authority_domain
from core.identity import Role
from core.models import OrganizationKind
from schema import build_schema
from server.app import create_app
from server.lean import LeanGraphQL

LEAN, VIEW, NEITHER = "lean", "view", "neither"  # who answers on the lean app
REQUEST_ID = "lean-diff-1"  # both apps' masked errors quote the same request id

ORGS = (
    "{ organizations(first: 3) { edges { cursor node { id name kind registeredBy { name } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
ORGS_VARS = (
    "query Page($n: Int!, $after: String) { organizations(first: $n, after: $after) "
    "{ nodes { id name } pageInfo { endCursor } } }"
)
TWO_OPS = "query A { __typename } query B { viewer { subject } }"
REGISTER = (
    "mutation R($input: RegisterOrganizationInput!) { registerOrganization(input: $input) "
    "{ organization { id } userErrors { field message code } } }"
)
BAD_ORG = {"input": {"kind": "AGENCY", "name": "Lean test", "uscc": "not-a-code"}}
DEEP = "{ viewer { organization { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { registeredBy { name } } } } } } } } } } } } }"  # noqa: E501


@dataclass
class Case:
    name: str
    answers: str  # LEAN, VIEW or NEITHER
    method: str = "POST"
    json: Any = None
    content: bytes | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    caller: str | None = "authority"  # "authority", "agency" or None (anonymous)


def body(query: str, **rest: Any) -> dict[str, Any]:
    return {"query": query, **rest}


CASES = [
    # answered by the lean path
    Case("typename, anonymous", LEAN, json=body("{ __typename }"), caller=None),
    Case("viewer", LEAN, json=body("{ viewer { subject roles } }")),
    Case("compiled page", LEAN, json=body(ORGS)),
    Case("compiled page, variables", LEAN, json=body(ORGS_VARS, variables={"n": 2})),
    Case("bad cursor", LEAN, json=body(ORGS_VARS, variables={"n": 2, "after": "nope"})),
    Case("variable of the wrong type", LEAN, json=body(ORGS_VARS, variables={"n": "two"})),
    Case("variable missing", LEAN, json=body(ORGS_VARS, variables={})),
    Case("page too large", LEAN, json=body(ORGS_VARS, variables={"n": 1000})),
    Case("signed-in field, anonymous", LEAN, json=body(ORGS), caller=None),
    Case("operation named", LEAN, json=body(TWO_OPS, operationName="B")),
    Case("two operations, none named", LEAN, json=body(TWO_OPS)),
    Case("null variables and name", LEAN, json=body("{ __typename }", variables=None)),
    Case("extensions object", LEAN, json=body("{ __typename }", extensions={"x": 1})),
    Case(
        "directive and fragment",
        LEAN,
        json=body(
            "query($s: Boolean!) { viewer { ...V } } fragment V on Viewer "
            "{ subject @include(if: $s) roles }",
            variables={"s": False},
        ),
    ),
    Case("mutation, user errors", LEAN, json=body(REGISTER, variables=BAD_ORG)),
    Case("mutation, anonymous", LEAN, json=body(REGISTER, variables=BAD_ORG), caller=None),
    Case("mutation, wrong role", LEAN, json=body(REGISTER, variables=BAD_ORG), caller="agency"),
    Case("GET", LEAN, method="GET", params={"query": "{ viewer { subject } }"}),
    Case(
        "GET, variables",
        LEAN,
        method="GET",
        params={"query": ORGS_VARS, "variables": json.dumps({"n": 1})},
    ),
    # handed to strawberry's view
    Case("parse error", VIEW, json=body("{ viewer {")),
    Case("validation error", VIEW, json=body("{ nope }")),
    Case("too deep", VIEW, json=body(DEEP)),
    Case("too many tokens", VIEW, json=body("{ " + "__typename " * 2100 + "}")),
    Case(
        "too many aliases",
        VIEW,
        json=body("{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"),
    ),
    Case("no such operation", VIEW, json=body(TWO_OPS, operationName="C")),
    Case(
        "refused string",
        VIEW,
        json=body(REGISTER, variables={"input": {**BAD_ORG["input"], "name": "a\x00b"}}),
    ),  # noqa: E501
    Case(
        "lone surrogate",
        VIEW,
        content=b'{"query": "query($c: String!) { dataItem(code: $c) { code } }", '
        b'"variables": {"c": "\\ud800"}}',
        headers={"content-type": "application/json"},
    ),
    Case(
        "NaN",
        VIEW,
        content=b'{"query": "{ __typename }", "variables": {"x": NaN}}',
        headers={"content-type": "application/json"},
    ),
    Case("bad JSON", VIEW, content=b"{", headers={"content-type": "application/json"}),
    Case("empty body", VIEW, content=b"", headers={"content-type": "application/json"}),
    Case("batch", VIEW, json=[body("{ __typename }")]),
    Case("a string, not an object", VIEW, json="{ __typename }"),
    Case("query not a string", VIEW, json=body(5)),  # type: ignore[arg-type]
    Case("empty query", VIEW, json=body("")),
    Case("no query", VIEW, json={"variables": {}}),
    Case("variables a list", VIEW, json=body("{ __typename }", variables=[1])),
    Case("extensions a list", VIEW, json=body("{ __typename }", extensions=[1])),
    Case("operationName a number", VIEW, json=body("{ __typename }", operationName=5)),
    Case(
        "charset in content type",
        VIEW,
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    ),
    Case(
        "text/plain",
        VIEW,
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "text/plain"},
    ),
    Case("subscription over POST", VIEW, json=body("subscription { __typename }")),
    Case("mutation over GET", VIEW, method="GET", params={"query": REGISTER}),
    Case("GET, bad variables", VIEW, method="GET", params={"query": ORGS_VARS, "variables": "{"}),
    Case("GET, empty variables", VIEW, method="GET", params={"query": ORGS_VARS, "variables": ""}),
    Case("GraphiQL", VIEW, method="GET", headers={"accept": "text/html"}),
    Case("GET, no query", VIEW, method="GET"),
    # answered before GraphQL
    Case(
        "bad token",
        NEITHER,
        json=body("{ __typename }"),
        headers={"authorization": "Bearer x"},
        caller=None,
    ),
]


class ViewSpy:
    """Counts the requests the lean path hands to strawberry's view."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.view(scope, receive, send)


@pytest.fixture
async def pair(settings: Any) -> AsyncIterator[Any]:
    """`pair(**overrides)`: (lean app, view-only app) on the suite's database."""
    apps: list[Any] = []

    def make(**overrides: Any) -> tuple[Any, Any, ViewSpy]:
        lean = create_app(replace(settings, **overrides))
        plain = create_app(replace(settings, lean_requests=False, **overrides))
        apps.extend((lean, plain))
        spy = ViewSpy(lean.state.lean.view)
        lean.state.lean.view = spy
        return lean, plain, spy

    yield make
    for app in apps:
        await app.state.db.dispose()


async def respond(app: Any, case: Case, headers: dict[str, str]) -> tuple[int, Any, bytes]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://pdex.test") as http:
        response = await http.request(
            case.method,
            "/graphql",
            json=case.json,
            content=case.content,
            params=case.params,
            headers={"x-request-id": REQUEST_ID, **headers, **case.headers},
        )
    return response.status_code, response.headers.raw, response.content


async def compare(lean: Any, plain: Any, spy: ViewSpy, case: Case, headers: dict[str, str]) -> Any:
    before = spy.calls
    ours = await respond(lean, case, headers)
    theirs = await respond(plain, case, headers)
    assert ours == theirs, case.name
    if case.answers != NEITHER:
        handed = spy.calls - before
        assert handed == (case.answers == VIEW), f"{case.name}: handed to the view {handed} times"
    return ours


async def test_lean_path_answers_as_the_view_does(pair, authority, make_caller):
    lean, plain, spy = pair()
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    callers = {"authority": authority.headers, "agency": agency.headers, None: {}}
    statuses = set()
    for case in CASES:
        status, _, _ = await compare(lean, plain, spy, case, callers[case.caller])
        statuses.add(status)
    assert statuses == {200, 400, 401, 500}  # the corpus reaches the error answers too


async def test_lean_path_masks_unexpected_errors_and_times_out_alike(pair, authority, monkeypatch):
    # compiled reads off: the resolver's path (a compiled page never calls list_organizations)
    query = Case("resolver", LEAN, json=body("{ organizations { edges { cursor } } }"))

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(authority_domain, "list_organizations", broken)
    lean, plain, spy = pair(compiled_reads=False)
    _, _, answer = await compare(lean, plain, spy, query, authority.headers)
    error = json.loads(answer)["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": REQUEST_ID}

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(5)

    monkeypatch.setattr(authority_domain, "list_organizations", slow)
    lean, plain, spy = pair(compiled_reads=False, execution_timeout=0.2)
    _, headers, answer = await compare(lean, plain, spy, query, authority.headers)
    assert json.loads(answer)["errors"][0]["extensions"]["code"] == "EXECUTION_TIMEOUT"
    assert (b"retry-after", b"1") in headers


def test_lean_path_refuses_extensions_whose_steps_it_does_not_run(settings):
    schema = build_schema(settings)
    LeanGraphQL(ViewSpy(None), schema, lambda actor: None)  # the schema as built: accepted
    schema.extensions = [*schema.extensions, MaskErrors]
    with pytest.raises(TypeError, match="MaskErrors"):
        LeanGraphQL(ViewSpy(None), schema, lambda actor: None)
