"""The two kinds of failure a caller can see.

- `UserError`: bad input or a broken rule. Mutations return it as `userErrors { field message
  code }`; nothing was changed. Codes are SCREAMING_SNAKE and stable: programs match on them.
- `AuthError` (`Unauthenticated`, `Forbidden`): the caller may not do this at all. The API
  reports it as a GraphQL error with `extensions.code`.

Anything else is a bug: the API masks it and logs it with the request id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


class UserError(Exception):
    """One or more problems with the caller's input; raise it before changing anything."""

    def __init__(
        self, code: str, message: str, field: str | None = None, *, more: tuple[Problem, ...] = ()
    ) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (Problem(code, message, field), *more)

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
