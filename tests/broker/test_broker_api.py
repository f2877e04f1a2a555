"""The broker API over HTTP through the ASGI app: the whole chain from licence to evaluation,
refusals as userErrors (and the attempt recorded), GraphQL errors for who may not ask."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

import broker
from core.clock import now
from core.identity import Role
from core.models import OrganizationKind
from ledger import merkle
from registry.models import AssetKind, ShareType
from schema.relay import to_global_id

pytestmark = pytest.mark.article(26)

ERRORS = "userErrors { field code message }"
APPLY = f"""mutation($input: ApplyBrokerLicenceInput!) {{ applyBrokerLicence(input: $input) {{
  licence {{ id status brokerType scenarios broker {{ name }} }} {ERRORS} }} }}"""
DECIDE = f"""mutation($input: DecideBrokerLicenceInput!) {{ decideBrokerLicence(input: $input) {{
  licence {{ id status grade validUntil decisions {{ decision reason toStatus }} }} {ERRORS} }} }}"""
LIST = f"""mutation($input: ListProductInput!) {{ listProduct(input: $input) {{
  listing {{ id price status asset {{ name }} }} {ERRORS} }} }}"""
MATCH = f"""mutation($input: MatchDealInput!) {{ matchDeal(input: $input) {{
  deal {{ id status price buyer {{ name }} listing {{ id }} }} {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: DealIdInput!) {{ confirmDeal(input: $input) {{
  deal {{ id status }} {ERRORS} }} }}"""
DELIVER = f"""mutation($input: RecordDeliveryInput!) {{ recordDelivery(input: $input) {{
  deal {{ id status deliveredAt }} {ERRORS} }} }}"""
FLOW = f"""mutation($input: RecordDataFlowInput!) {{ recordDataFlow(input: $input) {{
  flow {{ id ledgerSeq }} dataFlow {{ id }} {ERRORS} }} }}"""
EVALUATE = f"""mutation($input: EvaluateBrokersInput!) {{ evaluateBrokers(input: $input) {{
  evaluations {{ grade score broker {{ id }} }} alertsRaised {{ id rule broker {{ id }} }}
  ledgerSeq {ERRORS} }} }}"""
ACK = f"""mutation($input: AcknowledgeRiskAlertInput!) {{ acknowledgeRiskAlert(input: $input) {{
  riskAlert {{ id status acknowledgement }} alert {{ id }} {ERRORS} }} }}"""

APPLICATION = {
    "brokerType": "ENTRUSTED_RIGHTS",
    "businessScope": "Entrusted operation of enterprise data products",
    "scenarios": ["SME lending"],
    "mlpsLevel": 3,
    "dcmmLevel": 2,
    "contact": "dpo@example.cn",
    "minorsDataHandling": "None handled",
    "sensitiveDataHandling": "Separate consent",
}


async def ok(gql, query, variables, caller, key):
    result = await gql(query, {"input": variables}, caller)
    assert "errors" not in result, result
    data = result["data"][key]
    assert data["userErrors"] == [], data["userErrors"]
    return data


async def errors_of(gql, query, variables, caller, key):
    result = await gql(query, {"input": variables}, caller)
    assert "errors" not in result, result
    return [e["code"] for e in result["data"][key]["userErrors"]]


async def test_licence_to_evaluation_over_http(
    gql, db, make_caller, make_asset, make_resource, make_broker, authority
):
    start = now()
    other, _ = await make_broker()  # a broker the firm may not see, the authority may
    firm = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    licence = (await ok(gql, APPLY, APPLICATION, firm, "applyBrokerLicence"))["licence"]
    assert licence["status"] == "APPLIED" and licence["scenarios"] == ["SME lending"]
    assert await errors_of(gql, APPLY, APPLICATION, firm, "applyBrokerLicence") == [
        "LICENCE_ALREADY_HELD"
    ]
    # A broker token without a licence: refused as a userError.
    asset = await make_asset(firm.org_id)
    listing_input = {
        "assetId": to_global_id("Asset", asset.id), "price": "2500.00",
        "pricingModel": "PER_CALL",
        "licenceTerms": {"purposes": ["SME credit scoring"], "term": "P6M", "territory": "Jiangmen"},
    }  # fmt: skip
    assert await errors_of(gql, LIST, listing_input, firm, "listProduct") == ["LICENCE_REQUIRED"]
    approved = await ok(
        gql, DECIDE,
        {"licenceId": licence["id"], "decision": "APPROVE", "reason": "Meets the criteria", "grade": "A"},
        authority, "decideBrokerLicence",
    )  # fmt: skip
    assert approved["licence"]["status"] == "LICENSED"
    assert approved["licence"]["decisions"] == [
        {"decision": "APPROVE", "reason": "Meets the criteria", "toStatus": "LICENSED"}
    ]
    forbidden = await gql(
        DECIDE, {"input": {"licenceId": licence["id"], "decision": "REVOKE", "reason": "x"}}, firm
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    listing = (await ok(gql, LIST, listing_input, firm, "listProduct"))["listing"]
    buyer = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    deal = (
        await ok(
            gql, MATCH,
            {"listingId": listing["id"], "buyer": to_global_id("Organization", buyer.org_id),
             "purpose": "SME credit scoring", "scenario": "Pre-approval", "price": "2400.00"},
            firm, "matchDeal",
        )
    )["deal"]  # fmt: skip
    assert deal["status"] == "MATCHED" and deal["listing"]["id"] == listing["id"]
    not_buyer = await gql(CONFIRM, {"input": {"id": deal["id"]}}, authority)
    assert not_buyer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    confirmed = await ok(gql, CONFIRM, {"id": deal["id"]}, buyer, "confirmDeal")
    assert confirmed["deal"]["status"] == "CONFIRMED"
    delivered = await ok(gql, DELIVER, {"id": deal["id"]}, firm, "recordDelivery")
    assert delivered["deal"]["status"] == "DELIVERED"

    # A flow: recorded, with a proof against the ledger; lineage from the output.
    resource = await make_resource(ShareType.UNCONDITIONAL)
    hidden = await make_resource(ShareType.NOT_SHARED)
    output = await make_asset(firm.org_id, kind=AssetKind.DATA_SERVICE)
    flow_input = {
        "inputs": [
            {"kind": "PUBLIC_RESOURCE", "resource": resource.code},
            {"kind": "NON_PUBLIC_DATASET", "datasetName": "Invoices", "datasetHolder": "Tax bureau",
             "legalBasis": "Taxpayer authorisation"},
        ],
        "outputAssetId": to_global_id("Asset", output.id),
        "recipients": [to_global_id("Organization", buyer.org_id)],
        "purpose": "SME credit scoring", "scenario": "Pre-approval",
    }  # fmt: skip
    recorded = await ok(gql, FLOW, flow_input, firm, "recordDataFlow")
    flow = recorded["flow"]
    assert recorded["dataFlow"] == {"id": flow["id"]}
    refused_input = {**flow_input, "inputs": [{"kind": "PUBLIC_RESOURCE", "resource": hidden.code}]}
    refused = await gql(FLOW, {"input": refused_input}, firm)
    assert refused["data"]["recordDataFlow"] == {
        "flow": None, "dataFlow": None,
        "userErrors": [
            {"field": "inputs[0].resource", "code": "RESOURCE_NOT_SHARED",
             "message": refused["data"]["recordDataFlow"]["userErrors"][0]["message"]}
        ],
    }  # fmt: skip
    async with db.read() as session:
        attempts = (
            await session.scalars(
                sa.select(broker.BrokerRefusal.codes).where(
                    broker.BrokerRefusal.broker_id == firm.org_id
                )
            )
        ).all()
        flows = await session.scalar(
            sa.select(sa.func.count())
            .select_from(broker.DataFlow)
            .where(broker.DataFlow.broker_id == firm.org_id)
        )
    assert attempts == ["RESOURCE_NOT_SHARED"] and flows == 1

    shown = await gql(
        """query($id: ID!) { dataFlow(id: $id) { purpose broker { id } recipients { id }
          output { id } inputs { kind basis resource { code } datasetHolder }
          ledgerProof { seq treeSize leafHash hashes rootHash } } }""",
        {"id": flow["id"]},
        buyer,
    )
    data = shown["data"]["dataFlow"]
    assert [i["basis"] for i in data["inputs"]] == ["UNCONDITIONAL_SHARE", None]
    proof = data["ledgerProof"]
    assert proof["seq"] == flow["ledgerSeq"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leafHash"]), proof["seq"], proof["treeSize"],
        [bytes.fromhex(h) for h in proof["hashes"]], bytes.fromhex(proof["rootHash"]),
    )  # fmt: skip
    stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    assert (
        await gql("query($id: ID!) { dataFlow(id: $id) { id } }", {"id": flow["id"]}, stranger)
    )["data"]["dataFlow"] is None
    lineage = await gql(
        "query($id: ID!) { dataLineage(assetId: $id) { asset { id } upstream { id } downstream { id } } }",
        {"id": to_global_id("Asset", output.id)},
        authority,
    )
    assert lineage["data"]["dataLineage"]["upstream"] == [{"id": flow["id"]}]

    # Suspension: the attempt is refused and recorded; the evaluation sees it.
    await ok(
        gql, DECIDE, {"licenceId": licence["id"], "decision": "SUSPEND", "reason": "Complaint"},
        authority, "decideBrokerLicence",
    )  # fmt: skip
    assert await errors_of(gql, FLOW, flow_input, firm, "recordDataFlow") == ["LICENCE_SUSPENDED"]
    await asyncio.sleep(0.01)
    end = now()
    period = {"periodStart": start.isoformat(), "periodEnd": end.isoformat()}
    evaluated = await ok(gql, EVALUATE, period, authority, "evaluateBrokers")
    firm_id = to_global_id("Organization", firm.org_id)
    [mine] = [e for e in evaluated["evaluations"] if e["broker"]["id"] == firm_id]
    rules = sorted(a["rule"] for a in evaluated["alertsRaised"] if a["broker"]["id"] == firm_id)
    assert rules == ["ACTIVITY_WHILE_SUSPENDED", "FLOW_BASIS_MISSING"]
    assert (await gql(EVALUATE, {"input": period}, firm))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"

    evaluations_query = """query($p: PeriodInput) { brokerEvaluations(period: $p, first: 100) {
      edges { node { grade score broker { id } indicators { code value score weight } facts } } } }"""
    p = {"start": period["periodStart"], "end": period["periodEnd"]}
    own = await gql(evaluations_query, {"p": p}, firm)
    nodes = [e["node"] for e in own["data"]["brokerEvaluations"]["edges"]]
    assert [n["broker"]["id"] for n in nodes] == [firm_id]
    assert nodes[0]["grade"] == mine["grade"] and nodes[0]["facts"]["flows_recorded"] == "1"
    # The authority sees every broker's evaluation of the period (the firm's and the others'
    # of the shared test database), once each, over every page.
    every_page = """query($p: PeriodInput, $after: String) {
      brokerEvaluations(period: $p, first: 100, after: $after) {
        edges { node { broker { id } } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = (await gql(every_page, {"p": p, "after": after}, authority))["data"]
        seen += [e["node"]["broker"]["id"] for e in page["brokerEvaluations"]["edges"]]
        if not page["brokerEvaluations"]["pageInfo"]["hasNextPage"]:
            break
        after = page["brokerEvaluations"]["pageInfo"]["endCursor"]
    assert {firm_id, to_global_id("Organization", other.org_id)} <= set(seen)
    assert len(seen) == len(set(seen))
    assert set(seen) == {e["broker"]["id"] for e in evaluated["evaluations"]}
    firm_query = await gql(evaluations_query, {"p": p}, buyer)
    assert firm_query["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    alerts_query = (
        "{ riskAlerts(status: OPEN, first: 100) { edges { node { id rule broker { id } } } } }"
    )
    alerts = await gql(alerts_query, None, authority)
    ids = [
        e["node"]["id"]
        for e in alerts["data"]["riskAlerts"]["edges"]
        if e["node"]["broker"]["id"] == firm_id
    ]
    assert len(ids) == 2
    assert (await gql(alerts_query, None, firm))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    acked = await ok(
        gql, ACK, {"id": ids[0], "note": "Broker interviewed"}, authority, "acknowledgeRiskAlert"
    )
    assert acked["riskAlert"]["status"] == "ACKNOWLEDGED"
    assert acked["alert"]["id"] == acked["riskAlert"]["id"]  # the deprecated name still answers
    assert await errors_of(gql, ACK, {"id": ids[0]}, authority, "acknowledgeRiskAlert") == [
        "ALERT_ALREADY_ACKNOWLEDGED"
    ]
    forbidden_ack = await gql(ACK, {"input": {"id": ids[1]}}, firm)
    assert forbidden_ack["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Issue 10 §6: node(id) answers for evaluations and alerts, to who may see them.
    node = """query($id: ID!) { node(id: $id) { id __typename
      ... on BrokerEvaluation { grade broker { id } } ... on RiskAlert { rule broker { id } } } }"""
    own_ids = await gql(
        "query($p: PeriodInput) { brokerEvaluations(period: $p, first: 1) { nodes { id } } }",
        {"p": p},
        firm,
    )
    [evaluation_id] = [n["id"] for n in own_ids["data"]["brokerEvaluations"]["nodes"]]
    auditor = await make_caller(Role.AUDITOR)
    for caller, shown in ((authority, True), (auditor, True), (firm, True), (other, False),
                          (buyer, False)):  # fmt: skip
        for node_id, type_name in ((evaluation_id, "BrokerEvaluation"), (ids[1], "RiskAlert")):
            found = (await gql(node, {"id": node_id}, caller))["data"]["node"]
            if shown:
                assert found["__typename"] == type_name and found["broker"]["id"] == firm_id
            else:
                assert found is None, (caller, type_name)


async def test_indicators_over_http(gql, make_caller, authority):
    reader = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    result = await gql(
        "{ supervisionIndicators { code weight scoring parameter veto } supervisionGrades { grade minScore } }",
        None,
        reader,
    )
    indicators = result["data"]["supervisionIndicators"]
    assert sum(float(i["weight"]) for i in indicators) == 1.0
    assert result["data"]["supervisionGrades"][0] == {"grade": "A", "minScore": "85"}
    update = """mutation($input: UpdateSupervisionIndicatorInput!) { updateSupervisionIndicator(input: $input) {
      indicator { code description } userErrors { code } } }"""
    denied = await gql(update, {"input": {"code": "DEALS_MATCHED", "description": "x"}}, reader)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    text = f"Deals matched ({uuid.uuid4().hex[:4]})"
    changed = await gql(
        update, {"input": {"code": "DEALS_MATCHED", "description": text}}, authority
    )
    assert changed["data"]["updateSupervisionIndicator"]["indicator"]["description"] == text
    missing = await gql(update, {"input": {"code": "NOPE", "weight": "0.1"}}, authority)
    assert missing["data"]["updateSupervisionIndicator"]["userErrors"] == [
        {"code": "INDICATOR_NOT_FOUND"}
    ]


async def test_risk_rules_are_published_data_the_authority_changes(gql, make_caller, authority):
    reader = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    rules = (await gql("{ riskRules { rule threshold minVolume enabled } }", None, reader))["data"]
    assert {r["rule"]: (r["threshold"], r["minVolume"]) for r in rules["riskRules"]} == {
        "COMPLAINT_RATE": ("5", 20), "FLOW_BASIS_MISSING": ("0", 0),
        "ACTIVITY_WHILE_SUSPENDED": ("0", 0), "USE_AFTER_REVOCATION": ("0", 0),
    }  # fmt: skip
    update = """mutation($input: UpdateRiskRuleInput!) { updateRiskRule(input: $input) {
      rule { rule threshold enabled } userErrors { code field } } }"""
    denied = await gql(update, {"input": {"rule": "COMPLAINT_RATE", "threshold": "9"}}, reader)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for rule, bad, code in (
        ("COMPLAINT_RATE", {"threshold": "-1"}, "THRESHOLD_INVALID"),
        ("COMPLAINT_RATE", {"threshold": "5"}, "NOTHING_CHANGED"),
        ("COMPLAINT_RATE", {"minVolume": -1}, "MIN_VOLUME_INVALID"),
        ("COMPLAINT_RATE", {"minVolume": 20}, "NOTHING_CHANGED"),
        ("FLOW_BASIS_MISSING", {"minVolume": 3}, "MIN_VOLUME_NOT_APPLICABLE"),
    ):
        result = await gql(update, {"input": {"rule": rule, **bad}}, authority)
        assert [e["code"] for e in result["data"]["updateRiskRule"]["userErrors"]] == [code]
    try:
        changed = await gql(
            update, {"input": {"rule": "COMPLAINT_RATE", "threshold": "7.5"}}, authority
        )
        payload = changed["data"]["updateRiskRule"]
        assert payload["userErrors"] == []
        assert payload["rule"] == {"rule": "COMPLAINT_RATE", "threshold": "7.5", "enabled": True}
        entries = await gql(
            '{ ledgerEntries(kind: "broker.risk_rule.updated", first: 50) { nodes { body } } }',
            None,
            authority,
        )
        assert {"rule": "COMPLAINT_RATE", "change": {"threshold": ["5", "7.5"]}} in [
            n["body"] for n in entries["data"]["ledgerEntries"]["nodes"]
        ]
    finally:  # the suite shares one database: put the published default back
        await gql(update, {"input": {"rule": "COMPLAINT_RATE", "threshold": "5"}}, authority)


async def test_who_may_not_ask(gql, make_caller, make_asset):
    """Refusals by role are GraphQL errors with a code; nothing is changed."""
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    agency = await make_caller(Role.AGENCY, OrganizationKind.AGENCY)
    asset = await make_asset(firm.org_id)
    listing_input = {
        "assetId": to_global_id("Asset", asset.id), "price": "1.00", "pricingModel": "ONE_TIME",
        "licenceTerms": {"purposes": ["x"], "term": "P1Y", "territory": "Jiangmen"},
    }  # fmt: skip
    flow_input = {
        "inputs": [{"kind": "NON_PUBLIC_DATASET", "datasetName": "d", "datasetHolder": "h",
                    "legalBasis": "b"}],
        "outputAssetId": to_global_id("Asset", asset.id),
        "recipients": [to_global_id("Organization", firm.org_id)], "purpose": "p", "scenario": "s",
    }  # fmt: skip
    cases = [
        (LIST, listing_input, firm, "FORBIDDEN"),
        (FLOW, flow_input, agency, "FORBIDDEN"),
        (APPLY, APPLICATION, agency, "FORBIDDEN"),
        (LIST, listing_input, None, "UNAUTHENTICATED"),
        (EVALUATE, {"periodStart": now().isoformat(), "periodEnd": now().isoformat()}, firm,
         "FORBIDDEN"),
    ]  # fmt: skip
    for query, variables, caller, code in cases:
        result = await gql(query, {"input": variables}, caller)
        assert result["errors"][0]["extensions"]["code"] == code, (query, result)
    for query in (
        "{ brokerLicences(first: 5) { edges { node { id } } } }",
        "{ listings(first: 5) { edges { node { id } } } }",
        "{ supervisionIndicators { code } }",
        "{ riskAlerts(first: 5) { edges { node { id } } } }",
    ):
        result = await gql(query)
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", query
    own = await gql("{ brokerLicences(first: 5) { edges { node { id } } } }", None, firm)
    assert own["data"]["brokerLicences"]["edges"] == []  # another organisation's are not shown


@pytest.mark.article(24)
@pytest.mark.article(27)
async def test_a_flow_relying_on_a_consent_over_http(gql, make_broker, make_asset, make_consent):
    caller, _ = await make_broker()
    output = await make_asset(caller.org_id)
    person, granted = await make_consent(caller.org_id, purpose="SME credit scoring")
    flow_input = {
        "inputs": [{"kind": "NON_PUBLIC_DATASET", "datasetName": "Loans", "datasetHolder": "Bank",
                    "legalBasis": "Contract"}],
        "outputAssetId": to_global_id("Asset", output.id),
        "recipients": [to_global_id("Organization", caller.org_id)],
        "purpose": "SME credit scoring", "scenario": "Pre-approval",
        "consents": [{"consent": to_global_id("Consent", granted.id),
                      "item": "certificate:BUSINESS_LICENCE"}],
    }  # fmt: skip
    flow = (await ok(gql, FLOW, flow_input, caller, "recordDataFlow"))["flow"]
    shown = await gql(
        "query($id: ID!) { dataFlow(id: $id) { consents { consentId item useId purpose } } }",
        {"id": flow["id"]},
        caller,
    )
    [used] = shown["data"]["dataFlow"]["consents"]
    assert used["consentId"] == to_global_id("Consent", granted.id)
    assert used["purpose"] == "SME credit scoring"
    wrong = {**flow_input, "purpose": "Marketing"}
    assert await errors_of(gql, FLOW, wrong, caller, "recordDataFlow") == [
        "CONSENT_PURPOSE_MISMATCH"
    ]
    uses = await gql(
        "{ myDataUses(first: 10) { edges { node { outcome reason } } } }", None, person
    )
    # The subject's dashboard shows the allowed use and the refused flow's denial.
    assert "errors" not in uses, uses
    outcomes = [e["node"]["outcome"] for e in uses["data"]["myDataUses"]["edges"]]
    assert sorted(outcomes) == ["ALLOWED", "DENIED"]
