"""Agency scorecards (Art. 30): facts from the records, graded on the one engine, reproducible,
one ledger fact naming the definitions; an agency sees its own, the authority and its
superior all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import supervision
from authority import SubjectKind, indicators
from authority import scoring as engine
from core.clock import now
from core.errors import AuthError, UserError
from core.identity import Role
from core.models import OrganizationKind
from core.usecase import run
from ledger.models import LedgerEntry
from sharing.models import ShareRequestStatus, ShareViolationCandidate, ViolationKind
from supervision import scoring
from supervision.scorecards import _quarters

pytestmark = pytest.mark.article(30)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_freshness_is_time_weighted_over_the_period():
    monthly = supervision.scorecards.scoring.UpdateFrequency.MONTHLY
    start, end = T0, T0 + timedelta(days=100)
    # created 10 days before the period, never refreshed: fresh 21 days of 100
    assert scoring.fresh_seconds(monthly, T0 - timedelta(days=10), [], start, end) == (
        21 * 86400, 100 * 86400,
    )  # fmt: skip
    # refreshed on day 40 of the period: fresh again for 31 days
    refreshed = [T0 + timedelta(days=40)]
    assert scoring.fresh_seconds(monthly, T0 - timedelta(days=10), refreshed, start, end)[0] == (
        (21 + 31) * 86400
    )
    # created after the period: nothing; ON_CHANGE: always fresh
    assert scoring.fresh_seconds(monthly, end, [], start, end) == (0, 0)
    on_change = supervision.scorecards.scoring.UpdateFrequency.ON_CHANGE
    assert scoring.fresh_seconds(on_change, T0, [], start, end) == (100 * 86400, 100 * 86400)


def test_indicator_values_and_empty_shares():
    values = scoring.indicator_values({"items_claimed": Decimal(4), "items_catalogued": Decimal(3),
                                       "out_of_grant_attempts": Decimal(2)})  # fmt: skip
    assert values["CATALOGUE_COVERAGE"] == Decimal("0.7500")
    assert values["SHARE_ANSWERS_ON_TIME"] == Decimal(1)  # nothing due: not marked down
    assert values["OUT_OF_GRANT_ATTEMPTS"] == Decimal(2)


def test_quarters_ending_in_a_period():
    labels = [q[0] for q in _quarters(datetime(2026, 1, 1).date(), datetime(2027, 1, 1).date())]
    assert labels == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert _quarters(datetime(2026, 1, 5).date(), datetime(2026, 3, 31).date()) == []


async def evaluate(db, caller, start, end):
    return await run(
        db, caller.principal, lambda s, a: supervision.evaluate_agencies(s, a, start, end)
    )


async def test_scorecard_from_recorded_facts_reproducible_and_recorded(
    db, agency, other_agency, authority, oversight, make_caller, claim, catalogue, share_request
):
    start = now() - timedelta(days=20)
    first, _ = await claim(agency), await claim(agency)
    entry = await catalogue(agency, (first,))
    day = timedelta(days=1)
    await share_request(other_agency, entry, status=ShareRequestStatus.APPROVED,
                        received_at=start + day, answer_due_at=start + 8 * day,
                        answered_at=start + 2 * day, delivery_due_at=start + 9 * day,
                        delivered_at=start + 3 * day)  # fmt: skip
    await share_request(other_agency, entry, status=ShareRequestStatus.APPROVED,
                        received_at=start + day, answer_due_at=start + 8 * day,
                        answered_at=start + 12 * day)  # answered late  # fmt: skip
    async with db.transaction() as session:
        session.add(
            ShareViolationCandidate(grantee_id=agency.org_id, kind=ViolationKind.ITEMS_OUTSIDE_GRANT,
                                    at=start + 5 * day, ledger_seq=0)
        )  # fmt: skip
    end = now()
    ran = await evaluate(db, authority, start, end)
    mine = next(s for s in ran.scorecards if s.agency_id == agency.org_id)
    facts = json.loads(mine.facts)
    assert (facts["items_claimed"], facts["items_catalogued"]) == ("2", "1")
    assert (facts["answers_due"], facts["answers_on_time"]) == ("2", "1")
    assert (facts["deliveries_due"], facts["deliveries_on_time"]) == ("1", "1")
    assert facts["out_of_grant_attempts"] == "1"
    values = {i["code"]: i["value"] for i in json.loads(mine.indicators)}
    assert values["CATALOGUE_COVERAGE"] == "0.5000"
    assert values["SHARE_ANSWERS_ON_TIME"] == "0.5000"
    async with db.read() as session:
        _, definitions = await indicators.begin(session, SubjectKind.AGENCY, start, end)
        recorded = await session.scalar(
            sa.select(LedgerEntry).where(LedgerEntry.seq == ran.ledger_seq)
        )
    expected = supervision.scorecards.scoring.indicator_values(
        {k: Decimal(v) for k, v in facts.items()}
    )
    result = engine.evaluate(expected, definitions.indicators, definitions.thresholds)
    assert (mine.score, mine.grade) == (str(result.score), result.grade)
    body = json.loads(recorded.body)
    assert recorded.kind == "supervision.scorecard.recorded"
    assert {d["code"] for d in body["definitions"]} >= {"CATALOGUE_COVERAGE", "OPEN_RECTIFICATIONS"}
    assert {"agency": str(agency.org_id), "score": mine.score, "grade": mine.grade} in body[
        "results"
    ]

    again = await evaluate(db, authority, start, end)  # reproducible: same facts, same result
    same = next(s for s in again.scorecards if s.agency_id == agency.org_id)
    assert (same.facts, same.indicators, same.score, same.grade) == (
        mine.facts, mine.indicators, mine.score, mine.grade,
    )  # fmt: skip

    async with db.read() as session:
        own = await supervision.list_scorecards(
            session,
            agency.principal,
            period=(start, end),
            grade=None,
            agency_id=None,
            first=100,
            after=None,
        )
        theirs = await supervision.list_scorecards(
            session,
            other_agency.principal,
            period=(start, end),
            grade=None,
            agency_id=agency.org_id,
            first=100,
            after=None,
        )
        overseen = await supervision.list_scorecards(
            session,
            oversight.principal,
            period=(start, end),
            grade=None,
            agency_id=agency.org_id,
            first=100,
            after=None,
        )
        trend = await supervision.scorecard_trend(session, agency.principal, agency.org_id)
        hidden = await supervision.get_scorecards(session, other_agency.principal, [same.id])
    assert [s.agency_id for s in own.items] == [agency.org_id]
    assert theirs.items == [] and hidden == [None]  # never another agency's
    assert [s.id for s in overseen.items] == [same.id]
    assert trend[-1].id == same.id
    broker = await make_caller(Role.BROKER, OrganizationKind.BROKER)
    with pytest.raises(AuthError):
        async with db.read() as session:
            await supervision.list_scorecards(session, broker.principal, period=None, grade=None,
                                              agency_id=None, first=10, after=None)  # fmt: skip


async def test_evaluation_refusals(db, agency, authority):
    with pytest.raises(AuthError):
        await evaluate(db, agency, now() - timedelta(days=2), now() - timedelta(days=1))
    with pytest.raises(UserError) as not_over:
        await evaluate(db, authority, now() - timedelta(days=1), now() + timedelta(days=1))
    assert not_over.value.code == "PERIOD_NOT_OVER"
    with pytest.raises(UserError) as nobody:
        await evaluate(
            db, authority, datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 2, 1, tzinfo=UTC)
        )
    assert nobody.value.code == "NO_AGENCIES_IN_PERIOD"


async def test_agency_definitions_are_their_own_rows(db, authority):
    async with db.transaction() as session:
        agency_rows = await supervision.scorecards.list_indicators(session, authority.principal)
        broker_rows = await indicators.list_indicators(
            session, authority.principal, SubjectKind.BROKER
        )
        with pytest.raises(UserError) as wrong_kind:  # a broker code is not an agency indicator
            await indicators.update_indicator(
                session, authority.principal, SubjectKind.AGENCY, broker_rows[0].code,
                weight=Decimal("0.5"),
            )  # fmt: skip
    assert wrong_kind.value.code == "INDICATOR_NOT_FOUND"
    assert [r.code for r in agency_rows][:2] == ["CATALOGUE_COVERAGE", "CATALOGUE_FRESHNESS"]
    assert not {r.code for r in agency_rows} & {r.code for r in broker_rows}
