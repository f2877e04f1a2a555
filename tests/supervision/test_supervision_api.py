"""Supervision through HTTP: CDOs, systems, projects, scorecards, findings and rectifications
as the API serves them; userErrors, refusals by role and isolation between agencies."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from core.clock import now
from registry import Resource
from schema.relay import to_global_id

pytestmark = pytest.mark.article(9, 28, 29, 30, 33, 35)

H = hashlib.sha256(b"doc").hexdigest()

CDO = """mutation($input: AppointChiefDataOfficerInput!) { appointChiefDataOfficer(input: $input) {
  chiefDataOfficer { id name current organization { id } } userErrors { field code } } }"""
SYSTEM = """mutation($input: RegisterInformationSystemInput!) { registerInformationSystem(input: $input) {
  informationSystem { id name designDocSha256 resources { code } } userErrors { field code } } }"""
FILE = """mutation($input: FileItProjectInput!) { fileItProject(input: $input) {
  itProject { id status dataList missing { item reason } } userErrors { field code } } }"""
APPROVE = """mutation($input: ApproveItProjectInput!) { approveItProject(input: $input) {
  itProject { id status } userErrors { field code } } }"""
EVALUATE = """mutation($input: EvaluateAgenciesInput!) { evaluateAgencies(input: $input) {
  scorecards { id grade score agency { id } } ledgerSeq userErrors { field code } } }"""
SCORECARDS = """query($agency: ID) { agencyScorecards(agencyId: $agency, first: 50) {
  edges { node { id grade agency { id } indicators { code value } } } } }"""
DETECT = """mutation { detectFindings { findings { id kind articleItem agency { id } }
  userErrors { code } } }"""
ORDER = """mutation($input: OrderRectificationInput!) { orderRectification(input: $input) {
  rectification { id status dueAt findings { id } } userErrors { field code } } }"""
RECTIFICATIONS = """query($agency: ID) { rectifications(agencyId: $agency, first: 20) {
  edges { node { id status agency { id } } } } }"""


async def test_the_supervision_flow_over_http(
    gql, db, agency, other_agency, authority, oversight, claim, catalogue
):
    org = to_global_id("Organization", agency.org_id)
    cdo = await gql(CDO, {"input": {"organizationId": org, "name": "Chen Jing",
                                     "title": "Deputy Director"}}, agency)  # fmt: skip
    assert cdo["data"]["appointChiefDataOfficer"]["chiefDataOfficer"]["current"] is True
    again = await gql(CDO, {"input": {"organizationId": org, "name": "X", "title": "Y"}}, agency)
    assert again["data"]["appointChiefDataOfficer"]["userErrors"] == [
        {"field": "organization", "code": "CDO_ALREADY_APPOINTED"}
    ]

    item = await claim(agency)
    entry = await catalogue(agency, (item,))
    system = await gql(SYSTEM, {"input": {
        "name": "Permits", "designDocSha256": H, "dataStructureDocSha256": H,
        "resourceIds": [to_global_id("Resource", entry.id)]}}, agency)  # fmt: skip
    assert system["data"]["registerInformationSystem"]["informationSystem"]["resources"] == [
        {"code": entry.code}
    ]

    filed = await gql(FILE, {"input": {"name": "Permits 2.0", "budget": "800000",
                                       "dataItems": [item], "resourceCodes": ["NEW-1"]}}, agency)  # fmt: skip
    project = filed["data"]["fileItProject"]["itProject"]
    assert project["dataList"] == [item, "NEW-1"]
    assert project["missing"] == [
        {"item": item, "reason": "NOT_DELIVERED"}, {"item": "NEW-1", "reason": "NOT_CATALOGUED"},
    ]  # fmt: skip
    refused = await gql(APPROVE, {"input": {"id": project["id"]}}, agency)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    approved = await gql(APPROVE, {"input": {"id": project["id"]}}, authority)
    assert approved["data"]["approveItProject"]["itProject"]["status"] == "APPROVED"

    period = {"periodStart": (now() - timedelta(days=30)).isoformat(),
              "periodEnd": now().isoformat()}  # fmt: skip
    evaluated = await gql(EVALUATE, {"input": period}, authority)
    assert evaluated["data"]["evaluateAgencies"]["userErrors"] == []
    not_over = await gql(EVALUATE, {"input": {**period, "periodEnd": (now() + timedelta(days=1)).isoformat()}}, authority)  # fmt: skip
    assert not_over["data"]["evaluateAgencies"]["userErrors"][0]["code"] == "PERIOD_NOT_OVER"
    own = await gql(SCORECARDS, {"agency": org}, agency)
    nodes = [e["node"] for e in own["data"]["agencyScorecards"]["edges"]]
    assert nodes and {n["agency"]["id"] for n in nodes} == {org}
    assert nodes[0]["indicators"][0]["code"] == "CATALOGUE_COVERAGE"
    theirs = await gql(SCORECARDS, {"agency": org}, other_agency)
    assert theirs["data"]["agencyScorecards"]["edges"] == []
    hidden = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": nodes[0]["id"]},
                       other_agency)  # fmt: skip
    assert hidden["data"]["node"] is None

    async with db.transaction() as session:
        row = await session.get(Resource, entry.id)
        row.stale_after = now() - timedelta(days=60)
    found = await gql(DETECT, None, authority)
    mine = [f for f in found["data"]["detectFindings"]["findings"] if f["agency"]["id"] == org]
    assert [(f["kind"], f["articleItem"]) for f in mine] == [("STALE_CATALOGUE", "35(2)")]
    denied = await gql(DETECT, None, agency)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ordered = await gql(ORDER, {"input": {"agencyId": org, "findingIds": [mine[0]["id"]],
                                          "workingDays": 10,
                                          "instructions": "Refresh the entry."}}, authority)  # fmt: skip
    rectification = ordered["data"]["orderRectification"]["rectification"]
    assert rectification["status"] == "ORDERED" and rectification["findings"] == [
        {"id": mine[0]["id"]}
    ]
    seen = await gql(RECTIFICATIONS, {"agency": org}, oversight)
    assert [e["node"]["id"] for e in seen["data"]["rectifications"]["edges"]] == [
        rectification["id"]
    ]
    blind = await gql(RECTIFICATIONS, {"agency": org}, other_agency)
    assert blind["data"]["rectifications"]["edges"] == []
