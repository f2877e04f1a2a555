"""The demand list (Art. 9): declared with scenario and legal duty, seen by the items' source
departments and the authority, met by a grant, withdrawn by its agency only."""

from __future__ import annotations

import pytest

import sharing
from core.errors import Forbidden, UserError

pytestmark = pytest.mark.article(9)


async def test_declare_see_and_meet(db, world, act, ask, authority):
    status = world.items["status"]
    with pytest.raises(UserError) as bare:
        await act(sharing.declare_data_demand, world.requester.principal,
                  sharing.DemandFields(scenario="", legal_duty="", items=()))  # fmt: skip
    assert {p.code for p in bare.value.problems} == {
        "SCENARIO_REQUIRED", "LEGAL_DUTY_REQUIRED", "ITEMS_REQUIRED",
    }  # fmt: skip
    with pytest.raises(UserError) as own:
        await act(sharing.declare_data_demand, world.source.principal,
                  sharing.DemandFields(scenario="s", legal_duty="d", items=(status,)))  # fmt: skip
    assert own.value.code == "OWN_ITEM"
    demand = await act(
        sharing.declare_data_demand, world.requester.principal,
        sharing.DemandFields(scenario="Licence checks at the service hall",
                             legal_duty="Administrative Licensing Law Art. 31", items=(status,)),
    )  # fmt: skip
    assert demand.status is sharing.DemandStatus.OPEN
    async with db.read() as session:
        for caller, sees in ((world.source, True), (world.requester, True),
                             (world.other, False), (authority, True)):  # fmt: skip
            page = await sharing.list_data_demands(
                session, caller.principal, sharing.DemandFilter(), first=100
            )
            assert (demand.id in {d.id for d in page.items}) is sees
        naming_mine = await sharing.list_data_demands(
            session, world.source.principal, sharing.DemandFilter(mine=False), first=100
        )
        assert demand.id in {d.id for d in naming_mine.items}
    with pytest.raises(Forbidden):
        await act(sharing.withdraw_data_demand, world.other.principal, demand.id)
    await ask(world.requester, world.unconditional, (status,))  # a grant covering it
    async with db.read() as session:
        met = await session.get(sharing.ShareDemand, demand.id)
    assert met.status is sharing.DemandStatus.MET
    with pytest.raises(UserError) as closed:
        await act(sharing.withdraw_data_demand, world.requester.principal, demand.id)
    assert closed.value.code == "DEMAND_NOT_OPEN"


async def test_a_whole_resource_and_unmet_demand_for_the_authority(db, world, act, authority):
    demand = await act(
        sharing.declare_data_demand, world.requester.principal,
        sharing.DemandFields(scenario="Tax credit checks", legal_duty="Tax law duty",
                             resource_id=world.conditional.id),
    )  # fmt: skip
    async with db.read() as session:
        items = (await sharing.items_of_demands(session, [demand.id]))[0]
        unmet = await sharing.list_data_demands(
            session, authority.principal, sharing.DemandFilter(status=sharing.DemandStatus.OPEN),
            first=100,
        )  # fmt: skip
    assert sorted(i.code for i in items) == sorted([world.items["status"], world.items["capital"]])
    assert demand.id in {d.id for d in unmet.items}
