"""`/console`: the web console, plain ES modules served from this package (no build step, no
CDN, no internet), and `/console/config.json`, what the browser needs before signing in: the
OIDC issuer and client id (PDEX_OIDC_ISSUER, PDEX_OIDC_CLIENT_ID) and, when the demo data was
seeded, the demo tokens — only to a browser on this machine (loopback), as `pdex serve` prints
them there. The console is a client of the public GraphQL API only; these files hold no data.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

FILES = Path(__file__).resolve().parent / "static" / "console"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def security_headers(issuer: str | None) -> dict[str, str]:
    """Scripts and styles from this origin only; fetches to it and to the OIDC issuer."""
    connect = " ".join(x for x in ("'self'", _origin(issuer)) if x)
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


# Art. 18: the console serves elderly and disabled users too: zh-CN and English, WCAG 2.1 AA,
# keyboard only, large text, 320 px (tests/console prove it in a real browser).
class ConsoleFiles(StaticFiles):
    def __init__(self, issuer: str | None) -> None:
        super().__init__(directory=FILES, html=True)
        self.headers = security_headers(issuer)

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers.update(self.headers)
        return response


async def config(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    oidc = None
    if settings.oidc_issuer:
        oidc = {
            "issuer": settings.oidc_issuer,
            "clientId": os.environ.get("PDEX_OIDC_CLIENT_ID", "pdex-console"),
        }
    demo: dict[str, str] = getattr(request.app.state, "demo_tokens", {})
    client = request.client.host if request.client else ""
    body = {"oidc": oidc, "demoTokens": demo if client in LOOPBACK else {}}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def routes(issuer: str | None) -> Mount:
    return Mount(
        "/console",
        routes=[Route("/config.json", config), Mount("/", ConsoleFiles(issuer))],
    )


__all__ = ["routes"]
