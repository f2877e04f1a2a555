"""Registry figures (issue 4): the catalogue's full-text filter over 10,000 resources.

    .venv/bin/python bench/registry.py [--resources N] [--queries N] [--engines postgres,sqlite]

Seeds N resources (bulk insert) for a few agencies into a fresh database per engine, then
times `resources(filter: {text})` through the domain function `registry.list_resources`,
in-process (no HTTP), for terms that match many, few and no rows. Target: p99 < 50 ms on
PostgreSQL. Prints a Markdown table; paste it into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import registry  # noqa: E402
from core import migrate  # noqa: E402
from core.clock import now  # noqa: E402
from core.db import Database  # noqa: E402
from core.identity import Principal, Role  # noqa: E402
from core.models import Organization, OrganizationKind  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.validators import make_org_code, make_uscc  # noqa: E402
from registry.models import Resource  # noqa: E402

WORDS = (
    "enterprise licence penalty land parcel insurance employment tax permit school clinic "
    "river road bus water power housing subsidy pension credit customs port fishery forest"
)


async def seed(db: Database, n: int) -> None:
    rng = random.Random(7)
    words = WORDS.split()
    async with db.transaction() as session:
        owners = []
        for i in range(5):
            org = Organization(
                kind=OrganizationKind.AGENCY,
                name=f"Bench agency {i}",
                uscc=make_uscc("11440700" + make_org_code(f"BENCH{i:03d}")),
            )
            session.add(org)
            owners.append(org)
        await session.flush()
        created = now()
        rows = [
            {
                "id": uuid.uuid4(),
                "code": f"BENCH-{i:06d}",
                "name": " ".join(rng.sample(words, 3)) + f" {i}",
                "description": " ".join(rng.choices(words, k=25)),
                "owner_id": owners[i % 5].id,
                "share_type": rng.choice(list(registry.ShareType)),
                "share_conditions": "conditions",
                "share_legal_basis": "law",
                "open_type": rng.choice(list(registry.OpenType)),
                "delivery": registry.Delivery.API,
                "update_frequency": registry.UpdateFrequency.DAILY,
                "sensitivity": registry.Sensitivity.GENERAL,
                "contains_personal_info": False,
                "last_updated_at": None,
                "stale_after": None,
                "version": 1,
                "created_at": created,
            }
            for i in range(n)
        ]
        for start in range(0, n, 2000):
            await session.execute(sa.insert(Resource), rows[start : start + 2000])


async def measure(db: Database, queries: int) -> list[tuple[str, float, float, int]]:
    agency = Principal("bench", None, frozenset({Role.AGENCY}))
    results = []
    for term in ("licence", "pension credit", "BENCH-00123", "no-such-term"):
        timings, found = [], 0
        for _ in range(queries):
            started = time.perf_counter()
            async with db.read() as session:
                page = await registry.list_resources(
                    session, agency, registry.ResourceFilter(text=term), first=20, after=None
                )
            timings.append((time.perf_counter() - started) * 1000)
            found = len(page.items)
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        results.append((term, statistics.median(timings), p99, found))
    return results


async def run(engine: str, args: argparse.Namespace) -> list[str]:
    settings = load_settings()
    admin = None
    if engine == "postgres":
        name = f"pdex_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        except OSError as exc:
            return [f"| postgres | skipped: {exc} | | | |"]
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db = Database(replace(settings, database_url=url))
    try:
        await migrate.upgrade(db.writer)
        await seed(db, args.resources)
        rows = await measure(db, args.queries)
    finally:
        await db.dispose()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    return [f"| {engine} | `{t}` | {p50:.2f} | {p99:.2f} | {n} |" for t, p50, p99, n in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--engines", default="postgres,sqlite")
    args = parser.parse_args()
    lines = ["| engine | text | p50 ms | p99 ms | rows on page |", "|---|---|---:|---:|---:|"]
    for engine in args.engines.split(","):
        lines += asyncio.run(run(engine, args))
    print(f"{args.resources:,} resources, {args.queries} queries per term, first: 20")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
