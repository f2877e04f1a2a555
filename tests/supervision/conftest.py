"""Supervision test helpers: agencies with claimed items and catalogue entries made through
the registry; sharing rows a test only reads are inserted (sharing's use cases are its own)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

import registry
from core.clock import now
from core.identity import Role
from core.models import OrganizationKind
from core.usecase import run
from sharing.models import ShareMode, ShareRequest, ShareRequestStatus


@pytest.fixture
async def agency(make_caller: Any) -> Any:
    return await make_caller(Role.AGENCY, OrganizationKind.AGENCY)


@pytest.fixture
async def other_agency(make_caller: Any) -> Any:
    return await make_caller(Role.AGENCY, OrganizationKind.AGENCY)


@pytest.fixture(scope="session")
async def oversight(make_caller: Any) -> Any:
    return await make_caller(Role.OVERSIGHT)


@pytest.fixture(scope="session")
def claim(db: Any) -> Any:
    """A data item claimed by `caller`'s agency; returns its code."""

    async def make(caller: Any) -> str:
        code = f"sup.item-{uuid.uuid4().hex[:10]}"
        await run(
            db,
            caller.principal,
            lambda s, a: registry.claim_data_item(s, a, code=code, name=code, legal_basis="test"),
        )
        return code

    return make


@pytest.fixture(scope="session")
def catalogue(db: Any) -> Any:
    """A catalogue entry of `caller`'s agency carrying `items`; returns the Resource."""

    async def make(
        caller: Any,
        items: tuple[str, ...] = (),
        *,
        share_type: registry.ShareType = registry.ShareType.UNCONDITIONAL,
        code: str | None = None,
        frequency: registry.UpdateFrequency = registry.UpdateFrequency.MONTHLY,
    ) -> registry.Resource:
        fields = registry.ResourceFields(
            code=code or f"SUP-{uuid.uuid4().hex[:10]}",
            name="Test entry",
            description="",
            share_type=share_type,
            open_type=registry.OpenType.NOT_OPEN,
            delivery=registry.Delivery.API,
            update_frequency=frequency,
            sensitivity=registry.Sensitivity.GENERAL,
            contains_personal_info=False,
            data_items=items,
            share_conditions="On request" if share_type is registry.ShareType.CONDITIONAL else "",
            share_legal_basis="Law X Art. 1" if share_type is registry.ShareType.NOT_SHARED else "",
        )
        return await run(db, caller.principal, lambda s, a: registry.create_resource(s, a, fields))

    return make


@pytest.fixture(scope="session")
def share_request(db: Any) -> Any:
    """A share request row as sharing records it (inserted: only its facts are read here)."""

    async def make(
        requester: Any,
        resource: registry.Resource,
        *,
        status: ShareRequestStatus = ShareRequestStatus.DELIVERED,
        received_at: datetime | None = None,
        answer_due_at: datetime | None = None,
        answered_at: datetime | None = None,
        delivery_due_at: datetime | None = None,
        delivered_at: datetime | None = None,
        scenario: str = "test scenario",
    ) -> ShareRequest:
        at = received_at or now() - timedelta(days=1)
        row = ShareRequest(
            requester_id=requester.org_id,
            resource_id=resource.id,
            source_department_id=resource.owner_id,
            purpose="test",
            scenario=scenario,
            scenario_key=uuid.uuid4().hex,
            mode=ShareMode.API,
            until=at + timedelta(days=365),
            share_type=resource.share_type.value,
            status=status,
            received_at=at,
            answer_due_at=answer_due_at,
            answered_at=answered_at,
            delivery_due_at=delivery_due_at,
            delivered_at=delivered_at,
            ledger_seq=0,
        )
        async with db.transaction() as session:
            session.add(row)
        return row

    return make
