"""Art. 25: an objection pauses the public notice clock; when the last open objection is
dismissed, the working days that were left run again from the dismissal (issue 10 §8)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

import registry
from core.errors import UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry
from registry.models import AssetKind, AssetRight, AssetStatus, UpdateFrequency


def at(day: str) -> datetime:
    """10:00 Shanghai time on `day`."""
    return datetime.fromisoformat(f"{day}T02:00:00+00:00")


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T15:59:59.999999+00:00")


@pytest.mark.article(25)
async def test_objections_pause_the_notice_and_dismissal_resumes_what_was_left(
    db, authority, make_caller, monkeypatch
):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    neighbour = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)

    async def on(day: str, work):
        monkeypatch.setattr("registry.assets.now", lambda: at(day))
        async with db.transaction() as session:
            return await work(session)

    fields = registry.AssetFields(
        kind=AssetKind.DATA_PRODUCT, name="Notice clock index", scenario="Lending",
        rights=(AssetRight.OPERATION,), update_frequency=UpdateFrequency.MONTHLY,
        sources=(registry.SourceSpec(dataset_name="Loans", dataset_holder="Bank",
                                     legal_basis="Contracts"),),
    )  # fmt: skip
    asset = await on("2025-09-22", lambda s: registry.register_asset(s, firm.principal, fields))
    await on(
        "2025-09-22", lambda s: registry.submit_asset_registration(s, firm.principal, asset.id)
    )
    # Mon 22 Sep 2025: 23, 24, 25, 26 and the make-up Sunday 28 Sep → ends Sun 28 Sep.
    noticed = await on("2025-09-22", lambda s: registry.review_asset_registration(
        s, authority.principal, asset.id, accept=True, reason=""))  # fmt: skip
    assert noticed.notice_ends_at == end_of("2025-09-28") and noticed.notice_days == 5

    # Thu 25 Sep: 25, 26 and 28 Sep not yet run (the day of the objection included): 3 left.
    first = await on("2025-09-25", lambda s: registry.object_to_asset(
        s, neighbour.principal, asset.id, text="The loan book is ours."))  # fmt: skip
    async with db.read() as session:
        paused = await session.get(registry.Asset, asset.id)
    assert paused.status is AssetStatus.OBJECTED
    assert paused.notice_ends_at is None and paused.notice_days == 3
    # Long after the original end, the paused notice still takes objections.
    second = await on("2025-10-13", lambda s: registry.object_to_asset(
        s, neighbour.principal, asset.id, text="And the scenario is misstated."))  # fmt: skip
    still = await on("2025-10-14", lambda s: registry.resolve_objection(
        s, authority.principal, first.id, upheld=False, resolution="Holder shown."))  # fmt: skip
    assert still.status is AssetStatus.OBJECTED and still.notice_ends_at is None
    # The last one dismissed on Wed 15 Oct: 16, 17 and Mon 20 Oct → a new end, not "at once".
    resumed = await on("2025-10-15", lambda s: registry.resolve_objection(
        s, authority.principal, second.id, upheld=False, resolution="Scenario fine."))  # fmt: skip
    assert resumed.status is AssetStatus.PUBLIC_NOTICE
    assert resumed.notice_ends_at == end_of("2025-10-20")
    async with db.read() as session:
        (fact,) = await session.scalars(
            sa.select(LedgerEntry.body).where(
                LedgerEntry.kind == "registry.asset.objection_resolved",
                LedgerEntry.body.contains(str(second.id)),
            )
        )
    assert json.loads(fact)["noticeEndsAt"] == end_of("2025-10-20").isoformat()

    with pytest.raises(UserError) as running:
        await on("2025-10-16", lambda s: registry.complete_asset_registration(
            s, firm.principal, asset.id))  # fmt: skip
    assert running.value.code == "NOTICE_RUNNING"
    async with db.transaction() as session:
        swept = await registry.complete_due_registrations(session, at("2025-10-17"))
    assert asset.id not in {a.id for a in swept}
    # A new objection on Thu 16 Oct pauses it again with 16, 17 and 20 Oct left.
    await on("2025-10-16", lambda s: registry.object_to_asset(
        s, neighbour.principal, asset.id, text="One more thing."))  # fmt: skip
    async with db.read() as session:
        again = await session.get(registry.Asset, asset.id)
    assert again.status is AssetStatus.OBJECTED and again.notice_days == 3
