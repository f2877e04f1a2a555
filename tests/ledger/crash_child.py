"""A pdex process that appends ledger facts until it is killed (tests/ledger/test_sequencer.py).

    python tests/ledger/crash_child.py <database url> <mode> <writers>

Each fact is appended in its own transaction, as a mutation does, with a row that records its
seq (a new witness key whose `last_signed_size` is stamped: any stamped column will do). `mode`:
- `after-commit`: SIGKILL itself right after the first transaction commits, before its batch
  (PostgreSQL; SQLite's transaction sequenced its own facts before its commit);
- `mid-batch`: SIGKILL itself inside the first batch, after its writes, before its commit
  (SQLite: the batch is in the domain's transaction, which dies with it);
- `run`: keep appending with `writers` concurrent writers until killed from outside.
It prints `ready` once it is about to append (the parent may time its kill from then).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import ledger  # noqa: E402
from core.db import Database  # noqa: E402
from core.identity import Principal, Role  # noqa: E402
from core.models import Organization, OrganizationKind  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ledger import log, sequencer  # noqa: E402
from ledger.models import WitnessKey  # noqa: E402

AGENCY = Principal("crash-child", uuid.uuid4(), frozenset({Role.AGENCY}))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(url: str, mode: str, writers: int) -> None:
    db = Database(replace(load_settings(), database_url=url))
    if mode == "after-commit":
        real_settle = sequencer.settle

        async def settle_then_die(engine, facts, known=None):  # after the commit
            die()
            await real_settle(engine, facts, known)

        sequencer.settle = settle_then_die
        log.settle = settle_then_die
    elif mode == "mid-batch":
        sequencer._before_commit = die

    async def writer(w: int) -> None:
        n = 0
        while True:
            async with db.transaction() as session:
                org = Organization(
                    kind=OrganizationKind.AUDITOR, name="crash", uscc=secrets.token_hex(9).upper()
                )
                session.add(org)
                await session.flush()
                witness = WitnessKey(
                    organization_id=org.id,
                    public_key=secrets.token_hex(48),
                    last_signed_size=ledger.UNSEQUENCED,
                )
                session.add(witness)
                await ledger.append(
                    session,
                    "test.crash.appended",
                    AGENCY,
                    {"w": w, "n": n, "witness": str(witness.id)},
                    stamp=[(witness, "last_signed_size")],
                )
            n += 1

    print("ready", flush=True)
    await asyncio.gather(*(writer(w) for w in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
