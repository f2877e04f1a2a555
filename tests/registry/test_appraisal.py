"""Quality assessment and valuation of assets through GraphQL (Art. 25)."""

from __future__ import annotations

import uuid

import pytest

from core.identity import Role
from core.models import OrganizationKind

pytestmark = pytest.mark.article(25)

REGISTER = """mutation($input: RegisterAssetInput!) { registerAsset(input: $input) { asset { id } userErrors { code } } }"""
APPRAISE = """mutation($input: AppraiseAssetInput!) { appraiseAsset(input: $input) {
  valuation { method value inputs breakdown ledgerSeq } assetValuation { value }
  userErrors { field code message } } }"""
ASSESS = """mutation($input: AssessQualityInput!) { assessQuality(input: $input) {
  assessment { overall scores weights } qualityAssessment { overall }
  userErrors { field code message } } }"""

SCORES = {
    "accuracy": "0.9",
    "consistency": "0.9",
    "completeness": "0.9",
    "conformity": "0.9",
    "timeliness": "0.9",
    "accessibility": "0.6",
}
WEIGHTS = {
    "accuracy": "0.2",
    "consistency": "0.2",
    "completeness": "0.2",
    "conformity": "0.1",
    "timeliness": "0.1",
    "accessibility": "0.2",
}


async def new_asset(gql, caller):
    data = {
        "kind": "DATA_PRODUCT",
        "name": f"Footfall index {uuid.uuid4().hex[:6]}",
        "scenario": "Retail siting",
        "rights": ["OPERATION"],
        "updateFrequency": "DAILY",
        "sources": [
            {
                "datasetName": "Telecom signalling",
                "datasetHolder": "Carrier",
                "legalBasis": "Contract 12",
            }
        ],
    }
    result = await gql(REGISTER, {"input": data}, caller)
    return result["data"]["registerAsset"]["asset"]["id"]


async def appraise(gql, caller, asset_id, method, **inputs):
    result = await gql(
        APPRAISE, {"input": {"assetId": asset_id, "method": method, **inputs}}, caller
    )
    assert "errors" not in result, result
    payload = result["data"]["appraiseAsset"]
    assert payload["assetValuation"] == (
        {"value": payload["valuation"]["value"]} if payload["valuation"] else None
    )
    return payload


async def test_three_methods_hand_computed_and_recorded(gql, make_caller):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    asset_id = await new_asset(gql, firm)
    # C = 100 + (200 + 50) + 30 + 20 = 400; δ = .9×.2 ×3 + .9×.1 ×2 + .6×.2 = 0.84; P = 336.00
    cost = await appraise(
        gql,
        firm,
        asset_id,
        "COST",
        cost={
            "planning": "100",
            "construction": [
                {"name": "collection", "amount": "200"},
                {"name": "storage", "amount": "50"},
            ],
            "operationAndMaintenance": "30",
            "indirect": "20",
            "quality": {"scores": SCORES, "weights": WEIGHTS},
        },
    )
    assert cost["userErrors"] == [] and cost["valuation"]["value"] == "336.00"
    assert (
        cost["valuation"]["breakdown"]["C"] == "400"
        and cost["valuation"]["breakdown"]["delta"] == "0.84"
    )
    # i = 0.03 + 0.07; 100/1.1 + 100/1.21 = 90.909… + 82.644… = 173.55
    income = await appraise(
        gql,
        firm,
        asset_id,
        "INCOME",
        income={
            "form": "DIRECT",
            "amounts": ["100", "100"],
            "riskFreeRate": "0.03",
            "riskPremium": "0.07",
        },
    )
    assert income["valuation"]["value"] == "173.55"
    # (1000 × 1.1 + 800 × 0.9) / 2 = (1100 + 720) / 2 = 910.00
    market = await appraise(
        gql,
        firm,
        asset_id,
        "MARKET",
        market={
            "comparables": [{"price": "1000", "kQuality": "1.1"}, {"price": "800", "kDate": "0.9"}]
        },
    )
    assert market["valuation"]["value"] == "910.00"

    read = await gql(
        "query($id: ID!) { asset(id: $id) { valuations { method } currentValuation { method value } } }",
        {"id": asset_id},
        firm,
    )
    assert [v["method"] for v in read["data"]["asset"]["valuations"]] == [
        "MARKET",
        "INCOME",
        "COST",
    ]
    assert read["data"]["asset"]["currentValuation"] == {"method": "MARKET", "value": "910.00"}
    entry = await gql(
        "query($s: Int!) { ledgerEntry(seq: $s) { kind body } }",
        {"s": market["valuation"]["ledgerSeq"]},
        firm,
    )
    body = entry["data"]["ledgerEntry"]["body"]
    assert entry["data"]["ledgerEntry"]["kind"] == "registry.asset.appraised"
    assert body["value"] == "910.00" and body["inputs"]["comparables"][0]["price"] == "1000"


