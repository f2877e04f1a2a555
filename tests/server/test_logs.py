"""No personal data, and no client mistakes at ERROR, in the log (issue 10 §3).

The scenario plants one resident ID in every place a request can carry it — an inline
query with a bogus field, a refused token, a valid mutation, a database write that fails — and
scans every line the JSON formatter writes.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from core.identity import Role
from core.validators import make_resident_id
from server.logs import JsonFormatter, redact_personal

pytestmark = pytest.mark.article(51, law="PIPL")

PLANTED = make_resident_id("44070419900101017")
PHONE = "13812345678"


async def _scenario(client: Any, db: Any, make_caller: Any) -> None:
    subject = await make_caller(Role.DATA_SUBJECT)
    inline = (
        f'mutation {{ updateMyIdentity(input: {{residentId: "{PLANTED}", bogus: 1}}) '
        "{ userErrors { code } } }"
    )
    # A validation error: the document (with the ID) must not be logged.
    response = await client.post("/graphql", json={"query": inline}, headers=subject.headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # The same document with a refused token.
    refused = await client.post(
        "/graphql", json={"query": inline}, headers={"Authorization": "Bearer abc.def.ghi"}
    )
    assert refused.status_code == 401
    # A syntax error around the ID, and a valid mutation that stores it.
    await client.post("/graphql", json={"query": f'{{ "{PLANTED}" {PHONE} }}'})
    ok = await client.post(
        "/graphql",
        json={
            "query": "mutation($id: String) { updateMyIdentity(input: {residentId: $id}) "
            "{ userErrors { code } } }",
            "variables": {"id": PLANTED},
        },
        headers=subject.headers,
    )
    assert ok.status_code == 200
    # A database write that fails: its error must not carry the bound value.
    with pytest.raises(sa.exc.DBAPIError) as failed:
        async with db.transaction() as session:
            await session.execute(
                sa.text("INSERT INTO organizations (id, name) VALUES (:id, :name)"),
                {"id": PLANTED, "name": None},
            )
    assert PLANTED not in str(failed.value)
    logging.getLogger("pdex.test").error("write failed", exc_info=failed.value)


async def test_log_scan(client, db, make_caller):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        await _scenario(client, db, make_caller)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = stream.getvalue().splitlines()
    assert lines, "the scenario logs something"
    for line in lines:
        assert PLANTED not in line, line
        assert PLANTED[:17] not in line, line
        assert PHONE not in line, line
        entry = json.loads(line)
        if entry["logger"] == "pdex.graphql":
            # Client mistakes are INFO, never ERROR, and carry a code, not the document.
            assert entry["level"] == "INFO", line
            assert "updateMyIdentity" not in line


def test_formatter_redacts_identifier_shapes():
    assert redact_personal(f"id={PLANTED}, tel +86 {PHONE}, 0750-3201234") == (
        "id=[redacted], tel [redacted], [redacted]"
    )
    assert redact_personal(f"id {PLANTED[:17]}x") == "id [redacted]"
    digest = "a" + PLANTED + "f"  # inside a hex digest: not a shape of its own
    assert redact_personal(digest) == digest
    assert redact_personal("2026-12-03T04:21:17 took 12.5 ms") == (
        "2026-12-03T04:21:17 took 12.5 ms"
    )
