"""The console's files as served (no browser): every asset from pdex itself, the size budget,
the security headers, and who gets the demo tokens."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx
import pytest

FILES = Path(__file__).parents[2] / "server" / "static" / "console"
BUDGET = 200 * 1024  # issue 15: console assets <= 200 KB gzipped in total


def test_the_console_fits_its_size_budget_gzipped():
    sizes = {p.name: len(gzip.compress(p.read_bytes(), 9)) for p in FILES.iterdir()}
    assert {"index.html", "app.js", "pages.js", "merkle.js", "i18n.js", "console.css"} <= set(sizes)
    assert sum(sizes.values()) <= BUDGET, sizes


def test_no_asset_comes_from_another_origin():
    for path in FILES.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), path.name
        assert not re.search(r"""(import|from)\s*\(?\s*["']https?://""", text), path.name
        assert 'localStorage.setItem("pdex.token' not in text
    # Tokens live in memory: the only storage writes are the language and text-size choices
    # and the OIDC verifier/state pending across the redirect (sessionStorage).
    app = (FILES / "app.js").read_text(encoding="utf-8")
    written = set(re.findall(r"""(localStorage|sessionStorage)\.setItem\("([^"]+)\"""", app))
    assert written == {
        ("localStorage", "pdex.lang"),
        ("localStorage", "pdex.large"),
        ("sessionStorage", "pdex.oidc"),
    }


async def test_the_console_is_served_with_a_strict_content_security_policy(client):
    page = await client.get("/console/")
    assert page.status_code == 200 and 'src="/console/app.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    for asset in re.findall(r'(?:src|href)="(/console/[^"]+)"', page.text):
        response = await client.get(asset)
        assert response.status_code == 200, asset
    home = await client.get("/")
    assert 'href="/console/"' in home.text


@pytest.mark.parametrize(("peer", "sees_tokens"), [("127.0.0.1", True), ("203.0.113.9", False)])
async def test_demo_tokens_go_only_to_a_browser_on_this_machine(app, peer, sees_tokens):
    app.state.demo_tokens = {"data_subject": "token-for-the-demo-citizen"}
    try:
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://pdex") as client:
            config = (await client.get("/console/config.json")).json()
    finally:
        del app.state.demo_tokens
    assert config["oidc"] is None
    assert bool(config["demoTokens"]) is sees_tokens


async def test_with_an_oidc_issuer_the_console_is_told_it_and_may_reach_it(settings):
    from dataclasses import replace

    from server.app import create_app

    issuer = "https://sso.example.gov.cn/realms/pdex"
    app = create_app(replace(settings, oidc_issuer=issuer))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://pdex") as client:
        config = (await client.get("/console/config.json")).json()
        page = await client.get("/console/")
    assert config["oidc"] == {"issuer": issuer, "clientId": "pdex-console"}
    assert config["demoTokens"] == {}
    assert (
        "connect-src 'self' https://sso.example.gov.cn;" in page.headers["content-security-policy"]
    )
