"""The one pure scoring engine (Art. 26, 30): indicator values → scores → total → grade.

No I/O. Each supervised kind turns its facts into indicator values (`broker.scoring`,
`supervision.scoring`); the definitions and thresholds come from the published tables
(`authority.indicators`). All arithmetic is `Decimal`, rounded half up to 0.01 at the end of
each step, so a period re-evaluated with the same facts and definitions gives exactly the
same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from authority.models import Scoring

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)


def q(value: Decimal) -> Decimal:
    """Rounded half up to 0.01."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole to 4 places; nothing to share (whole 0) counts as complete: a subject is
    not marked down for what did not happen."""
    return ONE if whole == 0 else (part / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def score(scoring: Scoring, parameter: Decimal, value: Decimal) -> Decimal:
    """One indicator's score in [0, 100]."""
    if scoring is Scoring.RATIO:
        raw = HUNDRED * value
    elif scoring is Scoring.TARGET:
        raw = HUNDRED if parameter <= 0 else HUNDRED * min(ONE, value / parameter)
    else:
        raw = HUNDRED - parameter * value
    return q(min(HUNDRED, max(ZERO, raw)))


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


def evaluate(
    values: Mapping[str, Decimal],
    definitions: Sequence[Definition],
    thresholds: Mapping[str, Decimal],
) -> Result:
    """Weighted mean of the indicator scores (weights need not sum to 1: Σwᵢsᵢ / Σwᵢ), graded
    by the thresholds; a non-zero value of a veto indicator grades the subject lowest."""
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
        q(sum((r.weight * r.score for r in results), ZERO) / total_weight)
        if total_weight > 0
        else ZERO
    )
    vetoed = tuple(d.code for d in definitions if d.veto and values.get(d.code, ZERO) != 0)
    grade = grade_of(total, thresholds)
    if vetoed:
        grade = min(thresholds, key=lambda g: thresholds[g])
    return Result(indicators=results, score=total, grade=grade, vetoed_by=vetoed)
