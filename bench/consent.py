"""Consent figures (issue 5): `authorizeDataUse`, the gate on every data use, at 16 clients.

    .venv/bin/python bench/consent.py [--consents 100000] [--duration 10] [--clients 16]
                                      [--engines postgres,sqlite] [--output BENCHMARKS.md|-]

For each engine it starts a real `pdex serve --demo` (as `bench/api.py` does: SQLite in a
temporary directory, PostgreSQL in a fresh `pdex_bench_<random>` database dropped at the
end), bulk-inserts N consents (Core inserts: 20,000 subjects with their ledger salts, one
grantee firm, one scope item each, unlimited uses) and then measures, in interleaved slices
with `bench/api.py`'s raw keep-alive clients:

  (a)   `{ viewer { roles } }`, the foundation's trivial query, for the ratio;
  (use) `authorizeDataUse(input: {consentId, item, purpose})` — the whole gate: token, row
        lock, decision, DataUse row, `uses + 1`, ledger append with the salted subject
        commitment, commit. Every client picks a random seeded consent per request, and
        every response must be ALLOWED.

Aim (issue 5): p99 < 25 ms on PostgreSQL on the 2-core machine. Prints a table and appends
(or replaces) the "## Consent gate (issue 5)" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib.util
import os
import random
import secrets
import shlex
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_api", HERE / "api.py")
assert _spec and _spec.loader
api = importlib.util.module_from_spec(_spec)
sys.modules["bench_api"] = api  # its dataclasses look their module up
_spec.loader.exec_module(api)

SECTION = "## Consent gate (issue 5)"
USE_QUERY = (
    "mutation($input: AuthorizeDataUseInput!) { authorizeDataUse(input: $input) "
    "{ allowed dataUse { id reason ledgerSeq } userErrors { code } } }"
)
PURPOSE = "Credit assessment"
ITEM = "certificate:BUSINESS_LICENCE"
SUBJECTS = 20_000
AIM_P99_MS = 25.0
SECRET = "bench-consent-" + secrets.token_hex(16)


def settings_for(database_url: str, data_dir: Path):  # type: ignore[no-untyped-def]
    from core.settings import load_settings

    return replace(
        load_settings(),
        data_dir=data_dir,
        database_url=database_url,
        token_secret=SECRET,
        oidc_jwks_url=None,
    )


async def seed(database_url: str, n: int) -> tuple[uuid.UUID, list[uuid.UUID], float]:
    """N consents for one grantee firm, by Core bulk inserts. Returns (grantee, ids, seconds)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from consent.models import (
        Consent,
        ConsentItem,
        ConsentMode,
        ConsentStatus,
        DataSubject,
        SubjectKind,
    )
    from core.models import Organization, OrganizationKind
    from core.validators import make_org_code, make_uscc
    from ledger.models import SubjectSalt

    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC)
    grantee = uuid.uuid4()
    org = {
        "id": grantee,
        "kind": OrganizationKind.MARKET_ENTITY,
        "name": "基准授权方 (Benchmark grantee bank)",
        "uscc": make_uscc("91440700" + make_org_code("BC000001")),
        "registered_by_id": None,
        "created_at": at,
    }
    subjects = [f"bench-person-{i:05d}" for i in range(min(SUBJECTS, n))]
    subject_rows = [
        {"subject": s, "kind": SubjectKind.PERSON, "display_name": "", "resident_id_hash": None,
         "uscc": None, "created_at": at}
        for s in subjects
    ]  # fmt: skip
    salts = [{"subject_id": s, "salt": secrets.token_bytes(32), "created_at": at} for s in subjects]
    ids = [uuid.uuid4() for _ in range(n)]
    consents = [
        {
            "id": cid, "subject": subjects[i % len(subjects)], "grantee_id": grantee,
            "purpose": PURPOSE, "scenario": "Small-business loans", "valid_from": at
            - dt.timedelta(days=1), "valid_until": at + dt.timedelta(days=365),
            "mode": ConsentMode.PERIODIC, "frequency": "P1D", "max_uses": None, "uses": 0,
            "separate": False, "status": ConsentStatus.ACTIVE, "revoked_at": None,
            "revoke_reason": "", "ledger_seq": 0, "revoke_seq": None,
            "created_at": at - dt.timedelta(days=1, seconds=n - i),
        }
        for i, cid in enumerate(ids)
    ]  # fmt: skip
    items = [{"consent_id": cid, "item": ITEM, "sensitive": False} for cid in ids]
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(Organization.__table__.insert(), [org])
            await conn.execute(DataSubject.__table__.insert(), subject_rows)
            await conn.execute(SubjectSalt.__table__.insert(), salts)
            for lo in range(0, n, 20_000):
                await conn.execute(Consent.__table__.insert(), consents[lo : lo + 20_000])
                await conn.execute(ConsentItem.__table__.insert(), items[lo : lo + 20_000])
            if engine.dialect.name == "postgresql":
                await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return grantee, ids, time.perf_counter() - started


