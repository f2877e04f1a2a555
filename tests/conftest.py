"""Fixtures shared by every test: a real database (PostgreSQL or SQLite), the ASGI app,
an HTTP client and tokens.

The database comes from `PDEX_TEST_DATABASE_URL` (the test runner creates a fresh
PostgreSQL database per run); without it, a new SQLite file in a temporary directory.
"""

from __future__ import annotations

import itertools
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from core import migrate
from core.db import Database
from core.identity import Principal, Role, Tokens
from core.models import Organization, OrganizationKind
from core.settings import Settings, load_settings, normalize_database_url
from core.validators import make_org_code, make_uscc
from server.app import create_app


def pytest_report_header(config: pytest.Config) -> str:
    return f"pdex database: {test_database_url(Path('<tmp>')).split('@')[-1]}"


def test_database_url(tmp: Path) -> str:
    url = os.environ.get("PDEX_TEST_DATABASE_URL")
    return normalize_database_url(url) if url else f"sqlite+aiosqlite:///{tmp / 'test.sqlite3'}"


class CrossCheckedBls:
    """The signing backend in use, with every key, signature, proof and aggregate it makes
    compared with py_ecc's, the reference (issue 14 §6). Verification is not repeated: the
    reference's pairings take 0.3-0.8 s each (tests/ledger/test_signing.py compares verdicts)."""

    def __init__(self, impl: Any, reference: Any) -> None:
        self.impl, self.reference, self.name = impl, reference, impl.name
        self.verify = impl.verify
        self.verify_possession = impl.verify_possession
        self.fast_aggregate_verify = impl.fast_aggregate_verify

    def _same(self, method: str, *args: Any) -> bytes:
        made = getattr(self.impl, method)(*args)
        assert made == getattr(self.reference, method)(*args), f"{self.name}.{method} != py_ecc"
        return made  # type: ignore[no-any-return]

    def public_key(self, sk: int) -> bytes:
        return self._same("public_key", sk)

    def sign(self, sk: int, msg: bytes) -> bytes:
        return self._same("sign", sk, msg)

    def prove_possession(self, sk: int) -> bytes:
        return self._same("prove_possession", sk)

    def aggregate(self, sigs: Any) -> bytes:
        return self._same("aggregate", list(sigs))


@pytest.fixture(scope="session", autouse=True)
def bls_cross_checked() -> Iterator[None]:
    from ledger import signing

    if signing._impl is signing.PyEcc:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing, "_impl", CrossCheckedBls(signing._impl, signing.PyEcc))
        yield


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("pdex-data")
    base = load_settings()
    return replace(
        base,
        data_dir=data_dir,
        database_url=test_database_url(data_dir),
        token_secret="test-secret-" + secrets.token_hex(16),
        oidc_jwks_url=None,
        ledger_key_file=None,
        # The suite makes thousands of requests from one address, some at once: rate limits are tested
        # where they are the point (tests/server/test_ratelimit.py), off elsewhere; a loaded
        # machine must not turn a slow test into an execution timeout.
        rate_limit=0.0,
        max_concurrent=0,
        execution_timeout=120.0,
    )


