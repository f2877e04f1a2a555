"""The lean path for the common /graphql request (issue 14 item 3, fixed cost per request).

strawberry's HTTP view and its extension runner were ~40 % of the CPU of a `{ __typename }`
request (py-spy, BENCHMARKS.md). `LeanGraphQL` answers the common request itself — a POST
whose `Content-Type` is `application/json` and whose body is one JSON object, or a GET with a
`query` — and runs the steps of the schema's extensions directly, in their order:

1. parse (with the token limit) and validate (with the limit rules), once per query text and
   operation name, kept in a bounded LRU like strawberry's parser and validation caches;
2. the input sanitizer (`schema.sanitize.input_problems`);
3. compiled reads (`schema.compiled.CompiledReads`, on the schema's plan cache);
4. graphql-core's `execute`, with strawberry's execution context class (what resolvers see
   is the same);
5. error logging (`PdexSchema.process_errors`), then coding and masking
   (`schema.errors.coded`, what `ErrorPolicy` does);
6. within the execution timeout (`server.bounds.timed_out`),

and encodes the answer with orjson, as the view does (`json_body`).

Everything else goes to strawberry's view unchanged: other content types, batches, bodies
orjson does not decode, a document that does not parse or validate, an operation the method
may not run, a refused string argument. So every error answer before execution still comes
from one place, and this path answers only what both answer alike; `tests/server/test_lean.py`
sends a corpus through both and requires identical responses. `PDEX_LEAN_REQUESTS=0` sends
every request to the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    specified_rules,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import ValidationCache
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation, get_operation_type

from schema.compiled import CompiledReads
from schema.context import Context
from schema.errors import CodedParserCache, ErrorPolicy, PdexSchema, coded
from schema.limits import QueryLimits
from schema.sanitize import InputSanitizer, input_problems, operation_named
from server.bounds import timed_out

log = logging.getLogger("pdex.http")

# What each method may run here; strawberry's view also lets subscriptions through (and
# answers them with an error): those, and mutations over GET (400), go to the view.
ALLOWED = {
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
    "GET": frozenset({OperationType.QUERY}),
}
JSON = b"application/json"
# The extensions whose steps `LeanGraphQL` runs itself. A schema with any other extension is
# refused when the app is built: its step must be added here first (and to the corpus of
# tests/server/test_lean.py), or the two paths would answer differently.
KNOWN_EXTENSIONS = frozenset(
    {ErrorPolicy, QueryLimits, InputSanitizer, CodedParserCache, ValidationCache, CompiledReads}
)


def json_body(data: object) -> bytes:
    """orjson (a tenth of `json.dumps`' time on a 20-row page). A string orjson refuses (a
    lone surrogate) falls back to the standard encoder."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Prepared:
    """A parsed, valid document and what strawberry would derive from it for one operation
    name."""

    document: DocumentNode
    operation_name: str | None  # as strawberry resolves it: the first operation's if none sent
    operation: OperationDefinitionNode | None  # what the input sanitizer checks
    fragments: dict[str, FragmentDefinitionNode]
    kind: OperationType


