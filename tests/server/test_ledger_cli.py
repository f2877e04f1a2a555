"""The auditor's commands, run as a user runs them: `pdex ledger verify|export|verify-bundle`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import ledger
from core.identity import Principal, Role
from ledger import signing

# CLI subprocesses, seconds each: run once (the database audit they call is tested on both
# engines in tests/ledger/test_log.py).
pytestmark = [pytest.mark.article(24), pytest.mark.slow]

PDEX = str(Path(sys.executable).parent / "pdex")
ACTOR = Principal("clerk", uuid.uuid4(), frozenset({Role.AGENCY}))


def pdex(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PDEX_DATABASE_URL": database_url, "PDEX_DATA_DIR": str(data_dir)}
    return subprocess.run([PDEX, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_verify_export_and_offline_bundle(fresh_db, fresh_settings, tmp_path):
    for i in range(12):
        async with fresh_db.transaction() as session:
            await ledger.append(session, "test.audit.recorded", ACTOR, {"i": i})
    signer = ledger.Signer(fresh_settings.ledger_origin, signing.generate_secret_key())
    signing.save_secret_key(tmp_path / "ledger-key.hex", signer.secret_key)
    await ledger.publish_checkpoint(fresh_db, signer)
    url = fresh_settings.database_url

    ok = pdex("ledger", "verify", database_url=url, data_dir=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK: 12 entries, 1 checkpoints verified" in ok.stdout
    # Progress (done/total) goes to stderr, the report stays on stdout.
    assert ok.stderr.splitlines() == ["verifying entries: 12/12", "verifying checkpoints: 1/1"]

    bundle = tmp_path / "bundle.json"
    exported = pdex("ledger", "export", str(bundle), database_url=url, data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    # Offline: no database at all (a URL that cannot connect proves it is not used).
    offline = pdex(
        "ledger",
        "verify-bundle",
        str(bundle),
        "--platform-key",
        signer.public_key.hex(),
        database_url="postgresql://nobody@127.0.0.1:1/none",
        data_dir=tmp_path,
    )
    assert offline.returncode == 0, offline.stdout
    assert "OK: 12 entries, 1 checkpoints verified" in offline.stdout

    data = json.loads(bundle.read_text())
    data["entries"][7]["body"] = {"i": 700}
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    bad = pdex("ledger", "verify-bundle", str(forged), database_url=url, data_dir=tmp_path)
    assert bad.returncode == 1
    assert "first bad seq: 7" in bad.stdout

    async with fresh_db.transaction() as session:  # an operator bypassing the trigger
        connection = await session.connection()
        if fresh_db.is_sqlite:
            await connection.exec_driver_sql("DROP TRIGGER ledger_entry_no_update")
        else:
            await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        await connection.exec_driver_sql(
            "UPDATE ledger_entry SET body = '{\"i\":5000}' WHERE seq = 5"
        )
    tampered = pdex("ledger", "verify", database_url=url, data_dir=tmp_path)
    assert tampered.returncode == 1
    assert "first bad seq: 5" in tampered.stdout
