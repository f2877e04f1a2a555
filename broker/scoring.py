"""Pure supervision scoring (Art. 26): facts → indicator values → scores → total → grade.

No I/O: `broker.evaluation` gathers the facts with SQL aggregates and the definitions from
the `supervision_indicator` and `supervision_grade` tables, then calls `evaluate`. All
arithmetic is `Decimal`, rounded half up to 0.01 at the end of each step, so a period
re-evaluated with the same facts and definitions gives exactly the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from broker.models import Scoring

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)

# The facts the evaluation counts for each broker in a period (SQL aggregates).
FACTS = (
    "deals_matched",
    "deals_delivered",
    "deals_cancelled",
    "deal_value",
    "flows_recorded",
    "flows_refused_basis",
    "consent_denials",
    "complaints",
    "complaints_due",
    "complaints_due_on_time",
    "licence_suspensions",
    "attempts_while_suspended",
    "uses_after_revocation",
)


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def indicator_values(facts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The value of each published indicator, from one broker's facts for the period.

    Shares with nothing to share (no flow attempted, no complaint due) count as complete:
    a broker is not marked down for what did not happen."""
    f = {name: Decimal(facts.get(name, 0)) for name in FACTS}
    attempted = f["flows_recorded"] + f["flows_refused_basis"]
    return {
        "DEALS_MATCHED": f["deals_matched"],
        "DEALS_DELIVERED": f["deals_delivered"],
        "DEALS_CANCELLED": f["deals_cancelled"],
        "DEAL_VALUE": f["deal_value"],
        "FLOWS_RECORDED": f["flows_recorded"],
        "FLOW_BASIS_COMPLETE_SHARE": _ratio(f["flows_recorded"], attempted),
        "CONSENT_DENIALS": f["consent_denials"],
        "COMPLAINTS_PER_100_FLOWS": _q(f["complaints"] * HUNDRED / max(f["flows_recorded"], ONE)),
        "COMPLAINTS_ON_TIME_SHARE": _ratio(f["complaints_due_on_time"], f["complaints_due"]),
        "LICENCE_SUSPENSIONS": f["licence_suspensions"],
        "USES_AFTER_REVOCATION": f["uses_after_revocation"],
    }


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return ONE if whole == 0 else (part / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def score(scoring: Scoring, parameter: Decimal, value: Decimal) -> Decimal:
    """One indicator's score in [0, 100]."""
    if scoring is Scoring.RATIO:
        raw = HUNDRED * value
    elif scoring is Scoring.TARGET:
        raw = HUNDRED if parameter <= 0 else HUNDRED * min(ONE, value / parameter)
    else:
        raw = HUNDRED - parameter * value
    return _q(min(HUNDRED, max(ZERO, raw)))


@dataclass(frozen=True)
class Definition:
    code: str
    weight: Decimal
    scoring: Scoring
    parameter: Decimal
    veto: bool = False


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    value: Decimal
    score: Decimal
    weight: Decimal


@dataclass(frozen=True)
class Result:
    indicators: tuple[IndicatorResult, ...]
    score: Decimal
    grade: str
    vetoed_by: tuple[str, ...]


def grade_of(total: Decimal, thresholds: Mapping[str, Decimal]) -> str:
    """The best grade whose threshold the total reaches; the lowest grade otherwise."""
    ordered = sorted(thresholds.items(), key=lambda kv: kv[1], reverse=True)
    for grade, minimum in ordered:
        if total >= minimum:
            return grade
    return ordered[-1][0]


# Art. 26: indicator values, scores, total and grade, computed from recorded facts
def evaluate(
    facts: Mapping[str, Decimal],
    definitions: Sequence[Definition],
    thresholds: Mapping[str, Decimal],
) -> Result:
    """Weighted mean of the indicator scores (weights need not sum to 1: Σwᵢsᵢ / Σwᵢ), graded
    by the thresholds; a non-zero value of a veto indicator grades the broker lowest."""
    values = indicator_values(facts)
    results = tuple(
        IndicatorResult(
            code=d.code,
            value=values.get(d.code, ZERO),
            score=score(d.scoring, d.parameter, values.get(d.code, ZERO)),
            weight=d.weight,
        )
        for d in definitions
    )
    total_weight = sum((r.weight for r in results), ZERO)
    total = (
        _q(sum((r.weight * r.score for r in results), ZERO) / total_weight)
        if total_weight > 0
        else ZERO
    )
    vetoed = tuple(d.code for d in definitions if d.veto and values.get(d.code, ZERO) != 0)
    grade = grade_of(total, thresholds)
    if vetoed:
        grade = min(thresholds, key=lambda g: thresholds[g])
    return Result(indicators=results, score=total, grade=grade, vetoed_by=vetoed)
