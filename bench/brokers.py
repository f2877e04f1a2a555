"""Broker figures (issue 6), on PostgreSQL, in one run:

    .venv/bin/python bench/brokers.py [--flows 100000] [--complaints 10000] [--brokers 200]
                                      [--duration 10] [--clients 16] [--rounds 5]

It creates a fresh `pdex_broker_bench_<random>` database (dropped at the end), starts
`pdex serve --demo` on it (a subprocess, as `bench/api.py` does), and bulk-inserts with Core
statements: N licensed brokers, each with 10 REGISTERED products (1-2 valuations each) listed
for sale, and, spread over the last 30 days, the facts an evaluation counts — deals (matched,
delivered, cancelled), fusion flows, refused attempts, consent checks denied and allowed
(some after revocation), complaints (received, due, resolved on time or late) and licence
suspensions. Then:

  (i)  `evaluateBrokers(input: {periodStart: now − 30 days, periodEnd: now})` through the
       API, as the data authority: wall time, three runs (each a ledger entry; the results
       must be identical — the evaluation is reproducible);
  (ii) `listings(first: 20)` with broker, asset and the asset's latest valuation, at
       `--clients` concurrent clients, and the foundation's trivial query (a)
       `{ viewer { roles } }` in the same run, interleaved: requests/s and the ratio.

Prints a table and writes the "## Brokers (issue 6)" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_api", HERE / "api.py")
assert _spec and _spec.loader
api = importlib.util.module_from_spec(_spec)
sys.modules["bench_api"] = api
_spec.loader.exec_module(api)

SECTION = "## Brokers (issue 6)"
LISTINGS_QUERY = (
    "{ listings(first: 20) { edges { node { id price pricingModel broker { name } "
    "asset { name kind currentValuation { method value } } } } } }"
)
EVALUATE = """mutation($input: EvaluateBrokersInput!) { evaluateBrokers(input: $input) {
  evaluations { grade score broker { id } } alertsRaised { rule } ledgerSeq
  userErrors { code message } } }"""
TARGET_EVALUATE_SECONDS = 5.0
TARGET_LISTINGS_VS_VIEWER = 0.10
PRODUCTS_PER_BROKER = 10
BENCH_BROKER = "基准经纪机构"


def rows_for(args: argparse.Namespace, authority_id: uuid.UUID, end: datetime) -> dict[str, list]:
    """Every row to insert, by table, in insertion (foreign-key) order."""
    from broker.models import (
        BrokerType,
        DealStatus,
        LicenceDecisionKind,
        LicenceStatus,
        ListingStatus,
        PricingModel,
        RefusalKind,
    )
    from consent.models import (
        ComplaintStatus,
        ConsentMode,
        ConsentStatus,
        DenialReason,
        SubjectKind,
        UseOutcome,
    )
    from core.models import OrganizationKind
    from core.validators import make_org_code, make_uscc
    from registry.models import AssetKind, AssetStatus, UpdateFrequency

    rng = random.Random(6)
    start = end - timedelta(days=30)
    long_ago = start - timedelta(days=60)

    def during() -> datetime:
        return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds() - 1))

    t: dict[str, list] = {k: [] for k in (
        "organization", "broker_licence", "broker_licence_decision", "asset", "asset_valuation",
        "broker_listing", "broker_deal", "broker_data_flow", "broker_refusal", "data_subject",
        "consent", "data_use", "complaint",
    )}  # fmt: skip
    brokers = []
    for i in range(args.brokers):
        org = uuid.uuid4()
        brokers.append(org)
        t["organization"].append({
            "id": org, "kind": OrganizationKind.BROKER, "name": f"{BENCH_BROKER} {i:04d}",
            "uscc": make_uscc("91440700" + make_org_code(f"BK{i:06d}")),
            "registered_by_id": authority_id, "created_at": long_ago,
        })  # fmt: skip
        licence = uuid.uuid4()
        t["broker_licence"].append({
            "id": licence, "broker_id": org, "broker_type": BrokerType.DATA_ENABLEMENT,
            "business_scope": "Benchmark", "scenarios": '["SME lending"]', "mlps_level": 3,
            "dcmm_level": 3, "contact": "bench", "minors_data_handling": "none",
            "sensitive_data_handling": "none", "status": LicenceStatus.LICENSED, "grade": None,
            "applied_at": long_ago, "licensed_at": long_ago,
            "valid_until": end + timedelta(days=365), "decision_reason": "bench",
            "ledger_seq": 0,
        })  # fmt: skip
        if i % 4 == 0:
            t["broker_licence_decision"].append({
                "id": uuid.uuid4(), "licence_id": licence, "broker_id": org,
                "decision": LicenceDecisionKind.SUSPEND, "from_status": LicenceStatus.LICENSED,
                "to_status": LicenceStatus.SUSPENDED, "reason": "bench",
                "decided_by_id": authority_id, "decided_at": during(), "ledger_seq": 0,
            })  # fmt: skip
        subject = f"bench-person-{i:04d}"
        t["data_subject"].append({
            "subject": subject, "kind": SubjectKind.PERSON, "display_name": "",
            "resident_id_hash": None, "uscc": None, "created_at": long_ago,
        })  # fmt: skip
        consent_id = uuid.uuid4()
        revoked = i % 10 == 0
        t["consent"].append({
            "id": consent_id, "subject": subject, "grantee_id": org, "purpose": "bench",
            "scenario": "", "valid_from": long_ago, "valid_until": end + timedelta(days=30),
            "mode": ConsentMode.PERIODIC, "frequency": "P1D", "max_uses": None, "uses": 0,
            "separate": False,
            "status": ConsentStatus.REVOKED if revoked else ConsentStatus.ACTIVE,
            "revoked_at": start if revoked else None, "revoke_reason": "", "ledger_seq": 0,
            "revoke_seq": None, "created_at": long_ago,
        })  # fmt: skip
        for k in range(25):
            allowed = k % 5 == 0
            t["data_use"].append({
                "id": uuid.uuid4(), "consent_id": consent_id, "subject": subject, "user_id": org,
                "item": "certificate:BUSINESS_LICENCE", "purpose": "bench",
                "outcome": UseOutcome.ALLOWED if allowed else UseOutcome.DENIED,
                "reason": None if allowed else DenialReason.PURPOSE_MISMATCH, "at": during(),
                "ledger_seq": 0,
            })  # fmt: skip
        for p in range(PRODUCTS_PER_BROKER):
            asset = uuid.uuid4()
            created = long_ago + timedelta(seconds=i * PRODUCTS_PER_BROKER + p)
            t["asset"].append({
                "id": asset, "kind": AssetKind.DATA_PRODUCT if p % 3 else AssetKind.DATA_SERVICE,
                "name": f"基准数据产品 {i:04d}-{p}", "description": "bench", "scenario": "bench",
                "rights": "OPERATION,PROCESSING_USE", "delivery_mode": "API",
                "update_frequency": UpdateFrequency.MONTHLY, "time_span": "", "scale": "",
                "holder_id": org, "status": AssetStatus.REGISTERED, "notice_ends_at": None,
                "registration_number": f"JMDR-B-{asset.hex[:16].upper()}",
                "registered_at": created, "registration_seq": 0, "decision_reason": "",
                "version": 1, "created_at": created,
            })  # fmt: skip
            for v in range(1 + p % 2):
                t["asset_valuation"].append({
                    "id": uuid.uuid4(), "asset_id": asset, "method": ("COST", "MARKET")[v],
                    "inputs": "{}", "value": Decimal(10_000 + 137 * p + v), "breakdown": "{}",
                    "valuer_id": authority_id, "valued_at": created + timedelta(seconds=v),
                    "ledger_seq": 0,
                })  # fmt: skip
            t["broker_listing"].append({
                "id": uuid.uuid4(), "broker_id": org, "asset_id": asset,
                "price": Decimal(1000 + 10 * p), "pricing_model": PricingModel.SUBSCRIPTION,
                "purposes": '["SME credit scoring"]', "term": "P1Y", "territory": "Jiangmen",
                "resale": False, "status": ListingStatus.LISTED, "listed_at": created,
                "delisted_at": None, "delist_reason": "", "ledger_seq": 0,
            })  # fmt: skip
    listings = t["broker_listing"]
    buyers = brokers  # any organisation will do as buyer for counting
    for n in range(args.flows // 5):  # one deal per five flows
        listing = listings[n % len(listings)]
        status = (DealStatus.MATCHED, DealStatus.DELIVERED, DealStatus.DELIVERED,
                  DealStatus.CANCELLED)[n % 4]  # fmt: skip
        matched = during()
        t["broker_deal"].append({
            "id": uuid.uuid4(), "listing_id": listing["id"], "broker_id": listing["broker_id"],
            "buyer_id": buyers[(n + 1) % len(buyers)], "purpose": "SME credit scoring",
            "scenario": "bench", "price": Decimal(f"{1000 + n % 997}.50"), "status": status,
            "matched_at": matched, "confirmed_at": None,
            "delivered_at": matched if status is DealStatus.DELIVERED else None,
            "cancelled_at": matched if status is DealStatus.CANCELLED else None,
            "cancel_reason": "", "cancelled_by_id": None, "delivery_note": "",
        })  # fmt: skip
    outputs = [a["id"] for a in t["asset"]]
    for n in range(args.flows):
        b = n % len(brokers)
        t["broker_data_flow"].append({
            "id": uuid.uuid4(), "broker_id": brokers[b],
            "output_asset_id": outputs[b * PRODUCTS_PER_BROKER + n % PRODUCTS_PER_BROKER],
            "purpose": "bench", "scenario": "bench", "recipients": "[]", "recorded_at": during(),
            "ledger_seq": 0,
        })  # fmt: skip
    for n in range(args.flows // 50):
        t["broker_refusal"].append({
            "id": uuid.uuid4(), "broker_id": brokers[(n * 7) % len(brokers)],
            "kind": (RefusalKind.FLOW_BASIS_MISSING, RefusalKind.LICENCE_NOT_ACTIVE)[n % 2],
            "action": "record_data_flow",
            "licence_status": None if n % 2 == 0 else LicenceStatus.SUSPENDED,
            "codes": "RESOURCE_NOT_SHARED", "at": during(), "ledger_seq": 0,
        })  # fmt: skip
    for n in range(args.complaints):
        received = during()
        due = received + timedelta(days=rng.choice((3, 10, 21)))
        resolved = received + timedelta(days=rng.choice((1, 5, 12, 30))) if n % 3 else None
        t["complaint"].append({
            "id": uuid.uuid4(), "subject": f"bench-person-{n % len(brokers):04d}",
            "against_id": brokers[(n * 13) % len(brokers)], "consent_id": None, "use_id": None,
            "text": "bench",
            "status": ComplaintStatus.RESOLVED if resolved else ComplaintStatus.RECEIVED,
            "received_at": received, "due_at": due, "assignee": "",
            "outcome": None, "resolution": "", "resolved_at": resolved,
        })  # fmt: skip
    return t


async def seed(
    database_url: str, args: argparse.Namespace, authority_id: uuid.UUID, end: datetime
) -> dict[str, int]:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlmodel import SQLModel

    import broker.models  # noqa: F401
    import consent.models  # noqa: F401
    import registry.models  # noqa: F401

    tables = rows_for(args, authority_id, end)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for name, rows in tables.items():
                table = SQLModel.metadata.tables[name]
                for chunk in range(0, len(rows), 5000):
                    await conn.execute(sa.insert(table), rows[chunk : chunk + 5000])
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return {name: len(rows) for name, rows in tables.items()}


async def pg_create(admin_dsn: str) -> str:
    import asyncpg

    name = f"pdex_broker_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def pg_drop(admin_dsn: str, name: str) -> None:
    import asyncpg

    assert name.startswith("pdex_broker_bench_")
    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def evaluate(url: str, token: str, start: datetime, end: datetime) -> tuple[float, dict]:
    variables = {"input": {"periodStart": start.isoformat(), "periodEnd": end.isoformat()}}
    async with httpx.AsyncClient(timeout=120.0) as client:
        t0 = time.perf_counter()
        response = await client.post(
            url, json={"query": EVALUATE, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )  # fmt: skip
        seconds = time.perf_counter() - t0
    body = response.json()
    assert "errors" not in body and not body["data"]["evaluateBrokers"]["userErrors"], body
    return seconds, body["data"]["evaluateBrokers"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", type=int, default=200)
    parser.add_argument("--flows", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per row measured")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace, command: str) -> int:
    admin = args.pg_admin_url
    name = await pg_create(admin)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="pdex-broker-bench-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            workdir = Path(tmp)
            url = api.normalize_pg_url(api.pg_url(admin, name))
            port = api.free_port()
            data_dir = workdir / "data"
            data_dir.mkdir()
            import os

            env = dict(os.environ, PDEX_DATABASE_URL=url, PDEX_DATA_DIR=str(data_dir))
            env.pop("PDEX_OIDC_JWKS_URL", None)
            env.pop("PDEX_ACCESS_LOG", None)
            env["PDEX_CHECKPOINT_INTERVAL"] = "0"
            env["PDEX_RATE_LIMIT"] = "0"  # one caller's throughput: no per-caller limit
            env["PDEX_MAX_CONCURRENT"] = "0"
            server = api.Server("pdex-postgres", api.pdex_argv(port), env, workdir)
            stack.callback(server.stop)
            base = f"http://127.0.0.1:{port}"
            await server.wait_ready(httpx.Request("GET", base + "/healthz"))
            match = api.TOKEN_LINE.search(server.stdout())
            if not match:
                raise RuntimeError(f"no authority token:\n{server.tail()}")
            token = match.group(1)
            end = datetime.now(UTC).replace(microsecond=0)
            t0 = time.perf_counter()
            counts = await seed(url, args, api.authority_from_token(token), end)
            seeded = time.perf_counter() - t0
            print(f"  seeded {counts} in {seeded:.1f} s", flush=True)
            graphql = base + "/graphql"
            start = end - timedelta(days=30)

            runs = []
            for _ in range(3):
                seconds, result = await evaluate(graphql, token, start, end)
                runs.append((seconds, result))
                print(f"  evaluateBrokers: {seconds:.2f} s", flush=True)
            graded = [
                sorted((e["broker"]["id"], e["score"], e["grade"]) for e in r["evaluations"])
                for _, r in runs
            ]
            reproducible = all(g == graded[0] for g in graded)
            evaluated = len(runs[0][1]["evaluations"])
            grades = {
                g: sum(1 for e in runs[0][1]["evaluations"] if e["grade"] == g) for g in "ABCD"
            }
            alerts = len(runs[0][1]["alertsRaised"])

            listing_check = (
                await httpx.AsyncClient(timeout=30).post(
                    graphql, json={"query": LISTINGS_QUERY},
                    headers={"authorization": f"Bearer {token}"},
                )
            ).json()  # fmt: skip
            nodes = [e["node"] for e in listing_check["data"]["listings"]["edges"]]
            assert len(nodes) == 20 and all(n["asset"]["currentValuation"] for n in nodes), nodes
            target = api.Target(
                "pdex/postgres", graphql, token, server,
                {"a": api.VIEWER_QUERY, "l": LISTINGS_QUERY},
            )  # fmt: skip
            results = await api.measure([target], args)
    finally:
        await pg_drop(admin, name)

    info = api.machine()
    by = {r.query: r for r in results}
    ratio = by["l"].rps / by["a"].rps if by["a"].rps else 0.0
    cpu_ratio = by["a"].server_us_per_request / by["l"].server_us_per_request
    times = [s for s, _ in runs]
    lines = [
        SECTION,
        "",
        "Written by `bench/brokers.py`; rerun it to refresh this section. Real numbers from one "
        "run, on PostgreSQL.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {info['nproc']} CPUs (`nproc`), {info['model']}, {info['platform']}",
        f"- Python {info['python']}, {info['date']}",
        f"- Seeded with bulk Core inserts in {seeded:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items() if v)
        + "; facts spread over the 30 days before the run.",
        "",
        "(i) `evaluateBrokers` over those 30 days, through the API as the data authority "
        "(one aggregate statement per kind of fact, GROUP BY broker; scoring in Python over "
        f"{evaluated} brokers; one ledger entry per run):",
        "",
        "| run | wall s |",
        "|---|---|",
        *[f"| {i + 1} | {s:.2f} |" for i, s in enumerate(times)],
        "",
        f"- median **{statistics.median(times):.2f} s** (aim < {TARGET_EVALUATE_SECONDS:g} s: "
        f"{'met' if statistics.median(times) < TARGET_EVALUATE_SECONDS else 'MISSED'}); "
        f"{evaluated} brokers graded {grades}; {alerts} risk alerts raised on the first run, "
        "none again on the reruns (raised once per rule, broker and period).",
        f"- Reproducible: the three runs gave {'identical' if reproducible else 'DIFFERENT'} "
        "scores and grades.",
        "",
        f"(ii) `listings(first: 20)` with broker, asset and latest valuation, {args.clients} "
        f"clients, {args.duration:g} s per row in {args.rounds} interleaved slices, against the "
        "foundation's (a) in the same run (same harness as `bench/api.py`; the load generator "
        "shares the CPUs):",
        "",
        *api.table(results),
        "",
        f"- listings / (a) = **{ratio:.2f}** (aim ≥ {TARGET_LISTINGS_VS_VIEWER:.2f}: "
        f"{'met' if ratio >= TARGET_LISTINGS_VS_VIEWER else 'MISSED'}); by server CPU per "
        f"request {cpu_ratio:.2f}.",
        "- `listings` is one statement for the page (listing joined to its asset, with the "
        "licence check as an EXISTS), one for the brokers and one for the valuations, whatever "
        "the page size (pinned in `tests/broker/test_listings.py`).",
        "- Where the miss comes from (cProfile, in-process, 20-broker seed): the page asks for "
        "~240 fields on ~100 objects, and graphql-core's execution of them is about 60 % of the "
        "server's CPU; the three statements (ORM rows, asyncpg, greenlet switches) most of the "
        "rest. The same wall as `assets` (c) of issue 4 (see above): cutting SQL to zero would "
        "not reach 0.10; resolving fewer fields per node would.",
    ]
    section = "\n".join(lines) + "\n"
    print()
    print(section)
    if str(args.output) != "-":
        api.write_section(SECTION, section, args.output)
        print(f"wrote the {SECTION!r} section of {args.output}")
    return 0 if reproducible else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shown = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python bench/brokers.py", *(shlex.quote(a) for a in shown)])
    return asyncio.run(main_async(args, command))


if __name__ == "__main__":
    raise SystemExit(main())
