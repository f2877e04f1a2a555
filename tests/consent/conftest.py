"""Consent test helpers: subjects, grantees, data items and consents made through the domain."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

import consent
from core.clock import now
from core.identity import Role
from core.models import Organization, OrganizationKind
from registry.models import DataItem


@pytest.fixture
async def subject(make_caller: Any) -> Any:
    return await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def grantee(make_caller: Any) -> Any:
    return await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)


@pytest.fixture(scope="session")
def make_item(db: Any, new_uscc: Any) -> Any:
    """A catalogue data item (optionally sensitive personal information); returns its code."""

    async def make(*, sensitive: bool = False) -> str:
        code = f"test.item-{uuid.uuid4().hex[:10]}"
        async with db.transaction() as session:
            agency = Organization(
                kind=OrganizationKind.AGENCY, name=f"Agency {code}", uscc=new_uscc()
            )
            session.add(agency)
            await session.flush()
            session.add(
                DataItem(
                    code=code,
                    name=code,
                    legal_basis="test",
                    sensitive_personal=sensitive,
                    source_department_id=agency.id,
                )
            )
        return code

    return make


@pytest.fixture(scope="session")
def grant(db: Any) -> Any:
    """Grant a consent through the domain; keyword arguments override GrantFields."""

    async def make(subject: Any, grantee: Any, **overrides: Any) -> consent.Consent:
        fields: dict[str, Any] = {
            "grantee_id": grantee.org_id,
            "purpose": "Loan application",
            "valid_until": now() + timedelta(days=30),
            "certificates": (consent.CertificateType.BUSINESS_LICENCE,),
            "mode": consent.ConsentMode.PERIODIC,
            "frequency": "P1D",
        }
        fields.update(overrides)
        async with db.transaction() as session:
            return await consent.grant_consent(
                session, subject.principal, consent.GrantFields(**fields)
            )

    return make


@pytest.fixture(scope="session")
def use(db: Any) -> Any:
    """Pass the gate once in its own transaction; return the recorded DataUse."""

    async def run(
        caller: Any,
        consent_id: uuid.UUID,
        item: str = "certificate:BUSINESS_LICENCE",
        purpose: str = "Loan application",
    ) -> consent.DataUse:
        async with db.transaction() as session:
            return await consent.authorize_data_use(
                session, caller.principal, consent_id=consent_id, item=item, purpose=purpose
            )

    return run
