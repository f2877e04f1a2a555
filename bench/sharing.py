"""Sharing figures (issue 12): `issueAccessTicket`, `verifyDataClaim` and the authority's
overdue board at 16 clients.

    .venv/bin/python bench/sharing.py [--requests 100000] [--duration 10] [--clients 16]
                                      [--engines postgres,sqlite] [--output BENCHMARKS.md|-]

For each engine it starts a real `pdex serve --demo` (as `bench/api.py` does), bulk-inserts
with Core statements: N share requests over 50 source departments, received at a
steady rate over two years (`_history`: the last two weeks' still open, some overdue; the
older ones settled, a tenth of them late), with the late tallies the domain keeps; one grant
of a personal-information item to a grantee agency and 20,000 consents of 20,000 subjects to
it for that item; a verification set of 10,000 subjects
(keyed hashes made with the OPRF under the set's key); 200 asking agencies (the rate limit is
per agency). Then, interleaved in slices with `bench/api.py`'s raw keep-alive clients:

  (a)      `{ viewer { roles } }`, for the ratio;
  (ticket) `issueAccessTicket` on the grant, each request naming another subject's consent:
           grant check, the consent gate (row lock, DataUse, uses + 1, its ledger entry),
           EdDSA signature, the ticket's ledger entry, commit;
  (verify) `verifyDataClaim` for a random seeded subject (MATCH), a random agency's token;
  (board)  `shareOverdueBoard` as the authority: overdue counted from the open
           requests' due-date indexes, late ones from the per-department tallies.

Aims (issue 12): ticket ≥ 500/s and p99 < 30 ms, verify ≥ 1,000/s, board p99 < 50 ms, on
PostgreSQL. Prints a table and rewrites the "## Sharing (issue 12)" section of BENCHMARKS.md.
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
from dataclasses import dataclass, replace
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

SECTION = "## Sharing (issue 12)"
SECRET = "bench-sharing-" + secrets.token_hex(16)
PURPOSE = "Benefit eligibility"
ITEM = "bench.share.address"
VERIFY_ITEM = "bench.share.tax"
SUBJECTS = 20_000
VERIFY_SUBJECTS = 10_000
ASKERS = 200
SOURCES = 50
TICKET = (
    "mutation($i: IssueAccessTicketInput!) { issueAccessTicket(input: $i) "
    "{ token userErrors { code } } }"
)
VERIFY = (
    "mutation($i: VerifyDataClaimInput!) { verifyDataClaim(input: $i) "
    "{ result { answer } userErrors { code } } }"
)
BOARD = "{ shareOverdueBoard { overdueAnswers overdueDeliveries lateAnswers lateDeliveries } }"
AIMS = {"ticket": (500.0, 30.0), "verify": (1000.0, None), "board": (None, 50.0)}


@dataclass
class Seeded:
    grantee: uuid.UUID
    grant: uuid.UUID
    consents: list[uuid.UUID]
    verify_resource: uuid.UUID
    askers: list[uuid.UUID]
    authority: uuid.UUID  # tokens name an organisation of a kind that may hold their roles
    seconds: float


def settings_for(database_url: str, data_dir: Path):  # type: ignore[no-untyped-def]
    from core.settings import load_settings

    return replace(
        load_settings(), data_dir=data_dir, database_url=database_url, token_secret=SECRET,
        oidc_jwks_url=None,
    )  # fmt: skip


def _uscc(i: int) -> str:
    from core.validators import make_org_code, make_uscc

    return make_uscc("11440700" + make_org_code(f"BT{i:06d}"))


async def seed(database_url: str, n: int) -> Seeded:
    from sqlalchemy.ext.asyncio import create_async_engine

    import sharing
    from consent.models import (
        Consent,
        ConsentItem,
        ConsentMode,
        ConsentStatus,
        DataSubject,
        SubjectKind,
    )
    from core.models import Organization, OrganizationKind
    from ledger.models import SubjectSalt
    from registry.models import (
        DataItem,
        Delivery,
        OpenType,
        Resource,
        ResourceItem,
        Sensitivity,
        ShareType,
        UpdateFrequency,
    )
    from sharing import oprf

    started = time.perf_counter()
    at = dt.datetime.now(dt.UTC)
    orgs = [uuid.uuid4() for _ in range(SOURCES + 1 + ASKERS)]
    sources, grantee, askers = orgs[:SOURCES], orgs[SOURCES], orgs[SOURCES + 1 :]
    org_rows = [
        {"id": o, "kind": OrganizationKind.AGENCY, "name": f"基准机关 {i}", "uscc": _uscc(i),
         "registered_by_id": None, "created_at": at}
        for i, o in enumerate(orgs)
    ]  # fmt: skip
    authority = uuid.uuid4()
    org_rows.append(
        {"id": authority, "kind": OrganizationKind.AUTHORITY, "name": "基准数据主管部门",
         "uscc": _uscc(len(orgs)), "registered_by_id": None, "created_at": at}
    )  # fmt: skip
    items = [
        {"id": uuid.uuid4(), "code": code, "name": code, "legal_basis": "bench",
         "sensitive_personal": code == ITEM, "source_department_id": sources[0], "claimed_at": at}
        for code in (ITEM, VERIFY_ITEM)
    ]  # fmt: skip
    res = [
        {"id": uuid.uuid4(), "code": f"BENCH-{kind.value}", "name": kind.value, "description": "",
         "owner_id": sources[0], "share_type": kind, "share_conditions": "c",
         "share_legal_basis": "law", "open_type": OpenType.NOT_OPEN, "delivery": Delivery.API,
         "update_frequency": UpdateFrequency.DAILY, "sensitivity": Sensitivity.GENERAL,
         "contains_personal_info": kind is ShareType.UNCONDITIONAL, "last_updated_at": None,
         "stale_after": None, "version": 1, "created_at": at}
        for kind in (ShareType.UNCONDITIONAL, ShareType.NOT_SHARED)
    ]  # fmt: skip
    links = [
        {"resource_id": r["id"], "data_item_id": i["id"]} for r, i in zip(res, items, strict=True)
    ]
    requests, grant_id = [], uuid.uuid4()
    late: dict[uuid.UUID, list[int]] = {}  # the tallies the domain keeps as it answers
    for k in range(n):
        status, received, answered, delivered = _history(k, n, at)
        due = received + dt.timedelta(days=7)
        delivery_due = answered and answered + dt.timedelta(days=7)
        source = sources[k % SOURCES]
        if answered and answered > due:
            late.setdefault(source, [0, 0])[0] += 1
        if delivered and delivery_due and delivered > delivery_due:
            late.setdefault(source, [0, 0])[1] += 1
        requests.append({
            "id": uuid.uuid4(), "requester_id": grantee, "resource_id": res[0]["id"],
            "source_department_id": source, "purpose": PURPOSE,
            "scenario": f"s{k}", "scenario_key": f"{k:064x}", "mode": sharing.ShareMode.API,
            "until": at + dt.timedelta(days=365), "share_type": "CONDITIONAL", "status": status,
            "received_at": received, "answer_due_at": due, "answer_due_provisional": False,
            "answered_at": answered, "refusal_law": "", "refusal_article": "",
            "refusal_reason": "", "delivery_due_at": delivery_due,
            "delivery_due_provisional": False, "delivered_at": delivered,
            "delivery_channel": None, "delivery_reference": "",
            "grant_id": grant_id if k == 0 else None, "withdrawn_at": None, "ledger_seq": 0,
        })  # fmt: skip
    requests[0]["status"] = sharing.ShareRequestStatus.DELIVERED
    grant = {
        "id": grant_id, "request_id": requests[0]["id"], "grantee_id": grantee,
        "resource_id": res[0]["id"], "source_department_id": sources[0], "purpose": PURPOSE,
        "scenario": "Unemployment benefit", "mode": sharing.ShareMode.API,
        "valid_until": at + dt.timedelta(days=365), "status": sharing.GrantStatus.ACTIVE,
        "status_reason": "", "created_at": at, "ledger_seq": 0,
    }  # fmt: skip
    subjects = [f"bench-share-person-{i:05d}" for i in range(SUBJECTS)]
    consent_ids = [uuid.uuid4() for _ in subjects]
    consents = [
        {"id": cid, "subject": s, "grantee_id": grantee, "purpose": PURPOSE, "scenario": "",
         "valid_from": at - dt.timedelta(days=1), "valid_until": at + dt.timedelta(days=365),
         "mode": ConsentMode.PERIODIC, "frequency": "P1D", "max_uses": None,
         "uses_per_period": None, "data_life": None, "uses": 0, "separate": True,
         "status": ConsentStatus.ACTIVE, "revoked_at": None, "revoke_reason": "",
         "ledger_seq": 0, "revoke_seq": None, "created_at": at}
        for cid, s in zip(consent_ids, subjects, strict=True)
    ]  # fmt: skip
    key = oprf.new_key()
    entries = [
        {"resource_id": res[1]["id"],
         "digest": oprf.prf(key, oprf.claim_input(f"S{i:05d}", VERIFY_ITEM, "paid")),
         "subject_item": oprf.prf(key, oprf.subject_item_input(f"S{i:05d}", VERIFY_ITEM))}
        for i in range(VERIFY_SUBJECTS)
    ]  # fmt: skip
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(Organization.__table__.insert(), org_rows)
            await conn.execute(DataItem.__table__.insert(), items)
            await conn.execute(Resource.__table__.insert(), res)
            await conn.execute(ResourceItem.__table__.insert(), links)
            for lo in range(0, n, 10_000):
                await conn.execute(
                    sharing.ShareRequest.__table__.insert(), requests[lo : lo + 10_000]
                )
            await conn.execute(sharing.ShareLateness.__table__.insert(), [
                {"source_department_id": d, "late_answers": a, "late_deliveries": b}
                for d, (a, b) in late.items()
            ])  # fmt: skip
            await conn.execute(sharing.ShareGrant.__table__.insert(), [grant])
            await conn.execute(
                sharing.models.ShareGrantItem.__table__.insert(),
                [{"grant_id": grant_id, "data_item_id": items[0]["id"]}],
            )
            await conn.execute(DataSubject.__table__.insert(), [
                {"subject": s, "kind": SubjectKind.PERSON, "display_name": "",
                 "resident_id_hash": None, "uscc": None, "created_at": at} for s in subjects
            ])  # fmt: skip
            await conn.execute(SubjectSalt.__table__.insert(), [
                {"subject_id": s, "salt": secrets.token_bytes(32), "created_at": at}
                for s in subjects
            ])  # fmt: skip
            await conn.execute(Consent.__table__.insert(), consents)
            await conn.execute(ConsentItem.__table__.insert(), [
                {"consent_id": c, "item": f"item:{ITEM}", "sensitive": True} for c in consent_ids
            ])  # fmt: skip
            await conn.execute(sharing.VerificationSet.__table__.insert(), [
                {"resource_id": res[1]["id"], "key": key, "entries": len(entries), "batches": 1,
                 "created_at": at, "updated_at": at}
            ])  # fmt: skip
            await conn.execute(sharing.models.VerificationEntry.__table__.insert(), entries)
            if engine.dialect.name == "postgresql":
                await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return Seeded(grantee, grant_id, consent_ids, res[1]["id"], askers, authority,
                  time.perf_counter() - started)  # fmt: skip


def _history(k: int, n: int, at: dt.datetime):  # type: ignore[no-untyped-def]
    """Request k of n, received at a steady rate over two years: those older than two weeks
    are settled (7 in 10 delivered, 2 refused, 1 withdrawn; a tenth answered late), the
    last two weeks' are still open, so the board's overdue ones are what a city would see."""
    from sharing import ShareRequestStatus as S

    received = at - dt.timedelta(days=730 * (k + random.random()) / n)
    due = received + dt.timedelta(days=7)
    late = random.random() < 0.1
    answered = due + dt.timedelta(days=random.uniform(0.5, 3) if late else -random.uniform(0, 6))
    if at - received < dt.timedelta(days=14):
        if answered > at or k % 2:
            return S.PENDING, received, None, None
        return (S.APPROVED, received, answered, None) if k % 4 else (
            S.DELIVERED, received, answered, answered)  # fmt: skip
    status = (S.DELIVERED,) * 7 + (S.REFUSED,) * 2 + (S.WITHDRAWN,)
    chosen = random.choice(status)
    if chosen is not S.DELIVERED:
        return chosen, received, answered, None
    late = random.random() < 0.1
    delivered = answered + dt.timedelta(days=random.uniform(7.5, 10) if late else 0.1)
    return chosen, received, answered, delivered


async def run_engine(
    engine: str, database_url: str, workdir: Path, args: argparse.Namespace
) -> tuple[list, Seeded]:  # type: ignore[type-arg]
    from core.identity import Role, Tokens
    from schema.relay import to_global_id

    port = api.free_port()
    data_dir = workdir / f"data-{engine}"
    data_dir.mkdir()
    env = dict(
        os.environ, PDEX_DATABASE_URL=database_url, PDEX_DATA_DIR=str(data_dir),
        PDEX_TOKEN_SECRET=SECRET, PDEX_CHECKPOINT_INTERVAL="0",
        # One caller's throughput is the point: the per-caller limits (bench/bounds.py) off.
        PDEX_RATE_LIMIT="0", PDEX_MAX_CONCURRENT="0",
    )  # fmt: skip
    env.pop("PDEX_OIDC_JWKS_URL", None)
    env.pop("PDEX_ACCESS_LOG", None)
    with contextlib.ExitStack() as stack:
        server = api.Server(f"pdex-{engine}", api.pdex_argv(port, 1), env, workdir)
        stack.callback(server.stop)
        base = f"http://127.0.0.1:{port}"
        await server.wait_ready(api.httpx.Request("GET", base + "/healthz"), timeout=180)
        seeded = await seed(api.normalize_pg_url(database_url), args.requests)
        print(f"  {engine}: seeded in {seeded.seconds:.1f} s", flush=True)
        tokens = Tokens(settings_for(database_url, data_dir))
        agency = tokens.issue(roles=[Role.AGENCY], org=seeded.grantee, sub="bench-grantee")
        boss = tokens.issue(roles=[Role.AUTHORITY], org=seeded.authority, sub="bench-authority")
        askers = [tokens.issue(roles=[Role.AGENCY], org=a, sub=f"bench-asker-{i}")
                  for i, a in enumerate(seeded.askers)]  # fmt: skip
        url = base + "/graphql"
        grant = to_global_id("ShareGrant", seeded.grant)
        tickets = [
            api.raw_request(url, agency, TICKET, {"i": {
                "grantId": grant, "items": [ITEM], "purpose": PURPOSE,
                "consentId": to_global_id("Consent", c)}})
            for c in seeded.consents
        ]  # fmt: skip
        rid = to_global_id("Resource", seeded.verify_resource)
        verifies = [
            api.raw_request(url, random.choice(askers), VERIFY, {"i": {
                "resourceId": rid, "subjectKey": f"S{random.randrange(VERIFY_SUBJECTS):05d}",
                "item": VERIFY_ITEM, "claimedValue": "paid"}})
            for _ in range(20_000)
        ]  # fmt: skip
        board = [api.raw_request(url, boss, BOARD)]
        kinds = {
            "ticket": (tickets, api.expecting(b'"token":"ey')),
            "verify": (verifies, api.expecting(b'"answer":"MATCH"')),
            "board": (board, api.expecting(b'"overdueAnswers"')),
        }
        name = f"pdex/{engine}"
        viewer = api.Result(name, "a")
        results = {k: api.Result(name, k) for k in kinds}
        slice_seconds = args.duration / args.rounds
        for round_no in range(args.rounds):
            warm = args.warmup if round_no == 0 else 0.25
            await api.load(
                viewer, url, agency, api.VIEWER_QUERY, server_pid=server.pid,
                clients=args.clients, duration=slice_seconds / 2, warmup=warm,
            )  # fmt: skip
            for kind, (requests, check) in kinds.items():
                await api.load_requests(
                    results[kind], url, requests, check, server_pid=server.pid,
                    clients=args.clients, duration=slice_seconds, warmup=warm,
                )  # fmt: skip
        return [viewer, *results.values()], seeded


def section(results: list, seeds: dict[str, Seeded], args, command: str) -> str:  # type: ignore[no-untyped-def]
    info = api.machine()
    by = {(r.target, r.query): r for r in results}
    lines = [
        SECTION,
        "",
        "Written by `bench/sharing.py`; rerun it to refresh this section. Real numbers from "
        "one run; the load generator shares the server's 2 CPUs, and the machine is shared, "
        "so the ratios to (a), from the same run, are the comparable part.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['model']}, {info['platform']}",
        f"- Python {info['python']}, {info['date']}",
        f"- Seeded per engine by Core bulk inserts: {args.requests:,} share requests over "
        f"{SOURCES} source departments, one grant of a personal item with {SUBJECTS:,} "
        f"consents to its grantee, a verification set of {VERIFY_SUBJECTS:,} subjects, "
        f"{ASKERS} asking agencies ("
        + ", ".join(f"{e}: {s.seconds:.1f} s" for e, s in seeds.items())
        + f"). {args.clients} closed-loop keep-alive clients (bench/api.py's raw HTTP/1.1 "
        f"clients, same machine); {args.duration:g} s of each kind and {args.duration / 2:g} s "
        f"of (a) per engine, interleaved in {args.rounds} slices after a warm-up; every "
        "response checked (HTTP 200, no errors, a token / MATCH / the board).",
        "- (ticket) = `issueAccessTicket`: grant check, consent gate (row lock, DataUse row, "
        "uses + 1, its ledger entry), EdDSA JWS, the ticket's ledger entry, commit. "
        "(verify) = `verifyDataClaim`: rate-limit count, two OPRF evaluations, one lookup, "
        "ledger entry with the subject commitment. (board) = `shareOverdueBoard`: the "
        "open requests' due-date indexes and the late tallies (requests over two years, "
        "the last two weeks' open). One server process; the checkpointer off.",
        "",
        *api.table(results),
        "",
        "Figures (same run):",
        "",
    ]
    for engine in seeds:
        a = by.get((f"pdex/{engine}", "a"))
        for kind, (rps_aim, p99_aim) in AIMS.items():
            r = by.get((f"pdex/{engine}", kind))
            if a is None or r is None or not r.requests:
                continue
            aims = []
            if rps_aim:
                aims.append(f"≥ {rps_aim:,.0f}/s: {'met' if r.rps >= rps_aim else 'MISSED'}")
            if p99_aim:
                aims.append(f"p99 < {p99_aim:g} ms: {'met' if r.pct(0.99) < p99_aim else 'MISSED'}")
            lines.append(
                f"- {engine} {kind}: **{r.rps:,.0f} requests/s**, p50 {r.pct(0.5):.1f} ms, "
                f"p99 **{r.pct(0.99):.1f} ms** ({'; '.join(aims)}); {kind}/(a) = "
                f"{r.rps / a.rps if a.rps else 0:.2f} by requests/s"
            )
    fails = api.failures(results)
    if fails:
        lines += ["", "Failures:", "", *fails]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace, command: str) -> int:
    results, seeds = await api.each_engine(args, "pdex-bench-sharing-", run_engine)
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
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each kind")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="postgres,sqlite")
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
    command = " ".join([".venv/bin/python bench/sharing.py", *(shlex.quote(a) for a in shown)])
    return asyncio.run(main_async(args, command))


if __name__ == "__main__":
    sys.exit(main())
