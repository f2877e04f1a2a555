"""`node(id)`: one resolver for every node type, and one rule for anonymous callers."""

from __future__ import annotations

import uuid

import pytest

from core.identity import Role
from core.models import OrganizationKind
from schema.dataloaders import loader
from schema.relay import NODE_TYPES, node_type, to_global_id

NODE = "query($id: ID!) { node(id: $id) { id } }"


def test_every_node_type_is_registered_once_with_a_loader():
    assert set(NODE_TYPES) >= {
        "Organization", "Witness", "DataItem", "Resource", "Asset", "Consent", "DataUse",
        "Complaint", "BrokerLicence", "Listing", "Deal", "DataFlow", "RiskAlert",
    }  # fmt: skip
    with pytest.raises(ValueError, match="registered twice"):
        node_type("Asset", "asset", lambda row: row)
    with pytest.raises(ValueError, match="two loaders"):
        loader("asset", lambda session, ids: None)


async def test_anonymous_callers_see_only_public_node_types(gql, make_caller):
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    # An organisation exists, but organisations are not a public node type: null, no error.
    result = await gql(NODE, {"id": to_global_id("Organization", agency.org_id)})
    assert result == {"data": {"node": None}}
    seen = await gql(NODE, {"id": to_global_id("Organization", agency.org_id)}, agency)
    assert seen["data"]["node"] == {"id": to_global_id("Organization", agency.org_id)}
    for type_name in NODE_TYPES:  # unknown ids of every type: null, never an error
        result = await gql(NODE, {"id": to_global_id(type_name, uuid.uuid4())})
        assert result == {"data": {"node": None}}, type_name
