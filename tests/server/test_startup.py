"""A new user's first minutes with `pdex`: a wrong setting is one line and exit status 2.

Each case runs the real command in a subprocess; none starts a server (a wrong database URL
is found before the app is imported), so each takes well under a second.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.validators import make_org_code, make_uscc

PDEX = str(Path(sys.executable).parent / "pdex")
PG_ADMIN_URL = os.environ.get(
    "PDEX_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PDEX, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_reachable() -> bool:
    host_port = PG_ADMIN_URL.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 5432)), timeout=2):
            return True
    except OSError:
        return False


CASES = {
    "missing database": (
        PG_ADMIN_URL.rsplit("/", 1)[0] + "/pdex_no_such_database",
        "database 'pdex_no_such_database' does not exist",
    ),
    "refused port": (
        "postgresql://postgres:s3cret@127.0.0.1:1/pdex",
        "127.0.0.1:1 refused the connection",
    ),
    "mysql": ("mysql://root@127.0.0.1/pdex", "uses 'mysql'"),
    "not a url": ("not a url", "is not a database URL"),
    "sqlite in a missing directory": (
        "sqlite:////nonexistent-pdex-dir/pdex.sqlite3",
        "cannot open the SQLite database /nonexistent-pdex-dir/pdex.sqlite3",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_wrong_database_url_is_one_line_and_exit_2(case, command, tmp_path):
    url, expected = CASES[case]
    if case == "missing database" and not pg_reachable():
        pytest.skip("needs a PostgreSQL server to ask for the missing database")
    args = [command] if command == "migrate" else [command, "--port", str(free_port())]
    result = run(*args, env={"PDEX_DATABASE_URL": url, "PDEX_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""  # nothing printed before the error: no "serving …", no tokens
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    assert "s3cret" not in result.stderr


@pytest.mark.slow
def test_a_port_in_use_is_reported_first(settings, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "serve",
            "--port",
            str(port),
            "--demo",
            env={
                "PDEX_DATABASE_URL": f"sqlite:///{tmp_path / 'pdex.sqlite3'}",
                "PDEX_DATA_DIR": str(tmp_path),
            },
        )
    assert result.returncode == 2
    assert result.stdout == ""  # neither "serving …" nor a token was printed
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is in use (another pdex?): stop it or pass --port"
    )
    assert not (tmp_path / "pdex.sqlite3").exists()  # found before the database was touched


@pytest.mark.slow
def test_bootstrap_says_what_the_id_is_and_what_to_run_next(settings, tmp_path):
    env = {
        "PDEX_DATABASE_URL": f"sqlite:///{tmp_path / 'pdex.sqlite3'}",
        "PDEX_DATA_DIR": str(tmp_path),
    }
    uscc = make_uscc("11440700" + make_org_code("MB2C9234"))
    result = run("bootstrap", "--name", "Jiangmen Data Authority", "--uscc", uscc, env=env)
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first.startswith("data-authority organisation id: ")
    org_id = first.rsplit(" ", 1)[1]
    assert f"pdex token --role authority --org {org_id}" in result.stdout
    assert "pdex serve" in "\n".join(rest)
    token = run("token", "--role", "authority", "--org", org_id, env=env)  # the hint works
    assert token.returncode == 0 and token.stdout.count(".") == 2, token.stderr
