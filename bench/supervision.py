"""Agency supervision figures (issue 13), on PostgreSQL, in one run:

    .venv/bin/python bench/supervision.py [--agencies 100] [--requests 1000000]
                                          [--entries 100000] [--pg-admin-url URL]

Creates a fresh `pdex_bench_<random>` database (dropped at the end), migrates it, and
bulk-inserts with `INSERT … SELECT generate_series` (PostgreSQL does the generating): N
agencies; one claimed data item per catalogue entry plus 10 % unclaimed by any entry; the
catalogue entries (mixed frequencies, created 90 days before the period) with 1-3 recorded
refreshes each; the share requests, received over the 30-day period, answered and delivered
mostly on time (about 1 % late, 0.5 % never answered); disputes overturned, anomaly reports,
out-of-grant attempts, grants with usage reports, open rectifications. Then, in-process
(domain calls, no HTTP: the API adds one mutation's overhead to a multi-second job):

  (i)  `supervision.evaluate_agencies(now − 30 days, now)`, three runs: wall time each, SQL
       statements, and the results must be identical (reproducible);
  (ii) `supervision.detect_findings` on the same data: wall time of the first sweep (it
       records every finding) and of a second one (nothing new).

Prints the figures; copy them into BENCHMARKS.md ("## Agency supervision (issue 13)").
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_api", HERE / "api.py")
assert _spec and _spec.loader
api = importlib.util.module_from_spec(_spec)
sys.modules["bench_api"] = api
_spec.loader.exec_module(api)

TARGET_EVALUATE_SECONDS = 5.0
TARGET_SWEEP_SECONDS = 10.0

TIMES = re.compile(r":(start|end|old)\b")  # asyncpg wants the type of a bare parameter
SEED = [
    # the data authority and the agencies (n = 0 … agencies − 1)
    """INSERT INTO organization (id, kind, name, uscc, created_at)
       VALUES (:authority, 'AUTHORITY', 'Bench authority', 'BENCHAUTHORITY0001', :old)""",
    """CREATE TABLE bench_agency AS SELECT n, gen_random_uuid() AS id
       FROM generate_series(0, :agencies - 1) n""",
    """INSERT INTO organization (id, kind, name, uscc, created_at)
       SELECT id, 'AGENCY', 'Bench agency ' || n, 'BENCHAGENCY' || lpad(n::text, 7, '0'), :old
       FROM bench_agency""",
    # Art. 8: items, one per entry plus 10 % more that no entry carries
    """INSERT INTO data_item (id, code, name, legal_basis, sensitive_personal,
                             source_department_id, claimed_at)
       SELECT gen_random_uuid(), 'bench.item-' || i, 'Item ' || i, 'Bench law', false, a.id, :old
       FROM generate_series(0, :items - 1) i JOIN bench_agency a ON a.n = i % :agencies""",
    # Art. 9, 11: entries, created 90 days before the period; refreshed 1-3 times in it
    """INSERT INTO resource (id, code, name, description, owner_id, share_type, share_conditions,
                            share_legal_basis, open_type, delivery, update_frequency, sensitivity,
                            contains_personal_info, last_updated_at, stale_after, version,
                            created_at)
       SELECT gen_random_uuid(), 'BENCH-' || i, 'Entry ' || i, '', a.id,
              (ARRAY['UNCONDITIONAL','CONDITIONAL','CONDITIONAL','NOT_SHARED'])[1 + i % 4],
              'On request', 'Bench law art. 1', 'NOT_OPEN', 'API',
              (ARRAY['DAILY','WEEKLY','MONTHLY','QUARTERLY','ON_CHANGE'])[1 + i % 5],
              'GENERAL', false, :end - (i % 40) * interval '1 day',
              :end - (i % 40) * interval '1 day' + interval '7 days', 1, :old
       FROM generate_series(0, :entries - 1) i JOIN bench_agency a ON a.n = i % :agencies""",
    """CREATE TABLE bench_entry AS SELECT r.id, r.owner_id,
              substring(r.code from 7)::int AS i FROM resource r WHERE r.code LIKE 'BENCH-%'""",
    """CREATE INDEX ON bench_entry (i)""",
    """INSERT INTO resource_item (resource_id, data_item_id)
       SELECT e.id, d.id FROM bench_entry e JOIN data_item d ON d.code = 'bench.item-' || e.i""",
    """INSERT INTO resource_change (resource_id, version, changed_by_id, changed_at, change)
       SELECT e.id, 1, e.owner_id, :old, '{"created": true}' FROM bench_entry e""",
    """INSERT INTO resource_change (resource_id, version, changed_by_id, changed_at, change)
       SELECT e.id, 1 + k, e.owner_id, :start + (k * 9 + e.i % 9) * interval '1 day',
              '{"lastUpdatedAt": [null, "bench"]}'
       FROM bench_entry e, generate_series(1, 3) k WHERE k <= 1 + e.i % 3""",
    # Art. 13, 15: requests over the period; answer and delivery due 7 days on
    """INSERT INTO share_request (id, requester_id, resource_id, source_department_id, purpose,
              scenario, scenario_key, mode, until, share_type, status, received_at,
              answer_due_at, answer_due_provisional, answered_at, refusal_law, refusal_article,
              refusal_reason, delivery_due_at, delivery_due_provisional, delivered_at,
              delivery_reference, ledger_seq)
       SELECT gen_random_uuid(), r.id, e.id, e.owner_id, 'Bench', 'Scenario ' || k,
              md5(k::text), 'API', :end + interval '365 days', 'CONDITIONAL',
              CASE WHEN k % 200 = 0 THEN 'PENDING' ELSE 'DELIVERED' END, t.at,
              t.at + interval '7 days', false,
              CASE WHEN k % 200 = 0 THEN NULL
                   WHEN k % 100 = 1 THEN t.at + interval '9 days'
                   ELSE t.at + interval '2 days' END,
              '', '', '',
              CASE WHEN k % 200 = 0 THEN NULL ELSE t.at + interval '9 days' END, false,
              CASE WHEN k % 200 = 0 THEN NULL
                   WHEN k % 100 = 3 THEN t.at + interval '12 days'
                   ELSE t.at + interval '4 days' END,
              '', 0
       FROM generate_series(0, :requests - 1) AS g(k)
       JOIN bench_entry e ON e.i = k % :entries
       JOIN bench_agency r ON r.n = (k + 1) % :agencies
       CROSS JOIN LATERAL (SELECT :start + (k % 2592000) * interval '1 second' AS at) t""",
    # Art. 15: a dispute overturned per 1,000 requests
    """INSERT INTO share_dispute (id, request_id, reason, filed_at, outcome, ruling, ruled_at)
       SELECT gen_random_uuid(), s.id, 'Bench', s.received_at + interval '3 days', 'OVERTURNED',
              'Overturned', s.received_at + interval '5 days'
       FROM share_request s WHERE s.scenario_key LIKE '000%'""",
    # Art. 16, 20: grants (the first requests') with quarterly usage reports
    """INSERT INTO share_grant (id, request_id, grantee_id, resource_id, source_department_id,
              purpose, scenario, mode, valid_until, status, status_reason, created_at, ledger_seq)
       SELECT gen_random_uuid(), s.id, s.requester_id, s.resource_id, s.source_department_id,
              'Bench', s.scenario, 'API', :end + interval '365 days', 'ACTIVE', '',
              :old, 0
       FROM share_request s WHERE s.scenario_key LIKE '0%' LIMIT :grants""",
    # Art. 17: attempts outside a grant
    """INSERT INTO share_violation_candidate (id, grantee_id, grant_id, resource_id, kind,
              detail, at, ledger_seq)
       SELECT gen_random_uuid(), a.id, NULL, e.id, 'ITEMS_OUTSIDE_GRANT', '',
              :start + (k % 2592000) * interval '1 second', k
       FROM generate_series(0, :violations - 1) AS g(k)
       JOIN bench_agency a ON a.n = k % :agencies JOIN bench_entry e ON e.i = k % :entries""",
    # Art. 19: anomaly reports
    """INSERT INTO data_anomaly (id, resource_id, owner_id, reporter, text, status, received_at,
              due_at, due_provisional, answered_at, answer, ledger_seq)
       SELECT gen_random_uuid(), e.id, e.owner_id, 'bench', 'Doubt', 'NOT_AN_ERROR', t.at,
              t.at + interval '7 days', false,
              t.at + CASE WHEN k % 10 = 0 THEN interval '9 days' ELSE interval '2 days' END,
              'Checked', 0
       FROM generate_series(0, :anomalies - 1) AS g(k) JOIN bench_entry e ON e.i = k % :entries
       CROSS JOIN LATERAL (SELECT :start + (k % 2000000) * interval '1 second' AS at) t""",
    # Art. 35: open rectifications
    """INSERT INTO supervision_rectification (id, agency_id, status, instructions, working_days,
              ordered_by_id, ordered_at, due_at, due_provisional, evidence, decision_reason,
              ledger_seq)
       SELECT gen_random_uuid(), a.id, 'ORDERED', 'Bench', 10, :authority, :start,
              :end + interval '10 days', false, '', '', 0
       FROM bench_agency a WHERE a.n % 3 = 0""",
    "ANALYZE",
]


async def main(args: argparse.Namespace) -> int:
    import supervision
    from core.db import Database
    from core.identity import Principal, Role
    from core.migrate import upgrade
    from core.settings import load_settings

    name = await api.pg_create(args.pg_admin_url)
    if name is None:
        return 2
    url = api.normalize_pg_url(api.pg_url(args.pg_admin_url, name))
    db = None
    try:
        settings = replace(load_settings(), database_url=url, data_dir=Path(api.tempfile.mkdtemp()))
        db = Database(settings)
        await upgrade(db.writer)
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        start = end - timedelta(days=30)
        authority = api.uuid.uuid4()
        params = {
            "authority": authority, "old": start - timedelta(days=90), "start": start, "end": end,
            "agencies": args.agencies, "entries": args.entries, "items": args.entries * 11 // 10,
            "requests": args.requests, "violations": args.requests // 100,
            "anomalies": args.requests // 100, "grants": args.requests // 100,
        }  # fmt: skip
        started = time.perf_counter()
        async with db.writer.begin() as conn:
            for statement in SEED:
                text = sa.text(TIMES.sub(r"CAST(:\1 AS timestamptz)", statement))
                wanted = {k: v for k, v in params.items() if f":{k}" in statement}
                await conn.execute(text, wanted)
        seeded = time.perf_counter() - started
        async with db.read() as session:
            counts = {
                t: await session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                for t in ("organization", "data_item", "resource", "resource_change",
                          "share_request", "share_violation_candidate", "data_anomaly",
                          "share_grant", "share_dispute", "supervision_rectification")
            }  # fmt: skip
        print(f"seeded in {seeded:.1f} s: {counts}", flush=True)
        boss = Principal("bench", authority, frozenset({Role.AUTHORITY}))
        statements: list[str] = []
        sa.event.listen(
            db.writer.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        runs, results = [], []
        for _ in range(3):
            statements.clear()
            t0 = time.perf_counter()
            async with db.transaction() as session:
                ran = await supervision.evaluate_agencies(session, boss, start, end)
                results.append(
                    [(str(s.agency_id), s.facts, s.score, s.grade) for s in ran.scorecards]
                )
            runs.append(time.perf_counter() - t0)
        evaluate_statements = len(statements)
        same = all(r == results[0] for r in results)
        grades: dict[str, int] = {}
        for _, _, _, grade in results[0]:
            grades[grade] = grades.get(grade, 0) + 1
        sweeps, found = [], []
        for _ in range(2):
            t0 = time.perf_counter()
            async with db.transaction() as session:
                sweep = await supervision.detect_findings(session, boss)
                found.append(len(sweep.findings))
            sweeps.append(time.perf_counter() - t0)
        kinds: dict[str, int] = {}
        async with db.read() as session:
            for kind, n in await session.execute(
                sa.text(
                    "SELECT kind, count(*) FROM supervision_finding GROUP BY kind ORDER BY kind"
                )
            ):
                kinds[kind] = n
        load = os.getloadavg()
        timings = ", ".join(f"{r:.2f} s" for r in runs)
        print(f"evaluateAgencies ({args.agencies} agencies): {timings}; "
              f"{evaluate_statements} SQL statements per run; identical: {same}; "
              f"grades {grades} (target < {TARGET_EVALUATE_SECONDS:.0f} s)")  # fmt: skip
        print(f"detector sweep: first {sweeps[0]:.2f} s ({found[0]} findings {kinds}), "
              f"second {sweeps[1]:.2f} s ({found[1]} new) "
              f"(target < {TARGET_SWEEP_SECONDS:.0f} s)")  # fmt: skip
        print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
              f"on {os.cpu_count()} cores")  # fmt: skip
        return 0 if same else 1
    finally:
        if db is not None:
            await db.dispose()
        await api.pg_drop(args.pg_admin_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get(
            "PDEX_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