def use_requests(url: str, token: str, ids: list[uuid.UUID], count: int) -> list[bytes]:
    """`count` prepared HTTP requests, each for a random seeded consent."""
    from schema.relay import to_global_id

    rng = random.Random(5)
    requests = []
    for cid in rng.sample(ids, min(count, len(ids))):
        variables = {"input": {"consentId": to_global_id("Consent", cid), "item": ITEM,
                               "purpose": PURPOSE}}  # fmt: skip
        requests.append(api.raw_request(url, token, USE_QUERY, variables))
    return requests


def use_problem(status: int, body: bytes) -> str | None:
    problem = api.body_problem(status, body)
    if problem is None and b'"allowed":true' not in body:
        return f"not ALLOWED: {body[:300].decode(errors='replace')}"
    return problem


async def run_engine(
    engine: str, database_url: str, workdir: Path, args: argparse.Namespace
) -> tuple[list, dict[str, float]]:  # type: ignore[type-arg]
    from core.identity import Role, Tokens

    port = api.free_port()
    data_dir = workdir / f"data-{engine}"
    data_dir.mkdir()
    env = dict(
        os.environ, PDEX_DATABASE_URL=database_url, PDEX_DATA_DIR=str(data_dir),
        PDEX_TOKEN_SECRET=SECRET, PDEX_CHECKPOINT_INTERVAL="0",
        PDEX_RATE_LIMIT="0", PDEX_MAX_CONCURRENT="0",  # one caller's throughput: no limits
    )  # fmt: skip
    env.pop("PDEX_OIDC_JWKS_URL", None)
    env.pop("PDEX_ACCESS_LOG", None)
    with contextlib.ExitStack() as stack:
        workers = args.workers if engine == "postgres" else 1  # SQLite serves from one process
        server = api.Server(f"pdex-{engine}", api.pdex_argv(port, workers), env, workdir)
        stack.callback(server.stop)
        base = f"http://127.0.0.1:{port}"
        await server.wait_ready(api.httpx.Request("GET", base + "/healthz"), timeout=180)
        grantee, ids, seeded = await seed(api.normalize_pg_url(database_url), args.consents)
        print(f"  {engine}: seeded {len(ids):,} consents in {seeded:.1f} s", flush=True)
        tokens = Tokens(settings_for(database_url, data_dir))
        token = tokens.issue(roles=[Role.MARKET_ENTITY], org=grantee, sub="bench-grantee")
        url = base + "/graphql"
        requests = use_requests(url, token, ids, 20_000)
        async with api.httpx.AsyncClient(timeout=30) as client:  # one checked in full
            check = await client.post(url, content=requests[0].split(b"\r\n\r\n", 1)[1],
                                      headers={"authorization": f"Bearer {token}",
                                               "content-type": "application/json"})  # fmt: skip
            assert use_problem(check.status_code, check.content) is None, check.text
        name = f"pdex/{engine}"
        viewer = api.Result(name, "a")
        use = api.Result(name, "use")
        slice_seconds = args.duration / args.rounds
        for round_no in range(args.rounds):
            warm = args.warmup if round_no == 0 else 0.25
            await api.load(
                viewer, url, token, api.VIEWER_QUERY, server_pid=server.pid,
                clients=args.clients, duration=slice_seconds / 2, warmup=warm,
            )  # fmt: skip
            await api.load_requests(
                use, url, requests, use_problem, server_pid=server.pid, clients=args.clients,
                duration=slice_seconds, warmup=warm,
            )  # fmt: skip
        return [viewer, use], {"seed_seconds": seeded, "consents": float(len(ids))}


