"""The demo catalogue is seeded once per resource code, by exact code."""

from __future__ import annotations

import dataclasses
import uuid

import registry
from core.identity import Role
from core.models import OrganizationKind
from server.demo_catalogue import MARKET, _seed_agency


async def test_a_code_that_prefixes_another_is_still_seeded(db, make_caller):
    """`jm.x.001` must not count as present because `jm.x.0010` is (a text search would)."""
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    template = MARKET[1][0][0]
    code = f"jm.t{uuid.uuid4().hex[:8]}.001"
    longer = dataclasses.replace(template, code=code + "0", data_items=())
    async with db.transaction() as session:
        await registry.create_resource(session, agency.principal, longer)

    wanted = dataclasses.replace(template, code=code, data_items=())
    await _seed_agency(db, agency.org_id, (), ((wanted, None),))
    async with db.read() as session:
        seeded = await registry.find_resource(session, code)
    assert seeded is not None and seeded.owner_id == agency.org_id

    await _seed_agency(db, agency.org_id, (), ((wanted, None),))  # once: no second attempt
