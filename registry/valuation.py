"""Art. 25: appraise a data asset or product by the cost, income or market approach. Pure.

- Cost:   P = C × δ, C = planning + construction + operation and maintenance + indirect
          + opportunity cost + taxes; δ = Σ wₖ·qₖ over GB/T 36344's six quality dimensions,
          or the remaining-life ratio remaining / (elapsed + remaining).
- Income: P = Σₜ Fₜ / (1 + i)ᵗ for t = 1..n, i = risk-free rate + risk premium.
- Market: P = mean over comparables j of Pⱼ × K_quality × K_supply_demand × K_date
          × K_capacity × K_other.

Money is `Decimal` CNY. Numbers come as `Decimal`, `int` or `str`, never `float` (a float has
already lost the cents). Arithmetic keeps 34 significant digits; only the final value is
rounded, half up, to 0.01. `Valuation.breakdown` holds every intermediate figure unrounded
(plain notation, no exponent), so a stored valuation can be explained and recomputed. Its keys:
cost `planning` … `taxes`, `construction.<part>`, `C`, `delta_form`, `q.<dim>`, `w.<dim>` or
`elapsed`, `remaining`, `delta`; income `form`, `risk_free_rate`, `risk_premium`, `i`, `n`,
`share_rate`, the per-period inputs `revenue_t`, `charge_t`, `with_t`, `without_t`, then `F_t`
and `PV_t` (t from 1, as in the formula); market `n`, `comparables[j].<field>` (j from 0, as in
field paths) and `comparables[j].adjusted`; all end with `P`.

Bad numbers raise one `UserError` listing every problem of the input, each with a snake_case
field path ("cost.construction.storage", "market.comparables[2].k_quality"). A wrong *shape*
(an income form that is none of the four, inputs of another method) is a bug in the caller and
raises `TypeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias

from core.errors import Problem, UserError
from registry.errors import Code

Amount: TypeAlias = Decimal | int | str

CENT = Decimal("0.01")
# Money columns are NUMERIC(20, 2): a value must stay below 10^18 CNY.
VALUE_LIMIT = Decimal(10) ** 18
# 34 digits (IEEE decimal128) keeps cents exact far beyond VALUE_LIMIT.
_CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

# GB/T 36344-2018 数据质量评价指标: 准确性, 一致性, 完整性, 规范性, 时效性, 可访问性.
QUALITY_DIMENSIONS = (
    "accuracy",
    "consistency",
    "completeness",
    "conformity",
    "timeliness",
    "accessibility",
)
COST_PARTS = (
    "planning",
    "construction",
    "operation_and_maintenance",
    "indirect",
    "opportunity_cost",
    "taxes",
)
MARKET_COEFFICIENTS = ("k_quality", "k_supply_demand", "k_date", "k_capacity", "k_other")


class Method(StrEnum):
    COST = "COST"
    INCOME = "INCOME"
    MARKET = "MARKET"


# --- Inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Dimensions:
    accuracy: Amount
    consistency: Amount
    completeness: Amount
    conformity: Amount
    timeliness: Amount
    accessibility: Amount


@dataclass(frozen=True, kw_only=True)
class QualityScores(_Dimensions):
    """One score qₖ in [0, 1] per GB/T 36344 dimension."""


@dataclass(frozen=True, kw_only=True)
class QualityWeights(_Dimensions):
    """One weight wₖ ≥ 0 per dimension; they sum to exactly 1 (Decimal equality: give
    thirds as 0.333…3 + 0.333…3 + 0.333…4, so the stored weights reproduce the score)."""


@dataclass(frozen=True)
class QualityAdjustment:
    scores: QualityScores
    weights: QualityWeights


@dataclass(frozen=True)
class RemainingLife:
    """Useful life already used and still left, in one unit (years, months)."""

    elapsed: Amount
    remaining: Amount


@dataclass(frozen=True, kw_only=True)
class CostInputs:
    """The parts of C (each ≥ 0; construction may be named parts, summed) and exactly one δ."""

    planning: Amount = 0
    construction: Amount | Mapping[str, Amount] = 0  # e.g. {"collection": …, "storage": …}
    operation_and_maintenance: Amount = 0
    indirect: Amount = 0
    opportunity_cost: Amount = 0
    taxes: Amount = 0
    quality: QualityAdjustment | None = None
    remaining_life: RemainingLife | None = None

    def __post_init__(self) -> None:
        if isinstance(self.construction, Mapping):
            object.__setattr__(self, "construction", MappingProxyType(dict(self.construction)))


def _freeze(instance: object, *names: str) -> None:
    for name in names:
        object.__setattr__(instance, name, tuple(getattr(instance, name)))


@dataclass(frozen=True)
class DirectCashFlows:
    """Fₜ as given, one per period; may be negative."""

    form: ClassVar[str] = "DIRECT"
    amounts: Sequence[Amount]

    def __post_init__(self) -> None:
        _freeze(self, "amounts")


@dataclass(frozen=True)
class RevenueShare:
    """Fₜ = revenueₜ × share_rate, the share of revenue the data earns; rate in (0, 1]."""

    form: ClassVar[str] = "REVENUE_SHARE"
    revenues: Sequence[Amount]
    share_rate: Amount

    def __post_init__(self) -> None:
        _freeze(self, "revenues")


@dataclass(frozen=True)
class ContributoryCharges:
    """Fₜ = revenueₜ − chargeₜ, the charges for the other assets that earned the revenue."""

    form: ClassVar[str] = "CONTRIBUTORY"
    revenues: Sequence[Amount]
    charges: Sequence[Amount]

    def __post_init__(self) -> None:
        _freeze(self, "revenues", "charges")


@dataclass(frozen=True)
class WithWithout:
    """Fₜ = income with the data − income without it; either may be negative."""

    form: ClassVar[str] = "WITH_WITHOUT"
    with_data: Sequence[Amount]
    without_data: Sequence[Amount]

    def __post_init__(self) -> None:
        _freeze(self, "with_data", "without_data")


CashFlows: TypeAlias = DirectCashFlows | RevenueShare | ContributoryCharges | WithWithout


@dataclass(frozen=True, kw_only=True)
class IncomeInputs:
    """n = the number of periods given; i = risk_free_rate + risk_premium (fractions)."""

    cash_flows: CashFlows
    risk_free_rate: Amount
    risk_premium: Amount


@dataclass(frozen=True, kw_only=True)
class Comparable:
    """A traded asset like this one: its price and the coefficients (> 0) that adjust it."""

    price: Amount
    k_quality: Amount = 1
    k_supply_demand: Amount = 1
    k_date: Amount = 1
    k_capacity: Amount = 1
    k_other: Amount = 1
    label: str = ""  # where the price comes from, e.g. an exchange listing


@dataclass(frozen=True)
class MarketInputs:
    comparables: Sequence[Comparable]

    def __post_init__(self) -> None:
        _freeze(self, "comparables")


@dataclass(frozen=True)
class Valuation:
    method: Method
    value: Decimal  # CNY, rounded half up to 0.01
    breakdown: dict[str, str]


# --- Checking -----------------------------------------------------------------------------


class _Check:
    """Collects every problem of one input, so the caller can fix them all in one go."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, code: str, message: str, field: str) -> None:
        self.problems.append(Problem(code, message, field))

    def number(self, value: object, field: str) -> Decimal | None:
        if isinstance(value, float):
            self.fail(
                Code.FLOAT_NOT_ALLOWED, "Give a decimal string or an integer, not a float.", field
            )
            return None
        number: Decimal | None = None
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            self.fail(Code.NOT_A_NUMBER, "Give a finite decimal number.", field)
            return None
        return number

    def amount(self, value: object, field: str) -> Decimal | None:
        number = self.number(value, field)
        if number is not None and number < 0:
            self.fail(Code.NEGATIVE_AMOUNT, "An amount cannot be negative.", field)
            return None
        return number

    def done(self) -> None:
        if self.problems:
            raise UserError.of(self.problems)


