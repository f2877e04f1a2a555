"""The one indicator engine (Art. 26, 30): published definitions per subject kind, one period
rule, one evaluation runner, one ledger fact per run naming the definitions it used.

A supervised domain supplies the facts (SQL aggregates grouped by subject, for a period
[start, end)) and the pure function turning one subject's facts into indicator values;
everything else — which definitions are published, how they change, which periods may be
evaluated, scores and grades, and what the run's ledger entry says — is here, once. A new
kind of subject is rows in the two tables and a fact query in its domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

import ledger
from authority import scoring
from authority.errors import Code
from authority.models import Scoring, SubjectKind, SupervisionGrade, SupervisionIndicator
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from ledger import LedgerEntry

# The ledger kinds of each subject kind: (indicator updated, grade updated, run recorded).
# Kinds once written are never renamed: the broker's stay `broker.indicator.updated`, …
FACT_KINDS: dict[SubjectKind, tuple[ledger.Kind, ledger.Kind, ledger.Kind]] = {
    SubjectKind.BROKER: (
        ledger.Kind.INDICATOR_UPDATED, ledger.Kind.GRADE_UPDATED, ledger.Kind.EVALUATION_RECORDED
    ),
    SubjectKind.AGENCY: (
        ledger.Kind.AGENCY_INDICATOR_UPDATED, ledger.Kind.AGENCY_GRADE_UPDATED,
        ledger.Kind.SCORECARD_RECORDED,
    ),
}  # fmt: skip

# The key naming the subject in a run's results.
SUBJECT_KEYS: dict[SubjectKind, str] = {SubjectKind.BROKER: "broker", SubjectKind.AGENCY: "agency"}


# Art. 30: the evaluation indicators are published (brokers: Art. 26)
async def list_indicators(
    session: AsyncSession, actor: Principal | None, kind: SubjectKind
) -> list[SupervisionIndicator]:
    """The published indicators of one subject kind, in order: readable by anyone signed in."""
    require(actor)
    statement = (
        sa.select(SupervisionIndicator)
        .where(SupervisionIndicator.subject_kind == kind)
        .order_by(SupervisionIndicator.position)
    )
    return list((await session.scalars(statement)).all())


async def list_grades(
    session: AsyncSession, actor: Principal | None, kind: SubjectKind
) -> list[SupervisionGrade]:
    """The published grade thresholds of one subject kind, best grade first."""
    require(actor)
    grades = (
        await session.scalars(
            sa.select(SupervisionGrade).where(SupervisionGrade.subject_kind == kind)
        )
    ).all()
    return sorted(grades, key=lambda g: Decimal(g.min_score), reverse=True)


def decimal_of(value: str | Decimal, code: str, field: str) -> Decimal:
    try:
        result = Decimal(value)
    except InvalidOperation as exc:
        raise UserError(code, "Give a decimal number.", field) from exc
    if not result.is_finite():
        raise UserError(code, "Give a finite number.", field)
    return result


# Art. 26: the data authority publishes specific evaluation indicators (agencies: Art. 30)
async def update_indicator(
    session: AsyncSession,
    actor: Principal | None,
    kind: SubjectKind,
    code: str,
    *,
    weight: Decimal | None = None,
    parameter: Decimal | None = None,
    name: str | None = None,
    description: str | None = None,
    veto: bool | None = None,
) -> SupervisionIndicator:
    """The data authority changes a published indicator; a ledger entry says what changed."""
    actor = require(actor, Role.AUTHORITY)
    row = await session.get(SupervisionIndicator, code, with_for_update=True)
    if row is None or row.subject_kind is not kind:
        raise UserError(Code.INDICATOR_NOT_FOUND, f"No indicator {code!r}.", "code")
    problems = []
    if weight is not None and not (weight.is_finite() and Decimal(0) <= weight <= 1):
        problems.append(Problem(Code.WEIGHT_INVALID, "A weight is between 0 and 1.", "weight"))
    if parameter is not None and not (parameter.is_finite() and parameter >= 0):
        problems.append(Problem(Code.PARAMETER_INVALID, "A parameter is 0 or more.", "parameter"))
    elif parameter is not None and parameter == 0 and row.scoring is Scoring.TARGET:
        problems.append(Problem(Code.PARAMETER_INVALID, "A target must be above 0.", "parameter"))
    if name is not None and not name.strip():
        problems.append(Problem(Code.NAME_INVALID, "Give the indicator a name.", "name"))
    if problems:
        raise UserError.of(problems)
    change: dict[str, list[object]] = {}
    for key, value in (
        ("weight", str(weight) if weight is not None else None),
        ("parameter", str(parameter) if parameter is not None else None),
        ("name", name.strip() if name is not None else None),
        ("description", description.strip() if description is not None else None),
        ("veto", veto),
    ):
        if value is not None and getattr(row, key) != value:
            change[key] = [getattr(row, key), value]
            setattr(row, key, value)
    if not change:
        raise UserError(Code.NOTHING_CHANGED, "The update repeats the published indicator.", None)
    row.updated_at = now()
    await ledger.append(session, FACT_KINDS[kind][0], actor, {"indicator": code, "change": change})
    return row


async def update_grade(
    session: AsyncSession,
    actor: Principal | None,
    kind: SubjectKind,
    grade: str,
    *,
    min_score: Decimal,
) -> SupervisionGrade:
    """The data authority moves a grade's threshold; the grades must stay in order (a better
    grade needs a strictly higher score) and the lowest grade keeps taking everyone else."""
    actor = require(actor, Role.AUTHORITY)
    rows = {
        g.grade: g
        for g in (
            await session.scalars(
                sa.select(SupervisionGrade)
                .where(SupervisionGrade.subject_kind == kind)
                .with_for_update()
            )
        ).all()
    }
    row = rows.get(grade)
    if row is None:
        raise UserError(Code.GRADE_NOT_FOUND, f"No grade {grade!r}.", "grade")
    if not (min_score.is_finite() and Decimal(0) <= min_score <= 100):
        raise UserError(Code.MIN_SCORE_INVALID, "A threshold is between 0 and 100.", "min_score")
    ordered = sorted(rows)  # "A" < "B" < …: the best grade first
    thresholds = [min_score if g == grade else Decimal(rows[g].min_score) for g in ordered]
    if any(a <= b for a, b in zip(thresholds, thresholds[1:], strict=False)):
        raise UserError(
            Code.GRADES_OUT_OF_ORDER, "Each grade needs a higher score than the next.", "min_score"
        )
    if str(min_score) == row.min_score:
        raise UserError(Code.NOTHING_CHANGED, "The update repeats the published threshold.", None)
    before, row.min_score = row.min_score, str(min_score)
    await ledger.append(
        session,
        FACT_KINDS[kind][1],
        actor,
        {"grade": grade, "change": {"minScore": [before, row.min_score]}},
    )
    return row


# --- the period rule ------------------------------------------------------------------------


def check_period(start: datetime, end: datetime, at: datetime) -> None:
    """A fact belongs to a period by its own timestamp, in [start, end); only a period that
    has ended is evaluated, so later facts (with later timestamps) cannot change it."""
    problems = []
    if start.tzinfo is None or end.tzinfo is None:
        problems.append(
            Problem(Code.PERIOD_INVALID, "Give times with a UTC offset.", "period_start")
        )
    elif start >= end:
        problems.append(
            Problem(Code.PERIOD_INVALID, "The period must end after it starts.", "period_end")
        )
    elif end > at:
        problems.append(
            Problem(
                Code.PERIOD_NOT_OVER,
                "Only a period that has ended is evaluated (so that it is reproducible).",
                "period_end",
            )
        )
    if problems:
        raise UserError.of(problems)


def in_period(
    column: sa.ColumnElement[datetime], start: datetime, end: datetime
) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end)


# --- the runner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Definitions:
    kind: SubjectKind
    indicators: list[scoring.Definition]
    thresholds: dict[str, Decimal]

    def as_fact(self) -> dict[str, object]:
        """What a run's ledger entry records of the definitions it used."""
        return {
            "definitions": [
                {"code": d.code, "weight": str(d.weight), "scoring": d.scoring.value,
                 "parameter": str(d.parameter), "veto": d.veto}
                for d in self.indicators
            ],
            "thresholds": {g: str(v) for g, v in sorted(self.thresholds.items())},
        }  # fmt: skip


