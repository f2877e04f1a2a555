"""The baseline for `bench/api.py`: the same stack as pdex with none of pdex in it.

A minimal strawberry schema whose `viewer { roles }` returns constants, mounted on Starlette
exactly as pdex mounts its endpoint, with the same ParserCache + ValidationCache extensions
and served by uvicorn with the same settings as `pdex serve`. No auth, no database, no
middleware, no logging: `pdex (a) / bare (a)` is the price of pdex's own request path.

    .venv/bin/python bench/bare_app.py --port 8100
"""

from __future__ import annotations

import argparse
from enum import Enum

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache


@strawberry.enum(name="Role")
class Role(Enum):
    AUTHORITY = "authority"


@strawberry.type
class Viewer:
    subject: str
    roles: list[Role]


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self) -> Viewer:
        return Viewer(subject="bench", roles=[Role.AUTHORITY])


schema = strawberry.Schema(
    query=Query,
    extensions=[
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ],
)


def create_app() -> Starlette:
    graphql = GraphQL(schema)
    return Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    print(f"bare strawberry serving http://{args.host}:{args.port}/graphql", flush=True)
    # The same call as `pdex serve` (server/cli.py), so the event loop and HTTP parser match.
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