async def test_bad_inputs_and_who_may_appraise(gql, make_caller):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    other = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    auditor = await make_caller(Role.AUDITOR, OrganizationKind.AUDITOR)
    asset_id = await new_asset(gql, firm)
    bad_weights = {**WEIGHTS, "accessibility": "0.1"}  # sums to 0.9
    result = await appraise(
        gql,
        firm,
        asset_id,
        "COST",
        cost={"planning": "1", "quality": {"scores": SCORES, "weights": bad_weights}},
    )
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("WEIGHTS_NOT_NORMALISED", "cost.quality.weights")
    ]
    result = await appraise(gql, firm, asset_id, "INCOME")
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("METHOD_INPUTS_REQUIRED", "income")
    ]
    result = await appraise(
        gql,
        firm,
        asset_id,
        "INCOME",
        income={"form": "DIRECT", "amounts": ["1"], "riskFreeRate": "-1", "riskPremium": "0"},
    )
    assert [e["code"] for e in result["userErrors"]] == ["DISCOUNT_RATE_INVALID"]
    result = await appraise(gql, firm, asset_id, "MARKET", market={"comparables": []})
    assert [e["code"] for e in result["userErrors"]] == ["COMPARABLES_REQUIRED"]
    result = await appraise(
        gql,
        firm,
        asset_id,
        "COST",
        cost={"planning": "-5", "remainingLife": {"elapsed": "1", "remaining": "3"}},
    )
    assert [e["code"] for e in result["userErrors"]] == ["NEGATIVE_AMOUNT"]

    refused = await gql(
        APPRAISE,
        {
            "input": {
                "assetId": asset_id,
                "method": "MARKET",
                "market": {"comparables": [{"price": "1"}]},
            }
        },
        other,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_auditor = await appraise(
        gql, auditor, asset_id, "MARKET", market={"comparables": [{"price": "5"}]}
    )
    assert by_auditor["valuation"]["value"] == "5.00"
    nothing = await gql(
        "query($id: ID!) { asset(id: $id) { valuations { value } } }", {"id": asset_id}, firm
    )
    assert [v["value"] for v in nothing["data"]["asset"]["valuations"]] == [
        "5.00"
    ]  # failures stored nothing


async def test_quality_assessment(gql, make_caller):
    firm = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    asset_id = await new_asset(gql, firm)
    result = await gql(
        ASSESS, {"input": {"assetId": asset_id, "scores": SCORES, "weights": WEIGHTS}}, firm
    )
    assessment = result["data"]["assessQuality"]["assessment"]
    # Issue 10 §7: the payload names its object after the type; the old name still answers.
    assert result["data"]["assessQuality"]["qualityAssessment"] == {
        "overall": assessment["overall"]
    }
    assert assessment["overall"] == "0.84" and assessment["scores"]["accessibility"] == "0.6"
    bad = await gql(
        ASSESS,
        {
            "input": {
                "assetId": asset_id,
                "scores": {**SCORES, "accuracy": "1.2"},
                "weights": WEIGHTS,
            }
        },
        firm,
    )
    assert [e["code"] for e in bad["data"]["assessQuality"]["userErrors"]] == ["SCORE_OUT_OF_RANGE"]
    read = await gql(
        "query($id: ID!) { asset(id: $id) { quality { overall } } }", {"id": asset_id}, firm
    )
    assert read["data"]["asset"]["quality"] == [{"overall": "0.84"}]