@pytest.fixture
async def fresh_settings(settings: Settings, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings pointing at a brand-new, empty database of the suite's engine."""
    if settings.is_sqlite:
        yield replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
        return
    import asyncpg

    base = settings.database_url.rpartition("/")[0]
    name = f"pdex_fresh_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield replace(settings, database_url=f"{base}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def fresh_db(fresh_settings: Settings) -> AsyncIterator[Database]:
    """A new database migrated to head: for tests that need an empty ledger."""
    database = Database(fresh_settings)
    await migrate.upgrade(database.writer)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def is_postgres(settings: Settings) -> bool:
    return not settings.is_sqlite


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    # Organisations' kinds stay cached for the session (30 s in production): a statement
    # count must not catch the token check's lookup however slow the machine is
    # (tests/core/test_identity.py pins the expiry itself).
    application.state.tokens.ORGANIZATION_TTL = 24 * 3600.0
    await migrate.upgrade(application.state.db.writer)
    yield application
    await application.state.db.dispose()


@pytest.fixture(scope="session")
def db(app: Any) -> Database:
    return app.state.db


@pytest.fixture(scope="session")
def tokens(settings: Settings) -> Tokens:
    return Tokens(settings)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pdex.test") as http:
        yield http


_serial = itertools.count(1)


def _new_uscc() -> str:
    """A valid, unique unified social credit code (GB 32100-2015)."""
    body = f"{secrets.randbelow(36**4):04X}{next(_serial) % 10_000:04d}"[-8:]
    body = (
        body.replace("I", "1")
        .replace("O", "0")
        .replace("Z", "2")
        .replace("S", "5")
        .replace("V", "7")
    )
    return make_uscc("91440700" + make_org_code(body))


@pytest.fixture(scope="session")
def new_uscc() -> Any:
    return _new_uscc


@dataclass(frozen=True)
class Caller:
    """An organisation (or a person) with a token, as tests act through the API."""

    org_id: uuid.UUID | None
    principal: Principal
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def make_caller(app: Any, db: Database, tokens: Tokens) -> Any:
    """Create an organisation of `kind` directly in the database and a token for `role`.
    The token is verified once by the app, as its first request would: the app then knows
    the organisation (cached for `Tokens.ORGANIZATION_TTL`), so a statement count taken
    soon after sees the query's statements only."""

    async def make(
        role: Role, kind: OrganizationKind | None = None, *, sub: str | None = None
    ) -> Caller:
        org_id = None
        if kind is not None:
            async with db.transaction() as session:
                org = Organization(
                    kind=kind, name=f"Test {kind.value} {uuid.uuid4().hex[:8]}", uscc=_new_uscc()
                )
                session.add(org)
                await session.flush()
                org_id = org.id
        sub = sub or f"user-{uuid.uuid4()}"
        token = tokens.issue(roles=[role], org=org_id, sub=sub)
        await app.state.tokens.verify(token)
        return Caller(org_id, Principal(sub, org_id, frozenset({role})), token)

    return make


ROLE_KIND = {
    Role.AUTHORITY: OrganizationKind.AUTHORITY,
    Role.AGENCY: OrganizationKind.AGENCY,
    Role.BROKER: OrganizationKind.BROKER,
    Role.MARKET_ENTITY: OrganizationKind.MARKET_ENTITY,
    Role.AUDITOR: OrganizationKind.AUDITOR,
    Role.DATA_SUBJECT: None,
}


@pytest.fixture(scope="session")
async def authority(make_caller: Any) -> Caller:
    return await make_caller(Role.AUTHORITY, OrganizationKind.AUTHORITY)


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Any:
    """POST a GraphQL document; return the decoded JSON body (asserting HTTP 200)."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        caller: Caller | None = None,
        *,
        status: int = 200,
    ) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=caller.headers if caller else {},
        )
        assert response.status_code == status, response.text
        return response.json()

    return run


class StatementCounter:
    """Counts SQL statements sent by an engine while active (DESIGN.md: pin them in tests)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def mutation(self) -> list[str]:
        """The statements before the ledger sequencer's batch: the mutation's own."""
        for i, statement in enumerate(self.statements):
            if "FROM ledger_head" in statement:  # a batch begins by locking the head
                return self.statements[:i]
        return self.statements

    @property
    def batch(self) -> list[str]:
        """The sequencer's batch after the mutation (`ledger.sequencer.sequence_batch`)."""
        return self.statements[len(self.mutation) :]


@pytest.fixture
def count_statements(db: Database) -> Iterator[Any]:
    def start(engine: Any = None) -> StatementCounter:
        return StatementCounter(engine or db.reader)

    yield start