async def begin(
    session: AsyncSession, kind: SubjectKind, start: datetime, end: datetime
) -> tuple[datetime, Definitions]:
    """Check the period, then lock the published definitions of `kind` until the run commits:
    two runs (of any period) go one after the other, and no indicator changes under one."""
    at = now()
    check_period(start, end, at)
    indicators = (
        await session.scalars(
            sa.select(SupervisionIndicator)
            .where(SupervisionIndicator.subject_kind == kind)
            .order_by(SupervisionIndicator.position)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    grades = (
        await session.scalars(
            sa.select(SupervisionGrade)
            .where(SupervisionGrade.subject_kind == kind)
            .with_for_update()
        )
    ).all()
    definitions = [
        scoring.Definition(
            code=i.code,
            weight=Decimal(i.weight),
            scoring=i.scoring,
            parameter=Decimal(i.parameter),
            veto=i.veto,
        )
        for i in indicators
    ]
    return at, Definitions(kind, definitions, {g.grade: Decimal(g.min_score) for g in grades})


def score_all(
    facts: Mapping[uuid.UUID, Mapping[str, Decimal]],
    definitions: Definitions,
    values: Callable[[Mapping[str, Decimal]], Mapping[str, Decimal]],
) -> dict[uuid.UUID, scoring.Result]:
    """Every subject's facts graded by the published definitions."""
    return {
        subject: scoring.evaluate(values(subject_facts), definitions.indicators,
                                  definitions.thresholds)
        for subject, subject_facts in facts.items()
    }  # fmt: skip


async def record(
    session: AsyncSession,
    actor: Principal,
    definitions: Definitions,
    start: datetime,
    end: datetime,
    results: Mapping[uuid.UUID, scoring.Result],
    order: Sequence[uuid.UUID],
    **more: object,
) -> LedgerEntry:
    """The run's one ledger fact: the period, the definitions used, each subject's score and
    grade (in `order`), and what the domain adds (`more`)."""
    key = SUBJECT_KEYS[definitions.kind]
    return await ledger.append(
        session,
        FACT_KINDS[definitions.kind][2],
        actor,
        {
            "periodStart": start.isoformat(),
            "periodEnd": end.isoformat(),
            **definitions.as_fact(),
            "results": [
                {key: str(s), "score": str(results[s].score), "grade": results[s].grade}
                for s in order
            ],
            **more,
        },
        parties=list(order),
    )


def indicators_json(result: scoring.Result) -> list[dict[str, str]]:
    """One subject's indicator results as stored beside its score."""
    return [
        {"code": r.code, "value": str(r.value), "score": str(r.score), "weight": str(r.weight)}
        for r in result.indicators
    ]
