"""How failures reach the caller: `userErrors` in payloads, coded GraphQL errors, masking.

- `perform`, the one mutation runner, runs one mutation's use case in one transaction
  (`core.usecase.run`) and turns a `UserError` into `userErrors`; nothing the use case wrote
  survives a failure (a refusal's after-rollback step records the attempt afterwards).
- `payload` runs a mutation's use case through `perform` and builds its payload: the one
  way a resolver answers (`return await payload(info, use_case, DealPayload, deal=Deal.from_row)`).
- `with_codes` builds a mutation's description from the `Code` members it can raise, so the
  SDL lists every code (`tests/house/test_error_codes.py` checks it against the raise sites).
- `ErrorPolicy` gives every GraphQL error an `extensions.code`, and replaces unexpected
  exceptions with a masked message carrying the request id, logging the real one.
- `CodedParserCache` gives parse errors (syntax, token limit) the code `GRAPHQL_PARSE_FAILED`.
- `PdexSchema.process_errors` logs the client's mistakes (validation, parse, refused,
  bad input) at INFO with their code and path only: never the query document, which may
  hold a resident ID (issue 10 §3). Unexpected errors are logged once, by `ErrorPolicy`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

import strawberry
from graphql import GraphQLError, ValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionContext

from core.db import AsyncSession
from core.errors import AuthError, UserError
from core.identity import Principal
from core.usecase import run
from schema.context import Info

if TYPE_CHECKING:
    from schema.compiled import PlanCache

log = logging.getLogger("pdex.graphql")
T = TypeVar("T")


class Code(StrEnum):
    """Codes the API layer raises itself (global IDs, input shapes the schema checks)."""

    FIELD_REQUIRED = "FIELD_REQUIRED"
    ID_INVALID = "ID_INVALID"
    METHOD_INPUTS_REQUIRED = "METHOD_INPUTS_REQUIRED"


def with_codes(
    text: str, *codes: StrEnum, notes: Mapping[StrEnum, str] | None = None, after: str = ""
) -> str:
    """A mutation's description: `text`, then "userErrors codes: A, B (note), C.", then `after`.
    The codes are `Code` members (of any package), listed in the order given, each once."""
    notes = notes or {}
    listed = [f"{c.value} ({notes[c]})" if c in notes else c.value for c in dict.fromkeys(codes)]
    return f"{text} userErrors codes: {', '.join(listed)}.{after}"


@strawberry.type(
    name="UserError", description="A problem with the input of a mutation. Nothing was changed."
)
class UserErrorType:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null when no one field is."
    )
    message: str = strawberry.field(description="For people: what is wrong and how to fix it.")
    code: str = strawberry.field(
        description="For programs: a stable SCREAMING_SNAKE code, listed on each mutation."
    )


def _camel(name: str | None) -> str | None:
    if name is None:
        return None
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def user_errors(error: UserError) -> list[UserErrorType]:
    return [
        UserErrorType(field=_camel(p.field), message=p.message, code=p.code) for p in error.problems
    ]


async def perform(
    info: Info, action: Callable[[AsyncSession, Principal | None], Awaitable[T]]
) -> tuple[T | None, list[UserErrorType]]:
    """Run a use case as every use case runs (`core.usecase.run`: one transaction, and a
    refusal's after-rollback step); return its result or the user errors it raised."""
    context = info.context
    try:
        return await run(context.db, context.actor, action), []
    except UserError as error:
        return None, user_errors(error)


P = TypeVar("P")


async def payload(
    info: Info,
    action: Callable[[AsyncSession, Principal | None], Awaitable[T]],
    make: Callable[..., P],
    **fields: Callable[[T], object],
) -> P:
    """Run `action` as `perform` does and answer with `make(<field>=convert(result),
    user_errors=[])`, or, when it raised a `UserError`, `make(<field>=None, user_errors=…)`."""
    result, errors = await perform(info, action)
    values = {
        name: convert(result) if result is not None else None for name, convert in fields.items()
    }
    return make(**values, user_errors=errors)


class ErrorPolicy(SchemaExtension):
    """Code every error; mask the unexpected ones (DESIGN.md, GraphQL conventions)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        result.errors = [coded(error, request_id) for error in result.errors]


def coded(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The error as the caller sees it: with its `extensions.code`; an unexpected exception
    masked (logged here, with its traceback and the request id). `ErrorPolicy` and the lean
    HTTP path (`server.lean`) both answer with this."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None:
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return _with(error, error.message, extensions)
    if isinstance(original, AuthError):
        extensions["code"] = original.code
        return _with(error, str(original), extensions)
    if isinstance(original, UserError):
        extensions.update(code="BAD_USER_INPUT", reason=original.code)
        if original.field:
            extensions["field"] = _camel(original.field)
        return _with(error, str(original), extensions)
    if isinstance(original, GraphQLError):  # e.g. a bad variable value
        extensions.setdefault("code", "BAD_USER_INPUT")
        return _with(error, error.message, extensions)
    log.error(
        "unexpected error in resolver",
        exc_info=original,
        extra={"request_id": request_id, "path": error.path},
    )
    return _with(
        error,
        f"Internal error. Quote request id {request_id} when reporting it.",
        {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


PARSE_FAILED = "GRAPHQL_PARSE_FAILED"


class CodedParserCache(ParserCache):
    """Strawberry's parser cache whose syntax and token-limit errors carry a code."""

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLError as error:
            error.extensions = {**(error.extensions or {}), "code": PARSE_FAILED}
            raise


def is_client_mistake(error: GraphQLError) -> bool:
    """Parse and validation errors, refused callers and bad input: the caller's doing."""
    original = error.original_error
    return original is None or isinstance(original, (AuthError, UserError, GraphQLError))


class PdexSchema(strawberry.Schema):
    """The schema with pdex's error logging (strawberry's logs each error with its query
    excerpt at ERROR). `build_schema` also keeps here the limit rules, the token limit and
    the compiled-read plans its extensions use, for the lean HTTP path (`server.lean`)."""

    limit_rules: tuple[type[ValidationRule], ...] = ()
    max_tokens: int | None = None
    plans: PlanCache | None = None  # None: compiled reads off

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if not is_client_mistake(error):
                continue  # logged with its traceback, once, by ErrorPolicy
            original = error.original_error
            code = (error.extensions or {}).get("code") or getattr(original, "code", None)
            log.info(
                "graphql request refused",
                extra={
                    "code": code or "GRAPHQL_VALIDATION_FAILED",
                    "path": error.path,
                    "error": type(original).__name__ if original else "GraphQLError",
                },
            )
