"""The `pdex` command: serve, migrate, token, bootstrap, ledger.

A wrong setting (database URL, port in use) is one line on stderr and exit status 2, never a
traceback. Heavy modules are imported inside the commands: each `--workers` process re-imports
this module when it starts (multiprocessing's spawn), and a slow start there was mistaken for
a hung worker (see `server/workers.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from core.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from core.db import Database
    from core.identity import Role
    from core.models import OrganizationKind
    from ledger import AuditReport, BundleReport

T = TypeVar("T")


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `12h`, `7d` (a bare number is seconds)."""
    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 15m, 12h or 7d")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return timedelta(seconds=int(match.group(1)) * unit)


class StartupError(Exception):
    """A setting the user must fix; `main` prints it as one line and exits 2."""


def with_database(
    work: Callable[[Database], Awaitable[T]],
    settings: Settings | None = None,
    *,
    writes: bool = False,
) -> T:
    """Run one async job against a fresh `Database`, closing its pools afterwards. The
    database is probed first, so a wrong URL is one clear line, not a driver's traceback;
    a job that `writes` is refused the same way on a read-only SQLite file."""
    from core.db import Database, DatabaseUnavailable

    async def run() -> T:
        db = Database(settings or get_settings())
        try:
            await db.probe()
            if writes and (problem := db.storage_problem()):
                raise DatabaseUnavailable(problem)
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def cmd_migrate(args: argparse.Namespace) -> int:
    from core import migrate

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)

    async def work(db: Database) -> str | None:
        if args.down:
            await migrate.downgrade(db.writer, args.revision)
        else:
            await migrate.upgrade(db.writer, args.revision)
        return await migrate.current_revision(db.writer)

    current = with_database(work, writes=True)
    print(f"database at revision {current or 'base (empty)'}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Sign a token, refusing roles the organisation's kind may not hold (the API would
    refuse the token anyway: 401 on its first use)."""
    from core.identity import Tokens, role_problem

    settings = get_settings()
    if not settings.embedded_tokens:
        raise StartupError(
            "pdex token signs pdex's own tokens; with PDEX_OIDC_JWKS_URL set, tokens come "
            "from your identity provider"
        )
    org = organization_id(args.org) if args.org else None
    kind = with_database(lambda db: _kind_of(db, org)) if org else None
    problem = role_problem(frozenset(args.role), org, kind)
    if problem:
        raise StartupError(f"not signing: {problem}")
    token = Tokens(settings).issue(roles=args.role, org=org, sub=args.sub, ttl=args.ttl)
    print(token)
    return 0


def organization_id(text: str) -> uuid.UUID:
    """An organisation's UUID, or the Relay global ID the API shows for it."""
    from core.errors import UserError
    from schema.relay import from_global_id

    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    try:
        return from_global_id(text.strip(), "Organization")[1]
    except UserError:
        raise StartupError(
            f"--org {text!r} is neither a UUID nor an organisation ID from the API"
        ) from None


async def _kind_of(db: Database, org: uuid.UUID) -> OrganizationKind | None:
    from core.organizations import get_organizations

    async with db.read() as session:
        found = (await get_organizations(session, [org]))[0]
    return found.kind if found is not None else None


