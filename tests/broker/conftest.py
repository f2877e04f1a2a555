"""Broker test helpers: brokers at each licence status, catalogue resources, registered assets
and consents, made through the domain (or, for registry rows a test only reads, inserted)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

import broker
import consent
from core.clock import now
from core.identity import Role
from core.models import Organization, OrganizationKind
from core.usecase import run
from registry.models import (
    Asset,
    AssetKind,
    AssetSource,
    AssetStatus,
    DataItem,
    Delivery,
    OpenType,
    Resource,
    Sensitivity,
    ShareType,
    UpdateFrequency,
)

APPLICATION = broker.LicenceApplication(
    broker_type=broker.BrokerType.DATA_ENABLEMENT,
    business_scope="Matching SME credit data products with lenders in Jiangmen",
    scenarios=("SME lending", "Supply-chain finance"),
    mlps_level=3,
    dcmm_level=3,
    contact="compliance@broker.example",
    minors_data_handling="No data of minors is handled.",
    sensitive_data_handling="Separate consent; processed in a clean room only.",
)


@pytest.fixture(scope="session")
def act(db: Any) -> Any:
    """Run one use case in its own transaction, as one mutation would."""

    async def run(use_case: Any, *args: Any, **kwargs: Any) -> Any:
        async with db.transaction() as session:
            return await use_case(session, *args, **kwargs)

    return run


@pytest.fixture(scope="session")
def every() -> Any:
    """Every item a domain list function returns, page after page (the shared test database
    holds many brokers, licences and alerts: a claim about one row cannot stop at page 1)."""

    async def walk(list_page: Any, *args: Any, **filters: Any) -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            page = await list_page(*args, first=100, after=after, **filters)
            items += page.items
            if not page.has_next_page:
                return items
            after = page.cursors[-1]

    return walk


@pytest.fixture(scope="session")
def attempt(db: Any) -> Any:
    """What the API does (`core.usecase.run`): run one broker use case in its own
    transaction; should it be `Refused`, its after-rollback step records the attempt and
    the refusal is raised again."""

    async def attempt_one(use_case: Any, actor: Any, *args: Any, **kwargs: Any) -> Any:
        return await run(db, actor, lambda session, a: use_case(session, a, *args, **kwargs))

    return attempt_one


@pytest.fixture(scope="session")
def make_broker(make_caller: Any, authority: Any, act: Any) -> Any:
    """A broker organisation and token whose licence went through `decisions` (default:
    approved). Returns (caller, licence)."""

    async def make(*decisions: broker.LicenceDecisionKind) -> tuple[Any, broker.BrokerLicence]:
        caller = await make_caller(Role.BROKER, OrganizationKind.BROKER)
        licence = await act(broker.apply_broker_licence, caller.principal, APPLICATION)
        for decision in decisions or (broker.LicenceDecisionKind.APPROVE,):
            licence = await act(
                broker.decide_broker_licence,
                authority.principal,
                licence.id,
                decision=decision,
                reason=f"test: {decision.value.lower()}",
            )
        return caller, licence

    return make


@pytest.fixture(scope="session")
def make_resource(db: Any, new_uscc: Any) -> Any:
    """A catalogue resource of one agency with one data item; returns the Resource."""

    async def make(share_type: ShareType = ShareType.UNCONDITIONAL) -> Resource:
        code = f"T-{uuid.uuid4().hex[:10].upper()}"
        async with db.transaction() as session:
            agency = Organization(
                kind=OrganizationKind.AGENCY, name=f"Agency {code}", uscc=new_uscc()
            )
            session.add(agency)
            await session.flush()
            session.add(
                DataItem(
                    code=f"item.{code}",
                    name=code,
                    legal_basis="test",
                    source_department_id=agency.id,
                )
            )
            resource = Resource(
                code=code, name=f"Resource {code}", owner_id=agency.id, share_type=share_type,
                share_legal_basis="Statute X art. 1" if share_type is ShareType.NOT_SHARED else "",
                open_type=OpenType.NOT_OPEN, delivery=Delivery.API,
                update_frequency=UpdateFrequency.DAILY, sensitivity=Sensitivity.GENERAL,
            )  # fmt: skip
            session.add(resource)
        return resource

    return make


@pytest.fixture(scope="session")
def make_asset(db: Any) -> Any:
    """An asset of `holder` at `status` (default REGISTERED), optionally sourced from
    catalogue resources. Inserted directly: registration has its own tests."""

    async def make(
        holder: uuid.UUID,
        *,
        kind: AssetKind = AssetKind.DATA_PRODUCT,
        status: AssetStatus = AssetStatus.REGISTERED,
        name: str | None = None,
        resources: tuple[uuid.UUID, ...] = (),
    ) -> Asset:
        async with db.transaction() as session:
            asset = Asset(
                kind=kind, name=name or f"Product {uuid.uuid4().hex[:8]}",
                description="test asset", scenario="SME lending", rights="PROCESSING_USE",
                update_frequency=UpdateFrequency.MONTHLY, holder_id=holder, status=status,
            )  # fmt: skip
            if status is AssetStatus.REGISTERED:
                asset.registered_at = now()
                asset.registration_number = f"JMDR-T-{asset.id.hex[:12].upper()}"
            session.add(asset)
            await session.flush()
            for resource_id in resources:
                session.add(AssetSource(asset_id=asset.id, resource_id=resource_id))
        return asset

    return make


@pytest.fixture(scope="session")
def make_consent(db: Any, make_caller: Any) -> Any:
    """A person's consent to `grantee` for a business-licence certificate; returns it."""

    async def make(grantee_id: uuid.UUID, purpose: str = "SME credit scoring", **overrides: Any):
        person = await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:12]}")
        fields: dict[str, Any] = {
            "grantee_id": grantee_id,
            "purpose": purpose,
            "valid_until": now() + timedelta(days=30),
            "certificates": (consent.CertificateType.BUSINESS_LICENCE,),
            "mode": consent.ConsentMode.PERIODIC,
            "frequency": "P1D",
        }
        fields.update(overrides)
        async with db.transaction() as session:
            granted = await consent.grant_consent(
                session, person.principal, consent.GrantFields(**fields)
            )
        return person, granted

    return make


ITEM = "certificate:BUSINESS_LICENCE"


@pytest.fixture(scope="session")
def application() -> broker.LicenceApplication:
    return APPLICATION
