"""Broker scoring (Art. 26): a broker's facts → the values of its published indicators.

No I/O: `broker.evaluation` gathers the facts with SQL aggregates; the one engine
(`authority.scoring`, run by `authority.indicators`) turns values into scores and grades.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from authority import scoring as engine

CENT, HUNDRED, ONE = engine.CENT, engine.HUNDRED, engine.ONE
Definition, IndicatorResult, Result = engine.Definition, engine.IndicatorResult, engine.Result
score, grade_of = engine.score, engine.grade_of

__all__ = [
    "CENT",
    "FACTS",
    "Definition",
    "IndicatorResult",
    "Result",
    "evaluate",
    "grade_of",
    "indicator_values",
    "score",
]

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
        "FLOW_BASIS_COMPLETE_SHARE": engine.ratio(f["flows_recorded"], attempted),
        "CONSENT_DENIALS": f["consent_denials"],
        "COMPLAINTS_PER_100_FLOWS": engine.q(
            f["complaints"] * HUNDRED / max(f["flows_recorded"], ONE)
        ),
        "COMPLAINTS_ON_TIME_SHARE": engine.ratio(f["complaints_due_on_time"], f["complaints_due"]),
        "LICENCE_SUSPENSIONS": f["licence_suspensions"],
        "USES_AFTER_REVOCATION": f["uses_after_revocation"],
    }


# Art. 26: indicator values, scores, total and grade, computed from recorded facts
def evaluate(
    facts: Mapping[str, Decimal],
    definitions: Sequence[Definition],
    thresholds: Mapping[str, Decimal],
) -> Result:
    """One broker's facts graded by the one engine."""
    return engine.evaluate(indicator_values(facts), definitions, thresholds)
