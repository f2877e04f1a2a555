"""What a browser and a harvester see: the home page, GraphiQL without a CDN, the SDL, the
catalogue's own address, and request ids."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace

import httpx

from server.app import create_app

# SHA-384 of each vendored file: what strawberry-graphql pins for the same files on unpkg.
VENDORED = {
    "graphiql.min.js": "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "graphiql.min.css": "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "react.production.min.js": "tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom.production.min.js": "bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
}


async def test_home_page_links_graphiql_the_catalogue_and_the_schema(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', response.text))
    assert {"/graphql", "/catalogue.jsonld", "/schema.graphql"} <= links
    for link in links:  # every link on the page answers
        target = await client.get(link, headers={"Accept": "text/html"})
        assert target.status_code in (200, 503), link  # /readyz may say "not ready"


async def test_graphiql_loads_every_script_and_style_from_pdex(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL.createFetcher" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/graphiql/") for a in assets), assets  # no CDN
    assert "unpkg" not in page.text and "https://" not in page.text
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        name = asset.rsplit("/", 1)[1]
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert digest == VENDORED[name], name
        assert "max-age" in response.headers["cache-control"]
    assert set(VENDORED) == {a.rsplit("/", 1)[1] for a in assets}
    licence = await client.get("/static/graphiql/LICENSE.graphiql")
    assert licence.status_code == 200 and "MIT" in licence.text


async def test_the_schema_is_served_as_sdl(client, app):
    response = await client.get("/schema.graphql")
    assert response.status_code == 200
    assert "type Query" in response.text
    assert response.text == app.state.schema.as_str()


async def test_the_catalogue_names_itself_by_the_configured_address_not_the_host_header(
    settings, app
):
    async def catalogue_id(application, host: str) -> str:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://pdex.test") as http:
            response = await http.get("/catalogue.jsonld", headers={"Host": host})
        assert response.status_code == 200
        document = response.json()
        assert all(
            d["@id"].startswith(document["@id"].removesuffix(".jsonld"))
            for d in document["dcat:dataset"]
        )
        return document["@id"]

    unset = create_app(replace(settings, public_url=None))
    unset.state.db = app.state.db  # the suite's migrated database
    assert await catalogue_id(unset, "evil.example") == ("http://127.0.0.1:8000/catalogue.jsonld")
    configured = create_app(replace(settings, public_url="https://data.jiangmen.gov.cn"))
    configured.state.db = app.state.db
    assert await catalogue_id(configured, "evil.example") == (
        "https://data.jiangmen.gov.cn/catalogue.jsonld"
    )


async def test_only_a_plain_short_request_id_is_echoed(client):
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.01_x"})
    assert kept.headers["x-request-id"] == "lb-7f3a.01_x"
    for bad in [
        "a" * 65,  # too long
        "abc def",  # space
        'x"}\n{"level":"ERROR"',  # a forged log line
        "440704199001010179<script>",
        "",
    ]:
        response = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"]), bad
