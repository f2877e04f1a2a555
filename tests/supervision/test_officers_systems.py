"""Chief data officers (Art. 28) and the system inventory (Art. 9): appointments with history,
systems with their document hashes, entries without a system; refusals and isolation."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

import supervision
from core.errors import AuthError, UserError
from core.usecase import run
from ledger.models import LedgerEntry

H1 = hashlib.sha256(b"design v1").hexdigest()
H2 = hashlib.sha256(b"data structure v1").hexdigest()


async def appoint(db, caller, org_id, name="Li Wei", title="Deputy Director"):
    return await run(
        db,
        caller.principal,
        lambda s, a: supervision.appoint_cdo(s, a, org_id, name=name, title=title),
    )


@pytest.mark.article(28)
async def test_cdo_appointed_ended_history_kept(db, agency, authority):
    first = await appoint(db, agency, agency.org_id)
    with pytest.raises(UserError) as second:
        await appoint(db, agency, agency.org_id, name="Wang Fang")
    assert second.value.code == "CDO_ALREADY_APPOINTED"
    ended = await run(
        db, agency.principal, lambda s, a: supervision.end_cdo(s, a, first.id, reason="Retired")
    )
    assert ended.ended_at is not None and ended.end_reason == "Retired"
    with pytest.raises(UserError) as again:
        await run(
            db, agency.principal, lambda s, a: supervision.end_cdo(s, a, first.id, reason="x")
        )
    assert again.value.code == "CDO_ALREADY_ENDED"
    by_authority = await appoint(db, authority, agency.org_id, name="Wang Fang")
    async with db.read() as session:
        history = await supervision.list_cdos(
            session, agency.principal, organization_id=agency.org_id, current_only=False,
            first=10, after=None,
        )  # fmt: skip
        current = await supervision.list_cdos(
            session, agency.principal, organization_id=agency.org_id, current_only=True,
            first=10, after=None,
        )  # fmt: skip
        kinds = (
            await session.scalars(
                sa.select(LedgerEntry.kind).where(LedgerEntry.seq.in_([first.ledger_seq,
                                                                        by_authority.ledger_seq]))
            )
        ).all()  # fmt: skip
    assert [c.name for c in history.items] == ["Li Wei", "Wang Fang"]
    assert [c.id for c in current.items] == [by_authority.id]
    assert set(kinds) == {"supervision.cdo.appointed"}


@pytest.mark.article(28)
async def test_cdo_refusals(db, agency, other_agency):
    with pytest.raises(AuthError):  # another agency's officer
        await appoint(db, other_agency, agency.org_id)
    with pytest.raises(UserError) as blank:
        await appoint(db, agency, agency.org_id, name=" ", title="")
    assert [p.code for p in blank.value.problems] == ["NAME_REQUIRED", "TITLE_REQUIRED"]
    mine = await appoint(db, agency, agency.org_id)
    with pytest.raises(UserError) as foreign:
        await run(db, other_agency.principal,
                  lambda s, a: supervision.end_cdo(s, a, mine.id, reason="no"))  # fmt: skip
    assert foreign.value.code == "CDO_NOT_FOUND"


@pytest.mark.article(9)
async def test_system_inventory_and_entries_without_a_system(
    db, agency, other_agency, authority, claim, catalogue
):
    item = await claim(agency)
    fed = await catalogue(agency, (item,))
    orphan = await catalogue(agency)
    fields = supervision.SystemFields("Licensing system", "Issues licences", H1, H2, (fed.id,))
    system = await run(db, agency.principal, lambda s, a: supervision.register_system(s, a, fields))
    async with db.read() as session:
        entry = await session.scalar(
            sa.select(LedgerEntry).where(LedgerEntry.seq == system.ledger_seq)
        )
        gaps = await supervision.resources_without_system(
            session, authority.principal, owner_id=agency.org_id, first=50, after=None
        )
        own = await supervision.list_systems(
            session, agency.principal, owner_id=None, first=50, after=None
        )
        theirs = await supervision.list_systems(
            session, other_agency.principal, owner_id=agency.org_id, first=50, after=None
        )
        fed_by = await supervision.resources_of_systems(session, [system.id])
    assert entry.kind == "supervision.system.registered"
    assert json.loads(entry.body)["designDocSha256"] == H1
    assert [r.id for r in gaps.items] == [orphan.id]
    assert [s.id for s in own.items] == [system.id]
    assert theirs.items == []  # an agency never sees another's inventory
    assert fed_by == [[fed.id]]


@pytest.mark.article(9)
async def test_system_refusals(db, agency, other_agency, catalogue):
    theirs = await catalogue(other_agency)
    bad = supervision.SystemFields("", "", "abc", H2.upper() + "0")
    with pytest.raises(UserError) as invalid:
        await run(db, agency.principal, lambda s, a: supervision.register_system(s, a, bad))
    assert [p.code for p in invalid.value.problems] == [
        "NAME_REQUIRED", "DOCUMENT_HASH_INVALID", "DOCUMENT_HASH_INVALID",
    ]  # fmt: skip
    foreign = supervision.SystemFields("Sys", "", H1, H2, (theirs.id,))
    with pytest.raises(UserError) as not_owned:
        await run(db, agency.principal, lambda s, a: supervision.register_system(s, a, foreign))
    assert not_owned.value.code == "RESOURCE_NOT_OWNED"
    ok = supervision.SystemFields("Sys", "", H1, H2)
    await run(db, agency.principal, lambda s, a: supervision.register_system(s, a, ok))
    with pytest.raises(UserError) as twice:
        await run(db, agency.principal, lambda s, a: supervision.register_system(s, a, ok))
    assert twice.value.code == "SYSTEM_NAME_TAKEN"
