"""Sharing through HTTP: the flow in the README's five queries, userErrors, FORBIDDEN for other
roles, isolation between agencies, the authority's board, pinned statement counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now
from core.identity import Role
from core.models import OrganizationKind
from schema.relay import to_global_id

REQUEST = """mutation($input: RequestShareInput!) { requestShare(input: $input) {
  shareRequest { id status answerDueAt grant { id items { code } } }
  userErrors { field code } } }"""
ANSWER = """mutation($input: AnswerShareRequestInput!) { answerShareRequest(input: $input) {
  shareRequest { id status deliveryDueAt grant { id items { code } } }
  userErrors { field code } } }"""
TICKET = """mutation($input: IssueAccessTicketInput!) { issueAccessTicket(input: $input) {
  token ticket { id items expiresAt } userErrors { field code } } }"""
LIST = """query($f: ShareRequestFilter) { shareRequests(filter: $f, first: 50) {
  edges { node { id status overdue requester { name } sourceDepartment { name }
  items { code } } } } }"""


def ask_input(world, resource, items, scenario="Start-up one-stop service"):
    return {
        "resourceId": to_global_id("Resource", resource.id),
        "items": items,
        "purpose": "Business licence check",
        "scenario": scenario,
        "mode": "API",
        "until": (now() + timedelta(days=60)).isoformat(),
    }


@pytest.mark.article(13)
@pytest.mark.article(15)
@pytest.mark.article(16)
async def test_request_answer_ticket_over_http(
    gql, world, authority, make_caller, count_statements
):
    status, capital = world.items["status"], world.items["capital"]
    body = await gql(REQUEST, {"input": ask_input(world, world.conditional, [status, capital])},
                     world.requester)  # fmt: skip
    made = body["data"]["requestShare"]
    assert made["userErrors"] == [] and made["shareRequest"]["status"] == "PENDING"
    request_id = made["shareRequest"]["id"]
    again = await gql(
        REQUEST, {"input": ask_input(world, world.conditional, [status])}, world.requester
    )
    assert again["data"]["requestShare"]["userErrors"] == [
        {"field": "scenario", "code": "REQUEST_DUPLICATE"}
    ]
    bare = await gql(
        ANSWER, {"input": {"requestId": request_id, "decision": "REFUSE"}}, world.source
    )
    assert bare["data"]["answerShareRequest"]["userErrors"][0]["code"] == "LEGAL_BASIS_REQUIRED"
    stranger = await gql(
        ANSWER, {"input": {"requestId": request_id, "decision": "APPROVE"}}, world.other
    )
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    answered = await gql(
        ANSWER, {"input": {"requestId": request_id, "decision": "APPROVE", "items": [status]}},
        world.source,
    )  # fmt: skip
    approved = answered["data"]["answerShareRequest"]["shareRequest"]
    assert approved["status"] == "APPROVED"
    assert approved["grant"]["items"] == [{"code": status}]
    ticket = await gql(
        TICKET, {"input": {"grantId": approved["grant"]["id"], "items": [status],
                           "purpose": "Business licence check"}}, world.requester,
    )  # fmt: skip
    issued = ticket["data"]["issueAccessTicket"]
    assert issued["userErrors"] == [] and issued["token"].count(".") == 2
    outside = await gql(
        TICKET, {"input": {"grantId": approved["grant"]["id"], "items": [capital],
                           "purpose": "Business licence check"}}, world.requester,
    )  # fmt: skip
    assert outside["data"]["issueAccessTicket"]["userErrors"] == [
        {"field": "items", "code": "ITEMS_OUTSIDE_GRANT"}
    ]
    # isolation: each party sees it, the third agency does not, the authority does
    for caller, sees in ((world.requester, True), (world.source, True), (world.other, False),
                         (authority, True)):  # fmt: skip
        listed = await gql(LIST, {}, caller)
        ids = {e["node"]["id"] for e in listed["data"]["shareRequests"]["edges"]}
        assert (request_id in ids) is sees
    node = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": request_id}, world.other)
    assert node["data"]["node"] is None
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    refused = await gql(
        REQUEST, {"input": ask_input(world, world.conditional, [status], "x")}, firm
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with count_statements() as counted:
        await gql(LIST, {}, authority)
    # page + requester + source department + items: the page size does not count
    assert len(counted.statements) <= 5, counted.statements


async def test_the_board_is_the_authoritys(gql, world, authority, count_statements):
    query = "{ shareOverdueBoard { sourceDepartment { id } overdueAnswers lateAnswers } }"
    assert (await gql(query, {}, authority))["data"]["shareOverdueBoard"] is not None
    with count_statements() as counted:  # one statement however many requests were made,
        await gql(query, {}, authority)  # and one batch of the departments named
    assert len(counted.statements) <= 2, counted.statements
    assert "share_lateness" in counted.statements[0]
    denied = await gql(query, {}, world.source)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.article(15)
async def test_verification_over_http_no_plaintext(gql, world):
    from sharing import oprf

    rid = to_global_id("Resource", world.not_shared.id)
    tax = world.items["tax"]
    opened = await gql(
        "mutation($i: OpenVerificationSetInput!) { openVerificationSet(input: $i) {"
        " verificationSet { entries } userErrors { code } } }", {"i": {"resourceId": rid}},
        world.source,
    )  # fmt: skip
    assert opened["data"]["openVerificationSet"]["userErrors"] == []
    xs = [
        oprf.claim_input("91440700MA5X", tax, "paid"),
        oprf.subject_item_input("91440700MA5X", tax),
    ]
    blinds = [oprf.blind(x) for x in xs]
    evaluated = await gql(
        "mutation($i: VerificationPointsInput!) { evaluateVerificationPoints(input: $i) {"
        " evaluated userErrors { code } } }",
        {"i": {"resourceId": rid, "blinded": [b.hex() for _, b in blinds]}}, world.source,
    )  # fmt: skip
    points = evaluated["data"]["evaluateVerificationPoints"]["evaluated"]
    digest, known = (oprf.finalize(x, oprf.unblind(bytes.fromhex(p), r))
                     for x, (r, _), p in zip(xs, blinds, points, strict=True))  # fmt: skip
    uploaded = await gql(
        "mutation($i: UploadVerificationBatchInput!) { uploadVerificationBatch(input: $i) {"
        " verificationSet { entries batches } userErrors { code } } }",
        {"i": {"resourceId": rid, "entries": [{"digest": digest, "subjectItem": known}]}},
        world.source,
    )  # fmt: skip
    assert uploaded["data"]["uploadVerificationBatch"]["verificationSet"] == {
        "entries": 1,
        "batches": 1,
    }
    verify = """mutation($i: VerifyDataClaimInput!) { verifyDataClaim(input: $i) {
      result { answer } userErrors { code } } }"""
    for value, answer in (("paid", "MATCH"), ("owing", "NO_MATCH")):
        body = await gql(verify, {"i": {"resourceId": rid, "subjectKey": "91440700MA5X",
                                        "item": tax, "claimedValue": value}}, world.requester)  # fmt: skip
        assert body["data"]["verifyDataClaim"]["result"] == {"answer": answer}


@pytest.mark.article(18)
async def test_deidentification_then_open_over_http(gql, world):
    rid = to_global_id("Resource", world.personal.id)
    update = """mutation($i: UpdateResourceInput!) { updateResource(input: $i) {
      resource { openType deidentifications { method } } userErrors { field code } } }"""
    refused = await gql(update, {"i": {"id": rid, "openType": "CONDITIONAL_OPEN"}}, world.source)
    assert refused["data"]["updateResource"]["userErrors"] == [
        {"field": "openType", "code": "DEIDENTIFICATION_REQUIRED"}
    ]
    recorded = await gql(
        "mutation($i: RecordDeidentificationInput!) { recordDeidentification(input: $i) {"
        " userErrors { code } } }",
        {"i": {"resourceId": rid, "method": "k-anonymity", "performedOn": "2026-01-05",
               "checkedBy": "Security office"}}, world.source,
    )  # fmt: skip
    assert recorded["data"]["recordDeidentification"]["userErrors"] == []
    opened = await gql(update, {"i": {"id": rid, "openType": "CONDITIONAL_OPEN"}}, world.source)
    assert opened["data"]["updateResource"]["resource"] == {
        "openType": "CONDITIONAL_OPEN", "deidentifications": [{"method": "k-anonymity"}],
    }  # fmt: skip


def test_the_readmes_five_queries_are_valid_against_the_schema(app):
    """README's sharing flow: each of its five operations parses and validates."""
    import re
    from pathlib import Path

    from graphql import parse, validate

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    flow = readme.split("## Sharing between agencies, in five queries", 1)[1]
    block = flow.split("```graphql", 1)[1].split("```", 1)[0]
    operations = [op.strip() for op in re.split(r"^# \d\. .*$", block, flags=re.M) if op.strip()]
    operations = ["\n".join(line for line in op.splitlines() if not line.lstrip().startswith("#"))
                  for op in operations]  # fmt: skip
    assert len(operations) == 5
    schema = app.state.schema._schema
    for op in operations:
        assert validate(schema, parse(op)) == [], op


async def test_a_bad_resource_id_is_a_user_error_not_a_graphql_error(gql, world):
    """declareDataDemand and applyForOpenData decode the id inside the runner: a malformed id
    answers userErrors ID_INVALID (as their SDL says), never a top-level error."""
    demand = await gql(
        """mutation($i: DeclareDataDemandInput!) { declareDataDemand(input: $i) {
             userErrors { field code } } }""",
        {"i": {"scenario": "s", "legalDuty": "d", "items": [], "resourceId": "not-an-id"}},
        world.requester,
    )
    assert "errors" not in demand
    assert [e["code"] for e in demand["data"]["declareDataDemand"]["userErrors"]] == ["ID_INVALID"]
    applied = await gql(
        """mutation($i: ApplyForOpenDataInput!) { applyForOpenData(input: $i) {
             userErrors { field code } } }""",
        {"i": {"resourceId": "not-an-id", "purpose": "p", "scenario": "s",
               "securityMeasures": "m"}},
        world.requester,
    )  # fmt: skip
    assert "errors" not in applied
    assert [e["code"] for e in applied["data"]["applyForOpenData"]["userErrors"]] == ["ID_INVALID"]