def section(results: list, seeds: dict[str, dict[str, float]], args, command: str) -> str:  # type: ignore[no-untyped-def]
    info = api.machine()
    by = {(r.target, r.query): r for r in results}
    lines = [
        SECTION,
        "",
        "Written by `bench/consent.py`; rerun it to refresh this section. Real numbers from "
        "one run.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['model']}, {info['platform']}",
        f"- Python {info['python']}, {info['date']}",
        f"- {args.consents:,} consents seeded per engine by Core bulk inserts "
        + ", ".join(f"({e}: {s['seed_seconds']:.1f} s)" for e, s in seeds.items())
        + f"; {args.clients} closed-loop keep-alive clients (bench/api.py's raw HTTP/1.1 "
        f"clients, same machine, loopback); {args.duration:g} s of `authorizeDataUse` and "
        f"{args.duration / 2:g} s of (a) per engine, interleaved in {args.rounds} slices "
        "after a warm-up. Each request names a random one of 20,000 seeded consents; every "
        "response is checked to be HTTP 200, no `errors`, ALLOWED.",
        "- (use) = `authorizeDataUse` end to end: token check, consent row lock (FOR UPDATE "
        "on PostgreSQL), pure decision, DataUse insert, `uses + 1`, ledger append with the "
        "salted subject commitment, commit. (a) = `{ viewer { roles } }` in the same run. "
        "The checkpointer is off, as in bench/api.py (it would sign every 5 s: ~0.1 s CPU).",
        "",
        *api.table(results),
        "",
        "Figures (same run):",
        "",
    ]
    for engine in seeds:
        a, use = by.get((f"pdex/{engine}", "a")), by.get((f"pdex/{engine}", "use"))
        if a is None or use is None:
            continue
        p99 = use.pct(0.99)
        verdict = "met" if p99 < AIM_P99_MS else "MISSED"
        lines.append(
            f"- {engine}: authorizeDataUse p50 **{use.pct(0.5):.1f} ms**, p99 **{p99:.1f} ms** "
            f"(aim < {AIM_P99_MS:g} ms: {verdict}), **{use.rps:,.0f} requests/s**; "
            f"(use)/(a) = {use.rps / a.rps if a.rps else 0:.2f} by requests/s, "
            f"{a.server_us_per_request / use.server_us_per_request:.2f} by server CPU/request"
        )
    fails = api.failures(results)
    if fails:
        lines += ["", "Failures:", "", *fails]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace, command: str) -> int:
    results, seeds = await api.each_engine(args, "pdex-bench-consent-", run_engine)
    print()
    print("\n".join(api.table(results)))
    text = section(results, seeds, args, command)
    print("\n".join(line for line in text.splitlines() if line.startswith("- ") and "ms" in line))
    if str(args.output) != "-":
        api.write_section(SECTION, text, args.output)
        print(f"\nwrote the {SECTION!r} section of {args.output}")
    return 1 if api.failures(results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consents", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of (use)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="postgres,sqlite")
    parser.add_argument(
        "--workers", type=int, default=1, help="PostgreSQL server processes (pdex serve --workers)"
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "PDEX_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    shown = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python bench/consent.py", *(shlex.quote(a) for a in shown)])
    return asyncio.run(main_async(args, command))


if __name__ == "__main__":
    sys.exit(main())
