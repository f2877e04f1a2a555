"""Each catalogue entry states how it is delivered (Art. 10) and how it is shared (Art. 14)."""

from __future__ import annotations

import uuid

import pytest

from core.identity import Role
from core.models import OrganizationKind

CREATE = """mutation($input: CreateResourceInput!) { createResource(input: $input) {
  resource { code delivery shareType shareConditions shareLegalBasis } userErrors { code } } }"""
BASE = {
    "name": "Social insurance contributions",
    "openType": "NOT_OPEN",
    "updateFrequency": "MONTHLY",
    "sensitivity": "GENERAL",
    "containsPersonalInfo": False,
}


def entry(**fields):
    return {"code": f"types.{uuid.uuid4().hex[:10]}", **BASE, **fields}


@pytest.mark.article(10)
async def test_table_api_or_file_delivery_is_recorded_and_nothing_else(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    for delivery in ("TABLE", "API", "FILE"):
        data = entry(delivery=delivery, shareType="UNCONDITIONAL")
        result = (await gql(CREATE, {"input": data}, agency))["data"]["createResource"]
        assert result["userErrors"] == [] and result["resource"]["delivery"] == delivery
    refused = await gql(
        CREATE, {"input": entry(delivery="EMAIL", shareType="UNCONDITIONAL")}, agency
    )
    assert refused["errors"] and not refused.get("data")


@pytest.mark.article(14)
async def test_every_entry_is_marked_with_one_of_three_share_types(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    cases = {
        "UNCONDITIONAL": {},
        "CONDITIONAL": {"shareConditions": "For tax audits only"},
        "NOT_SHARED": {"shareLegalBasis": "Statistics Law Art. 9"},
    }
    for share_type, extra in cases.items():
        data = entry(delivery="TABLE", shareType=share_type, **extra)
        result = (await gql(CREATE, {"input": data}, agency))["data"]["createResource"]
        assert result["userErrors"] == [] and result["resource"]["shareType"] == share_type
    missing = {k: v for k, v in entry(delivery="TABLE").items()}
    refused = await gql(CREATE, {"input": missing}, agency)
    assert refused["errors"] and not refused.get("data"), "a share type is required"
