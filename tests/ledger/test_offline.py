"""The offline verifier imports no database code: an auditor checks an exported bundle with
`ledger.verify` alone (no SQLAlchemy, no driver, no `core.db`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = ("sqlalchemy", "sqlmodel", "aiosqlite", "asyncpg", "psycopg", "alembic", "core.db")

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(module: str) -> list[str]:
    """Modules a fresh interpreter has loaded after `import module`."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def database_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == d or m.startswith(f"{d}.") for d in DATABASE)]


def test_import_ledger_verify_loads_no_database_code():
    assert database_modules(loaded_by("ledger.verify")) == []


def test_the_probe_sees_database_code_when_it_is_imported():
    """The check can fail: `ledger.log` (appending) needs the database."""
    found = database_modules(loaded_by("ledger.log"))
    assert "sqlalchemy" in found and "core.db" in found
