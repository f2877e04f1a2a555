"""`pdex token` signs only what the API would accept (issue 10 §5), and `pdex` refuses an
OIDC configuration without an issuer (issue 17 item 4)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from core.identity import Role
from core.models import OrganizationKind
from core.settings import SettingsError, get_settings, load_settings
from schema.relay import to_global_id
from server.cli import main


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("PDEX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PDEX_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PDEX_TOKEN_SECRET", settings.token_secret)
    monkeypatch.delenv("PDEX_OIDC_JWKS_URL", raising=False)
    monkeypatch.delenv("PDEX_OIDC_ISSUER", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def pdex(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_token_refuses_roles_the_organisation_may_not_hold(cli_env, make_caller, app, capsys):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    refused = {
        ("--role", "broker"): "role broker needs an organisation (org)",
        ("--role", "authority", "--org", str(firm.org_id)): (
            "role authority may not be held for an organisation of kind MARKET_ENTITY"
        ),
        ("--role", "agency", "--org", str(uuid.uuid4())): "does not exist",
        ("--role", "agency", "--org", "not-an-id"): "neither a UUID nor an organisation ID",
    }
    for args, reason in refused.items():
        assert await pdex("token", *args) == 2, args
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1 and reason in err, (args, err)
    global_id = to_global_id("Organization", firm.org_id)
    for org in (str(firm.org_id), global_id):
        assert await pdex("token", "--role", "market_entity", "--org", org) == 0
        token = capsys.readouterr().out.strip()
        response = await app_client_viewer(app, token)
        assert response == {"organization": {"id": global_id}}, org
    assert await pdex("token", "--role", "auditor") == 0  # anyone may audit


async def app_client_viewer(app, token):
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { organization { id } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return response.json()["data"]["viewer"]


def test_an_oidc_url_without_an_issuer_refuses_to_start(cli_env, capsys):
    cli_env.setenv("PDEX_OIDC_JWKS_URL", "https://idp.example/jwks.json")
    with pytest.raises(SettingsError, match="PDEX_OIDC_ISSUER"):
        load_settings()
    assert main(["serve", "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: PDEX_OIDC_JWKS_URL is set but"), err


def test_token_in_oidc_mode_says_where_tokens_come_from(cli_env, capsys):
    cli_env.setenv("PDEX_OIDC_JWKS_URL", "https://idp.example/jwks.json")
    cli_env.setenv("PDEX_OIDC_ISSUER", "https://idp.example")
    assert main(["token", "--role", "auditor"]) == 2
    err = capsys.readouterr().err
    assert "identity provider" in err and err.count("\n") == 1


async def test_serve_demo_with_oidc_says_demo_tokens_need_pdex_signing(
    fresh_db, fresh_settings, capsys
):
    """Issue 17: `pdex serve --demo` with OIDC on seeds the demo and says plainly why it
    prints no tokens (it failed with a RuntimeError)."""
    from dataclasses import replace

    from server.cli import _prepare

    oidc = replace(
        fresh_settings, oidc_jwks_url="https://idp.example/jwks.json", oidc_issuer="https://idp"
    )
    assert await _prepare(fresh_db, oidc, True) == {}
    out = capsys.readouterr().out
    assert "demo tokens" in out and "pdex's own signing" in out and "PDEX_OIDC_JWKS_URL" in out
