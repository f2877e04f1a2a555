"""Sharing test helpers: three agencies, items and one catalogue entry per share type, made
through the registry's own use cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import registry
import sharing
from core.clock import now
from core.identity import Role
from core.models import OrganizationKind


@pytest.fixture(scope="session")
def act(db: Any) -> Any:
    """Run one use case in its own transaction, as one mutation would."""

    async def run(use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with db.transaction() as session:
            return await use_case(session, *args, **kwargs)

    return run


@dataclass
class World:
    source: Any  # the source department (owns the items and resources)
    requester: Any
    other: Any  # a third agency
    items: dict[str, str]  # name -> code
    unconditional: registry.Resource
    conditional: registry.Resource
    not_shared: registry.Resource
    personal: registry.Resource  # conditional, holds personal information


async def _resource(act: Any, owner: Any, share: registry.ShareType, items: tuple[str, ...],
                    personal: bool = False) -> registry.Resource:  # fmt: skip
    tag = uuid.uuid4().hex[:8]
    return await act(
        registry.create_resource,
        owner.principal,
        registry.ResourceFields(
            code=f"res.{share.value.lower()}.{tag}",
            name=f"{share.value} {tag}",
            description="",
            share_type=share,
            open_type=registry.OpenType.NOT_OPEN,
            delivery=registry.Delivery.API,
            update_frequency=registry.UpdateFrequency.DAILY,
            sensitivity=registry.Sensitivity.GENERAL,
            contains_personal_info=personal,
            data_items=items,
            share_conditions="Only for licensing checks" if share.value == "CONDITIONAL" else "",
            share_legal_basis="Tax Collection Administration Law Art. 8"
            if share.value == "NOT_SHARED"
            else "",
        ),
    )


@pytest.fixture
async def world(act: Any, make_caller: Any) -> World:
    source = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    requester = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    other = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    tag = uuid.uuid4().hex[:8]
    items = {name: f"t{tag}.{name}" for name in ("status", "capital", "address", "tax")}
    for name, code in items.items():
        await act(
            registry.claim_data_item,
            source.principal,
            code=code,
            name=name,
            legal_basis="Company Law Art. 32",
            sensitive_personal=name == "address",
        )
    codes = (items["status"], items["capital"])
    return World(
        source=source,
        requester=requester,
        other=other,
        items=items,
        unconditional=await _resource(act, source, registry.ShareType.UNCONDITIONAL, codes),
        conditional=await _resource(act, source, registry.ShareType.CONDITIONAL, codes),
        not_shared=await _resource(act, source, registry.ShareType.NOT_SHARED, (items["tax"],)),
        personal=await _resource(
            act,
            source,
            registry.ShareType.UNCONDITIONAL,
            (items["status"], items["address"]),
            personal=True,
        ),  # fmt: skip
    )


@pytest.fixture(scope="session")
def ask(act: Any) -> Any:
    """`request_share` with sensible defaults; keyword arguments override RequestFields."""

    async def run(caller: Any, resource: Any, items: tuple[str, ...], **over: Any) -> Any:
        fields: dict[str, Any] = {
            "resource_id": resource.id,
            "items": items,
            "purpose": "Business licence check",
            "scenario": f"Enterprise start-up one-stop service {uuid.uuid4().hex[:6]}",
            "mode": sharing.ShareMode.API,
            "until": now() + timedelta(days=90),
        }
        fields.update(over)
        return await act(sharing.request_share, caller.principal, sharing.RequestFields(**fields))

    return run