async def _prepare(db: Database, settings: Settings, seed_demo: bool) -> dict[Role, str]:
    from core import migrate
    from core.identity import Tokens
    from server import demo

    problem = db.storage_problem()
    if problem:  # reads work, writes would fail: start, but say so (and /readyz says 503)
        print(
            f"warning: {problem}; pdex serves reads only and /readyz answers 503", file=sys.stderr
        )
        return {}
    await migrate.upgrade(db.writer)
    if not seed_demo:
        return {}
    orgs = await demo.seed(db, settings)
    if not settings.embedded_tokens:
        print(
            "demo data seeded; no demo tokens: they need pdex's own signing, and "
            "PDEX_OIDC_JWKS_URL is set (sign in through your identity provider)",
            flush=True,
        )
        return {}
    return demo.demo_tokens(Tokens(settings), orgs)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from core.db import redact
    from server.bounds import http_protocol
    from server.logs import configure_logging

    settings = get_settings()
    if args.workers > 1 and settings.is_sqlite:
        print(
            "error: several workers need PostgreSQL (PDEX_DATABASE_URL): on SQLite, events "
            "would not reach subscribers of another worker and writers would queue on one file",
            file=sys.stderr,
        )
        return 2
    # Bind first: a port in use is the first and only thing reported.
    listener = _tcp_listener(args.host, args.port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_level)
    seed_demo = args.demo if args.demo is not None else settings.is_sqlite
    tokens = with_database(lambda db: _prepare(db, settings, seed_demo), settings)
    base = public_url(settings, args.host, args.port)
    settings = replace(settings, public_url=base)
    os.environ["PDEX_PUBLIC_URL"] = base  # the workers read their settings from it
    url = f"{base}/graphql"
    print(f"pdex serving {url}  (database: {redact(settings.database_url)})", flush=True)
    for role, token in tokens.items():
        print(f"  {role.value:<14} Authorization: Bearer {token}", flush=True)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown: in-flight requests finish, the
    # lifespan closes the database pools. It then re-raises the signal to the handler that
    # was installed before it; ours ignores it, so a requested stop exits with status 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    options: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "http": http_protocol(),  # a request head that stalls is closed (PDEX_HEADER_TIMEOUT)
        "ws_max_size": settings.max_body_bytes,
    }
    if args.workers > 1:
        # Each worker builds its own app from the same environment (settings, keys and the
        # token secret live in it or in the shared data directory); the parent only
        # migrated. Background jobs are idempotent, so each worker running them is safe,
        # and events cross workers through PostgreSQL (core/events.py).
        from server.workers import Supervisor

        config = uvicorn.Config(
            "server.workers:worker_app", factory=True, workers=args.workers, **options
        )
        Supervisor(config, sockets=[listener]).run()
    else:
        from server.app import create_app  # imported late: a wrong setting fails fast

        app = create_app(settings)
        app.state.demo_tokens = {role.value: token for role, token in tokens.items()}  # /console
        config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
        uvicorn.Server(config).run(sockets=[listener])
    return 0


def public_url(settings: Settings, host: str, port: int) -> str:
    """`PDEX_PUBLIC_URL`, else the address served (a wildcard host shown as 127.0.0.1)."""
    if settings.public_url:
        return settings.public_url
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else happens (uvicorn gets it ready-made).
    uvicorn's own (`Config.bind_socket`) is made with protocol 0, which its workers inherit;
    asyncio then leaves TCP_NODELAY off on every connection, and each response waits ~40 ms
    for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # now the port is ours; connections queue until the app is up
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is in use (another pdex?): stop it or pass --port"
            ) from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from core import migrate
    from core.validators import is_valid_uscc, normalize_uscc
    from server import demo

    code = normalize_uscc(args.uscc)
    if not is_valid_uscc(code):
        print(f"error: {args.uscc!r} is not a valid unified social credit code", file=sys.stderr)
        return 2

    async def work(db: Database) -> uuid.UUID:
        await migrate.upgrade(db.writer)
        return (await demo.bootstrap_authority(db, name=args.name, uscc=code)).id

    org_id = with_database(work, writes=True)
    print(f"data-authority organisation id: {org_id}")
    print("next: sign a token for it and start the server, e.g.")
    print(f"  pdex token --role authority --org {org_id}")
    print("  pdex serve --no-demo    # then send the token as `Authorization: Bearer …`")
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from ledger import verify_database

    return print_report(with_database(lambda db: verify_database(db, progress=show_progress)))


def show_progress(stage: str, done: int, total: int | None) -> None:
    """One line on stderr per step of a long verification (stdout keeps the report)."""
    of = f"/{total}" if total is not None else ""
    print(f"verifying {stage}: {done}{of}", file=sys.stderr, flush=True)


def print_report(report: AuditReport | BundleReport) -> int:
    """Problems, the first bad seq, a one-line verdict; exit status 1 on tampering."""
    for problem in report.problems:
        print(f"FAIL {problem}")
    if report.first_bad_seq is not None:
        print(f"first bad seq: {report.first_bad_seq}")
    status = "OK" if report.ok else "TAMPERED"
    print(f"{status}: {report.entries} entries, {report.checkpoints} checkpoints verified")
    return 0 if report.ok else 1


