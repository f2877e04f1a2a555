"""The two kinds of failure a caller can see.

- `UserError`: bad input or a broken rule. Mutations return it as `userErrors { field message
  code }`; nothing was changed. Codes are SCREAMING_SNAKE and stable: programs match on them.
- `AuthError` (`Unauthenticated`, `Forbidden`): the caller may not do this at all. The API
  reports it as a GraphQL error with `extensions.code`.

Anything else is a bug: the API masks it and logs it with the request id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.db import Database
    from core.identity import Principal

AfterRollback = Callable[["Database", "Principal | None"], Awaitable[Any]]


class Code(StrEnum):
    """The codes core's own rules raise (pagination, working-day counting).

    Every package that raises `UserError`s has one such enum: `<domain>/errors.py`, the
    API's own in `schema/errors.py`. A raise site names a member, never a string; each
    mutation's description is built from the members it can raise
    (`schema.errors.with_codes`), and `tests/house/test_error_codes.py` fails when a mutation
    can raise a code its description does not list. Values are stable: programs match on
    them."""

    CURSOR_INVALID = "CURSOR_INVALID"
    PAGE_SIZE_INVALID = "PAGE_SIZE_INVALID"
    TIME_ZONE_REQUIRED = "TIME_ZONE_REQUIRED"
    WORKING_DAYS_INVALID = "WORKING_DAYS_INVALID"
    YEAR_OUT_OF_RANGE = "YEAR_OUT_OF_RANGE"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None

    def __post_init__(self) -> None:
        # A member of a `Code` enum is kept as its plain value: payloads and the ledger see str.
        object.__setattr__(self, "code", str(self.code))


class UserError(Exception):
    """One or more problems with the caller's input; raise it before changing anything.

    A refusal that must leave a record although its transaction rolls back (a broker's
    attempt, counted by supervision) carries that step as `after_rollback(db, actor)`:
    `core.usecase.run`, the one way use cases are run, awaits it after the rollback, in a
    transaction of its own, then raises the error on."""

    after_rollback: AfterRollback | None = None

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        more: tuple[Problem, ...] = (),
        after_rollback: AfterRollback | None = None,
    ) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (Problem(code, message, field), *more)
        if after_rollback is not None:
            self.after_rollback = after_rollback

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def field(self) -> str | None:
        return self.problems[0].field

    @classmethod
    def of(cls, problems: list[Problem]) -> UserError:
        first, *rest = problems
        return cls(first.code, first.message, first.field, more=tuple(rest))


class AuthError(Exception):
    code = "FORBIDDEN"


class Unauthenticated(AuthError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Sign in: this needs a bearer token.") -> None:
        super().__init__(message)


class Forbidden(AuthError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "Your roles do not allow this.") -> None:
        super().__init__(message)


class IdentityProviderUnavailable(AuthError):
    """The external identity provider's keys cannot be fetched and the token's key is not
    known: the caller is not refused (401) but asked to retry (HTTP 503)."""

    code = "IDENTITY_PROVIDER_UNAVAILABLE"

    def __init__(
        self,
        message: str = "The identity provider cannot be reached; try again shortly.",
        retry_after: int = 60,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until pdex will try the provider again