@dataclass(frozen=True)
class Request:
    """One plain GraphQL request, as strawberry's view would read it."""

    method: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class LeanGraphQL:
    """ASGI app for /graphql, inside `Authenticate` and `RateLimited`: answers plain requests
    itself, passes everything else (websockets included) to `view`, strawberry's."""

    def __init__(
        self,
        view: ASGIApp,
        schema: PdexSchema,
        make_context: Callable[[Any], Context],
        maxsize: int = 512,
    ) -> None:
        unknown = {type(e) for e in schema.get_extensions()} - KNOWN_EXTENSIONS
        if unknown:
            names = ", ".join(sorted(cls.__name__ for cls in unknown))
            raise TypeError(f"server.lean does not run the steps of {names}")
        self.view = view
        self.schema = schema
        self.make_context = make_context
        self.maxsize = maxsize
        self.rules = (*specified_rules, *schema.limit_rules)
        self.prepared: OrderedDict[tuple[str, str | None], Prepared | None] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in ALLOWED:
            await self.view(scope, receive, send)
            return
        body: bytes | None = b""
        if method == "POST":
            messages = await _read_body(receive)
            receive = _replay(messages, receive)
            body = _body(messages)
        request = _request(scope, method, body) if body is not None else None
        prepared = self._prepare(request) if request is not None else None
        if (
            request is None
            or prepared is None
            or prepared.kind not in ALLOWED[method]
            or (
                prepared.operation is not None
                and input_problems(prepared.operation, prepared.fragments, request.variables or {})
            )
        ):
            await self.view(scope, receive, send)
            return
        actor = (scope.get("state") or {}).get("actor")
        result, headers = await self._timed(request, prepared, self.make_context(actor))
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        body = json_body(response)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", JSON),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _prepare(self, request: Request) -> Prepared | None:
        key = (request.query, request.operation_name)
        try:
            prepared = self.prepared[key]
        except KeyError:
            pass
        else:
            self.prepared.move_to_end(key)
            return prepared
        prepared = self._parse(request.query, request.operation_name)
        self.prepared[key] = prepared
        if len(self.prepared) > self.maxsize:
            self.prepared.popitem(last=False)
        return prepared

    def _parse(self, query: str, operation_name: str | None) -> Prepared | None:
        """None when the view must answer: a parse or validation error, or no such operation."""
        schema = self.schema
        try:
            document = parse(query, max_tokens=schema.max_tokens)
            if validate_document(schema._schema, document, self.rules):
                return None
            if operation_name is None:
                first = get_first_operation(document)
                operation_name = first.name.value if first and first.name else None
            kind = get_operation_type(document, operation_name)
        except Exception:  # the view answers it, with its own error
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        operation = operation_named(document.definitions, operation_name)
        return Prepared(document, operation_name, operation, fragments, kind)

    async def _timed(
        self, request: Request, prepared: Prepared, context: Context
    ) -> tuple[ExecutionResult, list[tuple[bytes, bytes]]]:
        """What `server.bounds.TimedExecution` does around the view's execution."""
        seconds = context.settings.execution_timeout
        if not seconds:
            return await self._execute(request, prepared, context), []
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                return await self._execute(request, prepared, context), []
        except TimeoutError:
            if not deadline.expired():
                raise  # a timeout of the operation's own, not ours
        log.info("operation timed out", extra={"seconds": seconds})
        result, retry_after = timed_out(seconds)
        return result, [(b"retry-after", retry_after.encode())]

    async def _execute(
        self, request: Request, prepared: Prepared, context: Context
    ) -> ExecutionResult:
        schema = self.schema
        compiled = None
        if schema.plans is not None:
            compiled = CompiledReads(schema.plans)
            compiled.execution_context = execution = ExecutionContext(
                query=request.query,
                schema=schema,
                allowed_operations=ALLOWED[request.method],
                context=context,
                variables=request.variables,
                provided_operation_name=prepared.operation_name,
            )
            execution.graphql_document = prepared.document
            hook = compiled.on_execute()
            await anext(hook)
            if execution.result is not None:
                await _finish(hook)
                return execution.result  # type: ignore[return-value]
        try:
            result: Any = execute(
                schema._schema,
                prepared.document,
                context_value=context,
                variable_values=request.variables,
                operation_name=prepared.operation_name,
                executor_class=schema.execution_context_class,
                is_awaitable=optimized_is_awaitable,
                operation_extensions=request.extensions,
            )
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # graphql-core answers errors; this would be a bug in it
            result = ExecutionResult(data=None, errors=[GraphQLError(str(exc), original_error=exc)])
        finally:
            if compiled is not None:
                await _finish(hook)
        errors = result.errors
        if errors:
            schema.process_errors(errors)  # logged before coding, as strawberry does
            errors = [coded(error, context.request_id) for error in errors]
        return ExecutionResult(data=result.data, errors=errors)


async def _finish(hook: Any) -> None:
    with contextlib.suppress(StopAsyncIteration):
        await anext(hook)


def _request(scope: Scope, method: str, body: bytes) -> Request | None:
    """The request as strawberry's view would read it, or None when the view must: not JSON
    by exactly `application/json`, not one object, a value of the wrong type, or anything
    orjson does not decode (where `json.loads` may, or may refuse it otherwise)."""
    try:
        if method == "POST":
            if _header(scope, b"content-type") != JSON:
                return None
            data = orjson.loads(body)
            if not isinstance(data, dict):
                return None
        else:
            data = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))
            for name in ("variables", "extensions"):
                if data.get(name):
                    data[name] = orjson.loads(data[name])
    except orjson.JSONDecodeError:
        return None
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    extensions = data.get("extensions")
    if (
        not query
        or not isinstance(query, str)
        or not isinstance(variables, (dict, type(None)))
        or not isinstance(extensions, (dict, type(None)))
        or not isinstance(operation_name, (str, type(None)))
    ):
        return None
    return Request(method, query, variables, operation_name, extensions)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


async def _read_body(receive: Receive) -> list[Message]:
    """The messages that carry the body (`BoundedRequests` hands it over in one), or those
    up to a disconnect."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _body(messages: list[Message]) -> bytes | None:
    if messages[-1]["type"] != "http.request":
        return None  # the client went away: the view meets the disconnect as before
    return b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    """`receive` for the view after the body was read here: the same messages, then on."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
