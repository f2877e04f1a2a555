"""What a browser sees: `GET /` (links to GraphiQL, the catalogue, the schema), GraphiQL
itself with its scripts served from this package (`/static/…`, no CDN: it works offline), and
`GET /schema.graphql` (the SDL)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"


@cache
def _page(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def graphiql_html() -> str:
    return _page("graphiql.html")


async def home(request: Request) -> Response:
    return HTMLResponse(_page("index.html"))


async def sdl(request: Request) -> Response:
    return PlainTextResponse(
        request.app.state.schema.as_str(), media_type="text/plain; charset=utf-8"
    )


class VendorFiles(StaticFiles):
    """The vendored GraphiQL files: versioned by name, so browsers may keep them a day."""

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def static_files() -> StaticFiles:
    return VendorFiles(directory=STATIC / "graphiql")