def cmd_ledger_export(args: argparse.Namespace) -> int:
    from ledger import export_bundle, load_signer

    settings = get_settings()
    key = load_signer(settings).public_key.hex()
    count = with_database(
        lambda db: export_bundle(
            db, args.file, origin=settings.ledger_origin, platform_public_key=key
        )
    )
    print(f"wrote {count} entries to {args.file}")
    return 0


def cmd_ledger_verify_bundle(args: argparse.Namespace) -> int:
    """Offline: needs no database, no server, no settings."""
    import json

    from ledger import verify_bundle

    try:
        bundle = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"FAIL cannot read bundle: {exc}")
        return 2
    expected = bytes.fromhex(args.platform_key) if args.platform_key else None
    return print_report(verify_bundle(bundle, expected_platform_pk=expected))


def cmd_articles(args: argparse.Namespace) -> int:
    """The Measures article by article: status, functions, operations and tests (docs/ARTICLES.md).

    In a checkout the table is scanned from the code; installed without one, it is the
    snapshot the package carries. --write regenerates the files; --check fails on drift."""
    from core import articles

    if not articles.has_source_tree():
        if args.write or args.check:
            print("pdex articles --write/--check need a source checkout", file=sys.stderr)
            return 2
        print(articles.table(articles.coverage()), end="")
        return 0
    coverage = articles.write() if args.write else articles.build()
    print(articles.table(articles.snapshot(coverage)), end="")
    problems = [f"malformed citation {m.path}:{m.line}: {m.comment}" for m in coverage.malformed]
    problems += coverage.unknown
    if args.check:
        problems += [
            f"{name} is stale: run `make articles`" for name in articles.stale(coverage=coverage)
        ]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    from core.identity import Role

    parser = argparse.ArgumentParser(prog="pdex", description="Public-data exchange backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, seed demo data (SQLite), run the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="seed demo data and print tokens (default: on for SQLite)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (PostgreSQL only; e.g. one per core)",
    )
    serve.set_defaults(func=cmd_serve)

    mig = commands.add_parser("migrate", help="upgrade (or --down) the database schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to REVISION (e.g. base)")
    mig.set_defaults(func=cmd_migrate)

    token = commands.add_parser("token", help="sign a bearer token (embedded mode)")
    token.add_argument(
        "--role",
        action="append",
        type=Role,
        required=True,
        choices=list(Role),
        help="repeat for several roles",
    )
    token.add_argument("--org", help="organisation id (UUID, or the ID the API shows)")
    token.add_argument("--sub", help="subject (default: a new random id)")
    token.add_argument("--ttl", type=parse_duration, default=timedelta(hours=12))
    token.set_defaults(func=cmd_token)

    boot = commands.add_parser("bootstrap", help="create the first data-authority organisation")
    boot.add_argument("--name", required=True)
    boot.add_argument("--uscc", required=True)
    boot.set_defaults(func=cmd_bootstrap)

    ledger_cmd = commands.add_parser("ledger", help="audit the tamper-evident ledger")
    ledger_sub = ledger_cmd.add_subparsers(dest="ledger_command", required=True)
    verify = ledger_sub.add_parser("verify", help="re-derive every hash and signature (database)")
    verify.set_defaults(func=cmd_ledger_verify)
    export = ledger_sub.add_parser("export", help="write an offline-verifiable bundle")
    export.add_argument("file", type=Path)
    export.set_defaults(func=cmd_ledger_export)
    bundle = ledger_sub.add_parser("verify-bundle", help="verify an exported bundle offline")
    bundle.add_argument("file", type=Path)
    bundle.add_argument("--platform-key", help="the platform public key you trust (hex)")
    bundle.set_defaults(func=cmd_ledger_verify_bundle)

    arts = commands.add_parser("articles", help="each article: status, code, operations, tests")
    arts.add_argument("--write", action="store_true", help="regenerate docs/ARTICLES.md")
    arts.add_argument("--check", action="store_true", help="fail when the generated files drift")
    arts.set_defaults(func=cmd_articles)
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.db import DatabaseUnavailable

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (StartupError, DatabaseUnavailable, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
