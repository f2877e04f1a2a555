"""Art. 25: the three valuation approaches, worked by hand, and every refusal with its field."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from core.errors import UserError
from registry.valuation import (
    QUALITY_DIMENSIONS,
    Comparable,
    ContributoryCharges,
    CostInputs,
    DirectCashFlows,
    IncomeInputs,
    MarketInputs,
    Method,
    QualityAdjustment,
    QualityScores,
    QualityWeights,
    RemainingLife,
    RevenueShare,
    Valuation,
    WithWithout,
    appraise,
    appraise_cost,
    appraise_income,
    appraise_market,
    quality_score,
)

pytestmark = pytest.mark.article(25)

D = Decimal


def scores(**override: Any) -> QualityScores:
    given = {
        "accuracy": "0.9",
        "consistency": "0.8",
        "completeness": 1,
        "conformity": "0.7",
        "timeliness": "0.6",
        "accessibility": "0.5",
    }
    return QualityScores(**{**given, **override})


def weights(**override: Any) -> QualityWeights:
    given = {
        "accuracy": "0.3",
        "consistency": "0.2",
        "completeness": "0.2",
        "conformity": "0.1",
        "timeliness": "0.1",
        "accessibility": "0.1",
    }
    return QualityWeights(**{**given, **override})


# 0.3·0.9 + 0.2·0.8 + 0.2·1 + 0.1·0.7 + 0.1·0.6 + 0.1·0.5 = 0.27+0.16+0.2+0.07+0.06+0.05 = 0.81
QUALITY = QualityAdjustment(scores(), weights())
LIFE = RemainingLife(elapsed=0, remaining=1)  # δ = 1


def income(flows: Any, risk_free: Any = "0.04", premium: Any = "0.06") -> IncomeInputs:
    return IncomeInputs(cash_flows=flows, risk_free_rate=risk_free, risk_premium=premium)


def refused(call: Callable[..., object], *args: Any) -> list[tuple[str, str | None]]:
    with pytest.raises(UserError) as caught:
        call(*args)
    return [(problem.code, problem.field) for problem in caught.value.problems]


# --- Cost: P = C × δ ------------------------------------------------------------------------


def test_quality_score_is_the_weighted_sum_over_the_six_dimensions():
    assert QUALITY_DIMENSIONS == (
        "accuracy",
        "consistency",
        "completeness",
        "conformity",
        "timeliness",
        "accessibility",
    )
    assert quality_score(scores(), weights()) == D("0.81")
    all_on_accuracy = weights(
        accuracy=1, consistency=0, completeness=0, conformity=0, timeliness=0, accessibility=0
    )
    assert quality_score(scores(), all_on_accuracy) == D("0.9")


def test_cost_sums_the_parts_and_the_construction_breakdown_then_applies_quality():
    # C = 10 + (100 + 50.5 + 39.5) + 20 + 5 + 3 + 2 = 230; δ = 0.81; P = 230 × 0.81 = 186.30
    inputs = CostInputs(
        planning=10,
        construction={"collection": 100, "storage": "50.5", "development": D("39.5")},
        operation_and_maintenance="20",
        indirect=5,
        opportunity_cost=3,
        taxes=2,
        quality=QUALITY,
    )
    valuation = appraise_cost(inputs)
    assert valuation.method == Method.COST == "COST"
    assert valuation.value == D("186.30")
    assert str(valuation.value) == "186.30"
    b = valuation.breakdown
    assert b["construction.collection"] == "100"
    assert b["construction.storage"] == "50.5"
    assert D(b["construction"]) == 190
    assert D(b["C"]) == 230
    assert b["delta_form"] == "QUALITY"
    assert b["q.accuracy"] == "0.9" and b["w.accuracy"] == "0.3"
    assert D(b["delta"]) == D("0.81")
    assert D(b["P"]) == D("186.3")
    assert all(isinstance(v, str) for v in b.values())


def test_cost_with_the_remaining_life_ratio():
    # C = 200 + 1000 = 1200; δ = 3 / (2 + 3) = 0.6; P = 720.00
    inputs = CostInputs(
        planning=200, construction=1000, remaining_life=RemainingLife(elapsed=2, remaining=3)
    )
    valuation = appraise_cost(inputs)
    assert valuation.value == D("720.00")
    b = valuation.breakdown
    assert b["delta_form"] == "REMAINING_LIFE"
    assert (b["elapsed"], b["remaining"]) == ("2", "3")
    assert D(b["delta"]) == D("0.6")


def test_cost_keeps_full_precision_until_the_end():
    # δ = 2 / (1 + 2) = 0.666…; P = 100 × 0.666… = 66.666… → 66.67
    inputs = CostInputs(construction=100, remaining_life=RemainingLife(elapsed=1, remaining=2))
    valuation = appraise_cost(inputs)
    assert valuation.value == D("66.67")
    assert valuation.breakdown["delta"].startswith("0.66666666666666")
    # 0.0025 + 0.0025 = 0.005 → 0.01; rounding each part first would give 0.00 + 0.00
    assert appraise_cost(
        CostInputs(planning="0.0025", taxes="0.0025", remaining_life=LIFE)
    ).value == D("0.01")


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        ("2.345", "2.35"),
        ("2.344999", "2.34"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("1.015", "1.02"),
    ],
)
def test_cost_rounds_half_up_at_the_half_cent(cost, expected):
    # δ = 0 / (0 + 1) = 1, so P = C; half-even would give 2.34 for 2.345 and 1.02 for 1.015
    assert appraise_cost(CostInputs(construction=cost, remaining_life=LIFE)).value == D(expected)


def test_zero_cost_is_worth_zero():
    assert appraise_cost(CostInputs(remaining_life=LIFE)).value == D("0.00")


# --- Income: P = Σ Fₜ / (1 + i)ᵗ -------------------------------------------------------------


def test_direct_cash_flows_are_discounted_per_period():
    # i = 0.04 + 0.06 = 0.1; 100/1.1 + 100/1.21 = 90.909… + 82.644… = 173.553… → 173.55
    valuation = appraise_income(income(DirectCashFlows([100, 100])))
    assert valuation.method == Method.INCOME
    assert valuation.value == D("173.55")
    b = valuation.breakdown
    assert (b["form"], b["i"], b["n"]) == ("DIRECT", "0.10", "2")
    assert (b["risk_free_rate"], b["risk_premium"]) == ("0.04", "0.06")
    assert b["F_1"] == "100" and b["PV_1"].startswith("90.909090909")
    assert b["PV_2"].startswith("82.644628099")
    assert b["P"].startswith("173.553719")


def test_revenue_share():
    # F = (1000 × 0.1, 1210 × 0.1) = (100, 121)
    # 100/1.1 + 121/1.21 = 90.909… + 100 = 190.909… → 190.91
    valuation = appraise_income(income(RevenueShare([1000, "1210"], share_rate="0.1")))
    assert valuation.value == D("190.91")
    b = valuation.breakdown
    assert (b["form"], b["share_rate"], b["revenue_1"], b["revenue_2"]) == (
        "REVENUE_SHARE",
        "0.1",
        "1000",
        "1210",
    )
    assert D(b["F_2"]) == 121 and D(b["PV_2"]) == 100


def test_revenue_share_of_one_keeps_all_the_revenue():
    # 110 × 1 / 1.1 = 100
    assert appraise_income(income(RevenueShare([110], share_rate=1))).value == D("100.00")


def test_contributory_charges_are_subtracted():
    # F = (500-390, 600-479, 700-566.9) = (110, 121, 133.1); /1.1, /1.21, /1.331 = 100 each → 300.00
    flows = ContributoryCharges(revenues=[500, 600, 700], charges=[390, 479, "566.9"])
    valuation = appraise_income(income(flows))
    assert valuation.value == D("300.00")
    b = valuation.breakdown
    assert b["form"] == "CONTRIBUTORY"
    assert (b["revenue_3"], b["charge_3"], D(b["F_3"]), D(b["PV_3"])) == (
        "700",
        "566.9",
        D("133.1"),
        100,
    )


def test_with_and_without_the_data():
    # i = 0.05 + 0.20 = 0.25; F = (300-200, 300-250) = (100, 50)
    # 100/1.25 + 50/1.5625 = 80 + 32 = 112.00
    flows = WithWithout(with_data=[300, 300], without_data=[200, 250])
    valuation = appraise_income(income(flows, "0.05", "0.20"))
    assert valuation.value == D("112.00")
    b = valuation.breakdown
    assert (b["form"], b["with_2"], b["without_2"], D(b["F_2"]), D(b["PV_2"])) == (
        "WITH_WITHOUT",
        "300",
        "250",
        50,
        32,
    )


def test_a_negative_rate_above_minus_one_is_allowed():
    # i = 0.01 - 0.51 = -0.5; 100 / 0.5 = 200.00
    assert appraise_income(income(DirectCashFlows([100]), "0.01", "-0.51")).value == D("200.00")


@pytest.mark.parametrize(
    ("flow", "expected"), [("1.005", "1.01"), ("-1.005", "-1.01"), ("-0.004", "0.00")]
)
def test_income_rounds_half_up_away_from_zero(flow, expected):
    # i = 0, so P = F
    valuation = appraise_income(income(DirectCashFlows([flow]), 0, 0))
    assert valuation.value == D(expected)
    assert str(valuation.value) == expected  # never "-0.00"


def test_income_half_cent_after_discounting():
    # 1.1055 / 1.1 = 1.005 → 1.01
    assert appraise_income(income(DirectCashFlows(["1.1055"]))).value == D("1.01")


# --- Market: P = mean of Pⱼ × K… ----------------------------------------------------------------


def test_market_is_the_mean_of_the_adjusted_comparables():
    # A: 1000 × 1.1 × 0.9 × 1.05 × 1 × 1 = 1039.5; B: 800 × 1.25 = 1000
    # (1039.5 + 1000) / 2 = 1019.75
    a = Comparable(
        price=1000, k_quality="1.1", k_supply_demand="0.9", k_date="1.05", label="SZDEX-17"
    )
    b = Comparable(price="800", k_capacity="1.25")
    valuation = appraise_market(MarketInputs([a, b]))
    assert valuation.method == Method.MARKET
    assert valuation.value == D("1019.75")
    bd = valuation.breakdown
    assert bd["comparables[0].label"] == "SZDEX-17"
    assert D(bd["comparables[0].adjusted"]) == D("1039.5")
    assert bd["comparables[0].k_date"] == "1.05"
    assert D(bd["comparables[1].adjusted"]) == 1000
    assert "comparables[1].label" not in bd
    assert bd["n"] == "2"


def test_market_rounds_the_mean_half_up():
    # (1.00 + 1.01) / 2 = 1.005 → 1.01
    valuation = appraise_market(MarketInputs([Comparable(price="1.00"), Comparable(price="1.01")]))
    assert valuation.value == D("1.01")


def test_one_comparable_with_thirds():
    # 100 × (1/3 given as 0.3333) = 33.33
    assert appraise_market(MarketInputs([Comparable(price=100, k_other="0.3333")])).value == D(
        "33.33"
    )


# --- appraise() dispatch ------------------------------------------------------------------


def test_appraise_dispatches_on_the_method():
    cost = CostInputs(construction=100, quality=QUALITY)
    assert appraise("COST", cost) == appraise_cost(cost)
    flows = income(DirectCashFlows([100, 100]))
    assert appraise("INCOME", flows).value == D("173.55")
    assert appraise(Method.MARKET, MarketInputs([Comparable(price=5)])).value == D("5.00")


@pytest.mark.parametrize("method", ["cost", "APPRAISE", "", None])
def test_appraise_refuses_an_unknown_method(method):
    assert refused(appraise, method, CostInputs(remaining_life=LIFE)) == [
        ("METHOD_UNKNOWN", "method")
    ]


def test_inputs_of_another_method_are_a_bug():
    with pytest.raises(TypeError):
        appraise("COST", MarketInputs([Comparable(price=5)]))
    with pytest.raises(TypeError):
        not_a_form: Any = [100]
        appraise_income(IncomeInputs(cash_flows=not_a_form, risk_free_rate=0, risk_premium=0))


def test_inputs_and_results_are_frozen():
    parts = {"collection": 1}
    inputs = CostInputs(construction=parts, remaining_life=LIFE)
    parts["storage"] = 5
    assert appraise_cost(inputs).value == D("1.00")  # the later change did not leak in
    amounts = [100]
    flows = DirectCashFlows(amounts)
    amounts.append(100)
    assert flows.amounts == (100,)
    valuation = appraise_cost(inputs)
    assert isinstance(valuation, Valuation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        valuation.value = D(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        inputs.construction["x"] = 1  # type: ignore[index]


# --- Refusals -----------------------------------------------------------------------------


def test_weights_must_sum_to_exactly_one():
    inputs = CostInputs(
        construction=100, quality=QualityAdjustment(scores(), weights(accuracy="0.2"))
    )
    assert refused(appraise_cost, inputs) == [("WEIGHTS_NOT_NORMALISED", "cost.quality.weights")]
    # within 1e-9 is still not 1: stored weights must reproduce the score exactly
    near = weights(accuracy="0.2999999999")
    assert refused(quality_score, scores(), near) == [("WEIGHTS_NOT_NORMALISED", "weights")]


def test_scores_and_weights_are_checked_per_dimension():
    bad = QualityAdjustment(scores(accuracy="1.2", conformity=-1), weights(timeliness="-0.1"))
    assert refused(appraise_cost, CostInputs(quality=bad)) == [
        ("SCORE_OUT_OF_RANGE", "cost.quality.scores.accuracy"),
        ("SCORE_OUT_OF_RANGE", "cost.quality.scores.conformity"),
        ("WEIGHT_NEGATIVE", "cost.quality.weights.timeliness"),
    ]
    assert refused(quality_score, scores(completeness="1.01"), weights()) == [
        ("SCORE_OUT_OF_RANGE", "scores.completeness")
    ]


@pytest.mark.parametrize(
    "part",
    [
        "planning",
        "construction",
        "operation_and_maintenance",
        "indirect",
        "opportunity_cost",
        "taxes",
    ],
)
def test_a_negative_cost_is_refused(part):
    inputs = CostInputs(remaining_life=LIFE, **{part: "-0.01"})
    assert refused(appraise_cost, inputs) == [("NEGATIVE_AMOUNT", f"cost.{part}")]


def test_construction_parts_are_checked_by_name():
    inputs = CostInputs(construction={"collection": 10, "storage": -5, " ": 1}, remaining_life=LIFE)
    assert refused(appraise_cost, inputs) == [
        ("NEGATIVE_AMOUNT", "cost.construction.storage"),
        ("PART_NAME_INVALID", "cost.construction"),
    ]


def test_delta_needs_exactly_one_form():
    assert refused(appraise_cost, CostInputs(construction=1)) == [("ADJUSTMENT_REQUIRED", "cost")]
    both = CostInputs(construction=1, quality=QUALITY, remaining_life=LIFE)
    assert refused(appraise_cost, both) == [("ADJUSTMENT_AMBIGUOUS", "cost")]


def test_remaining_life_bounds():
    inputs = CostInputs(construction=1, remaining_life=RemainingLife(elapsed=-1, remaining=0))
    assert refused(appraise_cost, inputs) == [
        ("ELAPSED_LIFE_NEGATIVE", "cost.remaining_life.elapsed"),
        ("REMAINING_LIFE_NOT_POSITIVE", "cost.remaining_life.remaining"),
    ]


def test_all_problems_of_one_input_come_together():
    inputs = CostInputs(
        planning=-1,
        taxes=1.5,  # type: ignore[arg-type]
        indirect="ten",
        quality=QualityAdjustment(scores(), weights(accuracy="0.2")),
    )
    assert refused(appraise_cost, inputs) == [
        ("NEGATIVE_AMOUNT", "cost.planning"),
        ("NOT_A_NUMBER", "cost.indirect"),
        ("FLOAT_NOT_ALLOWED", "cost.taxes"),
        ("WEIGHTS_NOT_NORMALISED", "cost.quality.weights"),
    ]


@pytest.mark.parametrize("value", [0.5, 1.0])
def test_floats_are_refused_everywhere(value):
    assert refused(quality_score, scores(accuracy=value), weights()) == [
        ("FLOAT_NOT_ALLOWED", "scores.accuracy")
    ]
    assert refused(appraise_income, income(DirectCashFlows([1]), value)) == [
        ("FLOAT_NOT_ALLOWED", "income.risk_free_rate")
    ]
    assert refused(appraise_income, income(RevenueShare([1, value], share_rate=1))) == [
        ("FLOAT_NOT_ALLOWED", "income.cash_flows.revenues[1]")
    ]
    assert refused(appraise_market, MarketInputs([Comparable(price=1, k_date=value)])) == [
        ("FLOAT_NOT_ALLOWED", "market.comparables[0].k_date")
    ]


@pytest.mark.parametrize(
    "value", ["abc", "", "NaN", "Infinity", D("NaN"), D("-Infinity"), None, True, [1]]
)
def test_non_numbers_are_refused(value):
    inputs = CostInputs(planning=value, remaining_life=LIFE)
    assert refused(appraise_cost, inputs) == [("NOT_A_NUMBER", "cost.planning")]


def test_strings_may_carry_whitespace_and_exponents():
    assert appraise_cost(CostInputs(planning=" 1.5E+2 ", remaining_life=LIFE)).value == D("150.00")


@pytest.mark.parametrize(("risk_free", "premium"), [("-0.5", "-0.5"), ("-1", 0), ("-2", "0.5")])
def test_a_discount_rate_at_or_below_minus_one_is_refused(risk_free, premium):
    assert refused(appraise_income, income(DirectCashFlows([100]), risk_free, premium)) == [
        ("DISCOUNT_RATE_INVALID", "income.discount_rate")
    ]


@pytest.mark.parametrize(
    ("flows", "fields"),
    [
        (DirectCashFlows([]), ["income.cash_flows.amounts"]),
        (RevenueShare([], share_rate="0.5"), ["income.cash_flows.revenues"]),
        (ContributoryCharges([], []), ["income.cash_flows.revenues", "income.cash_flows.charges"]),
        (WithWithout([1], []), ["income.cash_flows.without_data"]),
    ],
)
def test_empty_cash_flows_are_refused(flows, fields):
    assert refused(appraise_income, income(flows)) == [("PERIODS_INVALID", f) for f in fields]


@pytest.mark.parametrize(
    ("flows", "field"),
    [
        (ContributoryCharges([100, 100], [10]), "income.cash_flows.charges"),
        (WithWithout([100], [10, 10]), "income.cash_flows.without_data"),
    ],
)
def test_paired_lists_must_have_one_value_per_period(flows, field):
    assert refused(appraise_income, income(flows)) == [("PERIODS_MISMATCH", field)]


@pytest.mark.parametrize("rate", [0, "-0.1", "1.01"])
def test_share_rate_is_above_zero_and_at_most_one(rate):
    assert refused(appraise_income, income(RevenueShare([100], share_rate=rate))) == [
        ("SHARE_RATE_INVALID", "income.cash_flows.share_rate")
    ]


def test_revenues_and_charges_cannot_be_negative_but_net_flows_can():
    flows = ContributoryCharges(revenues=[100, -1], charges=[-2, 10])
    assert refused(appraise_income, income(flows)) == [
        ("NEGATIVE_AMOUNT", "income.cash_flows.revenues[1]"),
        ("NEGATIVE_AMOUNT", "income.cash_flows.charges[0]"),
    ]
    # -110 / 1.1 = -100: a data asset that costs more than it earns is worth less than nothing
    assert appraise_income(income(DirectCashFlows([-110]))).value == D("-100.00")
    assert appraise_income(income(WithWithout([0], [110]))).value == D("-100.00")


def test_rate_and_flow_problems_come_together():
    flows = RevenueShare(["x"], share_rate=2)
    assert refused(appraise_income, income(flows, "-1", 0)) == [
        ("DISCOUNT_RATE_INVALID", "income.discount_rate"),
        ("NOT_A_NUMBER", "income.cash_flows.revenues[0]"),
        ("SHARE_RATE_INVALID", "income.cash_flows.share_rate"),
    ]


def test_market_needs_a_comparable():
    assert refused(appraise_market, MarketInputs([])) == [
        ("COMPARABLES_REQUIRED", "market.comparables")
    ]


def test_coefficients_are_positive_and_prices_not_negative():
    comparables = [
        Comparable(price=-1),
        Comparable(price=10),
        Comparable(price=10, k_quality=0, k_other="-1"),
    ]
    assert refused(appraise_market, MarketInputs(comparables)) == [
        ("NEGATIVE_AMOUNT", "market.comparables[0].price"),
        ("COEFFICIENT_NOT_POSITIVE", "market.comparables[2].k_quality"),
        ("COEFFICIENT_NOT_POSITIVE", "market.comparables[2].k_other"),
    ]


def test_absurd_magnitudes_are_refused_not_crashed():
    huge = MarketInputs([Comparable(price="1e999999", k_quality="1e999999")])
    assert refused(appraise_market, huge) == [("VALUE_OUT_OF_RANGE", "market")]
    # NUMERIC(20, 2) holds less than 10^18
    assert refused(appraise_cost, CostInputs(planning="1e18", remaining_life=LIFE)) == [
        ("VALUE_OUT_OF_RANGE", "cost")
    ]
    assert appraise_cost(
        CostInputs(planning="999999999999999999.994", remaining_life=LIFE)
    ).value == D("999999999999999999.99")
    # … and rounding up past the limit counts
    assert refused(
        appraise_cost, CostInputs(planning="999999999999999999.995", remaining_life=LIFE)
    ) == [("VALUE_OUT_OF_RANGE", "cost")]