@contextmanager
def _arithmetic(method: Method) -> Iterator[None]:
    with localcontext(_CONTEXT):
        try:
            yield
        except DecimalException as exc:  # only absurd magnitudes (1e999999) get here
            raise _out_of_range(method) from exc


def _out_of_range(method: Method) -> UserError:
    return UserError(
        Code.VALUE_OUT_OF_RANGE,
        f"The value must stay below {VALUE_LIMIT:f} CNY; check the units of the inputs.",
        method.lower(),
    )


def _fmt(number: Decimal) -> str:
    return format(number, "f")


def _finish(method: Method, value: Decimal, figures: dict[str, str]) -> Valuation:
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(rounded) >= VALUE_LIMIT:
        raise _out_of_range(method)
    figures["P"] = _fmt(value)
    if rounded.is_zero():
        rounded = rounded.copy_abs()  # never "-0.00"
    return Valuation(method, rounded, figures)


def _expect(value: object, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{where} needs {kind.__name__}, got {type(value).__name__}")


# --- Cost ---------------------------------------------------------------------------------


def _quality(
    check: _Check, scores: QualityScores, weights: QualityWeights, at: str, figures: dict[str, str]
) -> Decimal | None:
    _expect(scores, QualityScores, "quality")
    _expect(weights, QualityWeights, "quality")
    total_weight, score, complete = Decimal(0), Decimal(0), True
    for name in QUALITY_DIMENSIONS:
        q = check.number(getattr(scores, name), f"{at}scores.{name}")
        w = check.number(getattr(weights, name), f"{at}weights.{name}")
        if q is not None and not 0 <= q <= 1:
            check.fail(
                Code.SCORE_OUT_OF_RANGE, "A quality score is between 0 and 1.", f"{at}scores.{name}"
            )
            q = None
        if w is not None and w < 0:
            check.fail(Code.WEIGHT_NEGATIVE, "A weight cannot be negative.", f"{at}weights.{name}")
            w = None
        if w is not None:
            total_weight += w
        if q is None or w is None:
            complete = False
            continue
        figures[f"q.{name}"], figures[f"w.{name}"] = _fmt(q), _fmt(w)
        score += w * q
    if complete and total_weight != 1:
        check.fail(
            Code.WEIGHTS_NOT_NORMALISED,
            f"The weights sum to {total_weight:f}; they must sum to exactly 1.",
            f"{at}weights",
        )
    return score if complete else None


def quality_score(scores: QualityScores, weights: QualityWeights) -> Decimal:
    """Σ wₖ·qₖ over the six GB/T 36344 dimensions: a coefficient in [0, 1], unrounded."""
    check = _Check()
    with localcontext(_CONTEXT):
        score = _quality(check, scores, weights, "", {})
    check.done()
    assert score is not None
    return score


def _remaining_life(check: _Check, life: RemainingLife, figures: dict[str, str]) -> Decimal | None:
    _expect(life, RemainingLife, "cost.remaining_life")
    elapsed = check.number(life.elapsed, "cost.remaining_life.elapsed")
    remaining = check.number(life.remaining, "cost.remaining_life.remaining")
    if elapsed is not None and elapsed < 0:
        check.fail(
            Code.ELAPSED_LIFE_NEGATIVE,
            "Elapsed life cannot be negative.",
            "cost.remaining_life.elapsed",
        )
        elapsed = None
    if remaining is not None and remaining <= 0:
        check.fail(
            Code.REMAINING_LIFE_NOT_POSITIVE,
            "Remaining life must be above 0; an asset with none left is not valued this way.",
            "cost.remaining_life.remaining",
        )
        remaining = None
    if elapsed is None or remaining is None:
        return None
    figures["elapsed"], figures["remaining"] = _fmt(elapsed), _fmt(remaining)
    return remaining / (elapsed + remaining)


def appraise_cost(inputs: CostInputs) -> Valuation:
    """Art. 25, cost approach: P = C × δ."""
    _expect(inputs, CostInputs, Method.COST)
    check, figures = _Check(), dict[str, str]()
    with _arithmetic(Method.COST):
        cost = Decimal(0)
        for name in COST_PARTS:
            value: Any = getattr(inputs, name)
            if isinstance(value, Mapping):  # construction as named parts
                part = Decimal(0)
                for key, amount in value.items():
                    if not isinstance(key, str) or not key.strip():
                        check.fail(Code.PART_NAME_INVALID, "Name each part.", f"cost.{name}")
                        continue
                    number = check.amount(amount, f"cost.{name}.{key}")
                    if number is not None:
                        figures[f"{name}.{key}"] = _fmt(number)
                        part += number
            else:
                part = check.amount(value, f"cost.{name}") or Decimal(0)
            figures[name] = _fmt(part)
            cost += part
        delta: Decimal | None = None
        if inputs.quality is not None and inputs.remaining_life is not None:
            check.fail(
                Code.ADJUSTMENT_AMBIGUOUS,
                "Give δ one way: quality scores or remaining life, not both.",
                "cost",
            )
        elif inputs.quality is not None:
            figures["delta_form"] = "QUALITY"
            quality = inputs.quality
            _expect(quality, QualityAdjustment, "cost.quality")
            delta = _quality(check, quality.scores, quality.weights, "cost.quality.", figures)
        elif inputs.remaining_life is not None:
            figures["delta_form"] = "REMAINING_LIFE"
            delta = _remaining_life(check, inputs.remaining_life, figures)
        else:
            check.fail(
                Code.ADJUSTMENT_REQUIRED,
                "Give δ: quality scores with weights, or the remaining life.",
                "cost",
            )
        check.done()
        assert delta is not None
        figures["C"], figures["delta"] = _fmt(cost), _fmt(delta)
        # Art. 25: cost approach, what it took to make the data, scaled by its quality or life.
        return _finish(Method.COST, cost * delta, figures)


# --- Income -------------------------------------------------------------------------------

# Per form: (field, breakdown label, must be ≥ 0) for each list, in the order Fₜ uses them.
_COLUMNS: dict[type, tuple[tuple[str, str, bool], ...]] = {
    DirectCashFlows: (("amounts", "", False),),
    RevenueShare: (("revenues", "revenue", True),),
    ContributoryCharges: (("revenues", "revenue", True), ("charges", "charge", True)),
    WithWithout: (("with_data", "with", False), ("without_data", "without", False)),
}


def _cash_flows(check: _Check, flows: CashFlows, figures: dict[str, str]) -> list[Decimal] | None:
    columns = _COLUMNS.get(type(flows))
    if columns is None:
        raise TypeError(f"cash_flows must be one of {', '.join(c.__name__ for c in _COLUMNS)}")
    figures["form"] = flows.form
    at = "income.cash_flows"
    lists: list[list[Decimal | None]] = []
    periods: tuple[str, int] | None = None  # the first non-empty list fixes n
    for name, _label, non_negative in columns:
        values: Sequence[Amount] = getattr(flows, name)
        if not values:
            check.fail(Code.PERIODS_INVALID, "Give at least one period.", f"{at}.{name}")
        elif periods is None:
            periods = (name, len(values))
        elif len(values) != periods[1]:
            check.fail(
                Code.PERIODS_MISMATCH,
                f"Give one value per period: {periods[1]}, as many as {periods[0]}.",
                f"{at}.{name}",
            )
        convert = check.amount if non_negative else check.number
        lists.append([convert(value, f"{at}.{name}[{k}]") for k, value in enumerate(values)])
    share = Decimal(1)
    if isinstance(flows, RevenueShare):
        rate = check.number(flows.share_rate, f"{at}.share_rate")
        if rate is not None and not 0 < rate <= 1:
            check.fail(
                Code.SHARE_RATE_INVALID,
                "A share rate is above 0 and at most 1.",
                f"{at}.share_rate",
            )
        elif rate is not None:
            share, figures["share_rate"] = rate, _fmt(rate)
    if check.problems:
        return None
    series: list[Decimal] = []
    for t, row in enumerate(zip(*lists, strict=True), start=1):
        for (_name, label, _non_negative), value in zip(columns, row, strict=True):
            if label:
                figures[f"{label}_{t}"] = _fmt(value)
        series.append(_flow(flows, row, share))
    return series


def _flow(flows: CashFlows, row: Sequence[Any], share: Decimal) -> Decimal:
    """Art. 25, income approach: the part of period t's income that the data itself earns."""
    if isinstance(flows, DirectCashFlows):
        return row[0]
    if isinstance(flows, RevenueShare):
        return row[0] * share
    return row[0] - row[1]  # revenue - contributory charge, or with - without the data


def appraise_income(inputs: IncomeInputs) -> Valuation:
    """Art. 25, income approach: P = Σₜ Fₜ / (1 + i)ᵗ, t = 1..n."""
    _expect(inputs, IncomeInputs, Method.INCOME)
    check, figures = _Check(), dict[str, str]()
    with _arithmetic(Method.INCOME):
        risk_free = check.number(inputs.risk_free_rate, "income.risk_free_rate")
        premium = check.number(inputs.risk_premium, "income.risk_premium")
        rate = None if risk_free is None or premium is None else risk_free + premium
        if rate is not None and rate <= -1:
            check.fail(
                Code.DISCOUNT_RATE_INVALID,
                f"The discount rate i = {rate:f} must be above -1 (1 + i > 0).",
                "income.discount_rate",
            )
        series = _cash_flows(check, inputs.cash_flows, figures)
        check.done()
        assert risk_free is not None and premium is not None and rate is not None
        assert series is not None
        figures["risk_free_rate"], figures["risk_premium"] = _fmt(risk_free), _fmt(premium)
        figures["i"], figures["n"] = _fmt(rate), str(len(series))
        value = Decimal(0)
        for t, flow in enumerate(series, start=1):
            # Art. 25: income approach, each period's cash flow brought back to today.
            present = flow / (1 + rate) ** t
            figures[f"F_{t}"], figures[f"PV_{t}"] = _fmt(flow), _fmt(present)
            value += present
        return _finish(Method.INCOME, value, figures)


# --- Market -------------------------------------------------------------------------------


def appraise_market(inputs: MarketInputs) -> Valuation:
    """Art. 25, market approach: the mean of the comparables' adjusted prices."""
    _expect(inputs, MarketInputs, Method.MARKET)
    check, figures = _Check(), dict[str, str]()
    with _arithmetic(Method.MARKET):
        if not inputs.comparables:
            check.fail(
                Code.COMPARABLES_REQUIRED,
                "Give at least one comparable trade.",
                "market.comparables",
            )
        adjusted: list[Decimal] = []
        for j, comparable in enumerate(inputs.comparables):
            _expect(comparable, Comparable, "market.comparables")
            at = f"market.comparables[{j}]"
            price = check.amount(comparable.price, f"{at}.price")
            factors: list[Decimal] = []
            for name in MARKET_COEFFICIENTS:
                k = check.number(getattr(comparable, name), f"{at}.{name}")
                if k is not None and k <= 0:
                    check.fail(
                        Code.COEFFICIENT_NOT_POSITIVE, "A coefficient is above 0.", f"{at}.{name}"
                    )
                elif k is not None:
                    factors.append(k)
            if check.problems:
                continue
            assert price is not None
            key = f"comparables[{j}]"
            if comparable.label:
                figures[f"{key}.label"] = comparable.label
            figures[f"{key}.price"] = _fmt(price)
            # Art. 25: market approach, a comparable's price adjusted to this asset.
            value = price
            for name, k in zip(MARKET_COEFFICIENTS, factors, strict=True):
                figures[f"{key}.{name}"] = _fmt(k)
                value *= k
            figures[f"{key}.adjusted"] = _fmt(value)
            adjusted.append(value)
        check.done()
        figures["n"] = str(len(adjusted))
        return _finish(Method.MARKET, sum(adjusted, Decimal(0)) / len(adjusted), figures)


_APPRAISERS: dict[Method, Callable[[Any], Valuation]] = {
    Method.COST: appraise_cost,
    Method.INCOME: appraise_income,
    Method.MARKET: appraise_market,
}


# Art. 25: data assets and products are valued (cost, income, market approaches)
def appraise(method: str, inputs: CostInputs | IncomeInputs | MarketInputs) -> Valuation:
    """Art. 25: value `inputs` by `method` ("COST", "INCOME" or "MARKET")."""
    try:
        chosen = Method(method)
    except ValueError:
        raise UserError(
            Code.METHOD_UNKNOWN, "Choose the method COST, INCOME or MARKET.", "method"
        ) from None
    return _APPRAISERS[chosen](inputs)
