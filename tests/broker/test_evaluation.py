"""Supervision (Art. 26): pure scoring by hand, facts counted in SQL from recorded facts only,
a ledger entry per evaluation, reproducibility, indicator definitions as data."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

import broker
import consent
from broker import scoring
from broker.models import Scoring
from core.clock import now
from core.errors import Forbidden, Unauthenticated, UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry

pytestmark = pytest.mark.article(26)

# Test data: the defaults migration 0010 publishes (`test_test_data_is_what_0010_publishes`
# checks), which the hand-computed results below are worked out with.
DEFINITIONS = [
    scoring.Definition(code, Decimal(weight), kind, Decimal(parameter), veto)
    for code, weight, kind, parameter, veto in (
        ("DEALS_MATCHED", "0.10", Scoring.TARGET, "10", False),
        ("DEALS_DELIVERED", "0.10", Scoring.TARGET, "10", False),
        ("DEALS_CANCELLED", "0.05", Scoring.PENALTY, "10", False),
        ("DEAL_VALUE", "0.10", Scoring.TARGET, "1000000", False),
        ("FLOWS_RECORDED", "0.10", Scoring.TARGET, "20", False),
        ("FLOW_BASIS_COMPLETE_SHARE", "0.15", Scoring.RATIO, "1", False),
        ("CONSENT_DENIALS", "0.10", Scoring.PENALTY, "5", False),
        ("COMPLAINTS_PER_100_FLOWS", "0.10", Scoring.PENALTY, "10", False),
        ("COMPLAINTS_ON_TIME_SHARE", "0.05", Scoring.RATIO, "1", False),
        ("LICENCE_SUSPENSIONS", "0.05", Scoring.PENALTY, "50", False),
        ("USES_AFTER_REVOCATION", "0.10", Scoring.PENALTY, "100", True),
    )
]
THRESHOLDS = {"A": Decimal(85), "B": Decimal(70), "C": Decimal(55), "D": Decimal(0)}
RULE_THRESHOLDS = {"COMPLAINT_RATE": "5", "FLOW_BASIS_MISSING": "0",
                   "ACTIVITY_WHILE_SUSPENDED": "0", "USE_AFTER_REVOCATION": "0"}  # fmt: skip
RULE_MIN_VOLUMES = {"COMPLAINT_RATE": 20}  # flows; 0 for the count rules (migration 0012)


# --- pure -----------------------------------------------------------------------------------


def facts(**given):
    return {name: Decimal(given.get(name, 0)) for name in scoring.FACTS}


def test_scores_by_kind():
    assert scoring.score(Scoring.RATIO, Decimal(1), Decimal("0.8333")) == Decimal("83.33")
    assert scoring.score(Scoring.TARGET, Decimal(10), Decimal(4)) == Decimal("40.00")
    assert scoring.score(Scoring.TARGET, Decimal(10), Decimal(40)) == Decimal("100.00")
    assert scoring.score(Scoring.PENALTY, Decimal(10), Decimal("2.5")) == Decimal("75.00")
    assert scoring.score(Scoring.PENALTY, Decimal(50), Decimal(3)) == Decimal("0.00")


def test_indicator_values_and_empty_shares():
    values = scoring.indicator_values(
        facts(flows_recorded=40, flows_refused_basis=10, complaints=3, complaints_due=0)
    )
    assert values["FLOW_BASIS_COMPLETE_SHARE"] == Decimal("0.8000")
    assert values["COMPLAINTS_PER_100_FLOWS"] == Decimal("7.50")
    assert values["COMPLAINTS_ON_TIME_SHARE"] == Decimal(1)  # nothing due: not marked down
    idle = scoring.indicator_values(facts(complaints=1))
    assert idle["COMPLAINTS_PER_100_FLOWS"] == Decimal("100.00")  # per max(flows, 1)


def test_a_hand_computed_evaluation():
    """A broker with 5 matched, 4 delivered worth CNY 250,000, 1 cancelled, 10 flows of 12
    attempted, 2 denials, 1 complaint (10 per 100 flows), 1 of 2 due on time, no suspension:

      DEALS_MATCHED 50 · DEALS_DELIVERED 40 · DEALS_CANCELLED 90 · DEAL_VALUE 25 ·
      FLOWS_RECORDED 50 · BASIS 83.33 · DENIALS 90 · COMPLAINTS 0 · ON_TIME 50 ·
      SUSPENSIONS 100 · AFTER_REVOCATION 100
      Σwᵢsᵢ = 5 + 4 + 4.5 + 2.5 + 5 + 12.4995 + 9 + 0 + 2.5 + 5 + 10 = 59.9995 → 60.00 (C)
    """
    result = scoring.evaluate(
        facts(
            deals_matched=5, deals_delivered=4, deals_cancelled=1, deal_value="250000.00",
            flows_recorded=10, flows_refused_basis=2, consent_denials=2, complaints=1,
            complaints_due=2, complaints_due_on_time=1,
        ),
        DEFINITIONS,
        THRESHOLDS,
    )  # fmt: skip
    assert [r.score for r in result.indicators] == [
        Decimal(x) for x in
        ("50.00", "40.00", "90.00", "25.00", "50.00", "83.33", "90.00", "0.00", "50.00",
         "100.00", "100.00")
    ]  # fmt: skip
    assert result.score == Decimal("60.00") and result.grade == "C" and not result.vetoed_by


def test_weights_need_not_sum_to_one_and_a_veto_grades_lowest():
    perfect = facts(deals_matched=10, deals_delivered=10, deal_value=1_000_000, flows_recorded=20)
    doubled = [scoring.Definition(d.code, d.weight * 2, d.scoring, d.parameter, d.veto)
               for d in DEFINITIONS]  # fmt: skip
    assert scoring.evaluate(perfect, DEFINITIONS, THRESHOLDS).score == Decimal("100.00")
    assert scoring.evaluate(perfect, doubled, THRESHOLDS).grade == "A"
    vetoed = scoring.evaluate(
        {**perfect, "uses_after_revocation": Decimal(1)}, DEFINITIONS, THRESHOLDS
    )
    assert vetoed.score == Decimal("90.00") and vetoed.grade == "D"
    assert vetoed.vetoed_by == ("USES_AFTER_REVOCATION",)


def test_grade_thresholds():
    assert [scoring.grade_of(Decimal(s), THRESHOLDS) for s in ("85", "84.99", "70", "55", "0")] == [
        "A", "B", "B", "C", "D",
    ]  # fmt: skip


def published_rules(**changes: tuple[str, bool]) -> list[broker.RiskRule]:
    """The migration's defaults (`RULE_THRESHOLDS`, all enabled), with `changes` (rule name
    -> (threshold, enabled))."""
    rules = []
    for name, threshold in RULE_THRESHOLDS.items():
        threshold, enabled = changes.get(name, (threshold, True))
        rules.append(
            broker.RiskRule(
                rule=broker.AlertRule(name),
                description="",
                threshold=threshold,
                enabled=enabled,
                min_volume=RULE_MIN_VOLUMES.get(name, 0),
            )  # fmt: skip
        )
    return rules


async def test_test_data_is_what_0010_publishes(fresh_db, authority):
    """The definitions, thresholds and risk rules above are the ones a new database starts
    with (the shared test database's are changed, and put back, by other tests)."""
    async with fresh_db.read() as session:
        indicators = await broker.list_indicators(session, authority.principal)
        grades = await broker.list_grades(session, authority.principal)
        rules = await broker.list_risk_rules(session, authority.principal)
    published = [
        scoring.Definition(i.code, Decimal(i.weight), i.scoring, Decimal(i.parameter), i.veto)
        for i in indicators
    ]
    assert published == DEFINITIONS
    assert [(g.grade, Decimal(g.min_score)) for g in grades] == list(THRESHOLDS.items())
    assert sorted((r.rule, r.threshold, r.enabled, r.min_volume) for r in rules) == sorted(
        (r.rule, r.threshold, r.enabled, r.min_volume) for r in published_rules()
    )
    assert [r.rule for r in published_rules()] == list(broker.AlertRule)


def test_risk_rules():
    quiet = broker.risk_rules(facts(flows_recorded=100, complaints=5), published_rules())
    assert quiet == []  # 5 per 100 is not above 5
    noisy = facts(flows_recorded=20, complaints=2, flows_refused_basis=1,
                  attempts_while_suspended=2, uses_after_revocation=1)  # fmt: skip
    loud = broker.risk_rules(noisy, published_rules())
    assert [f.rule for f in loud] == list(broker.AlertRule)
    assert loud[0].value == Decimal(10) and loud[0].threshold == Decimal(5)
    # The authority's published changes: a higher complaint threshold, a rule switched off.
    # (Above 10 per 100 with 20 flows: the minimum volume is reached, the threshold is not.)
    tuned = broker.risk_rules(
        noisy, published_rules(COMPLAINT_RATE=("10", True), FLOW_BASIS_MISSING=("0", False))
    )
    assert [f.rule for f in tuned] == [
        broker.AlertRule.ACTIVITY_WHILE_SUSPENDED, broker.AlertRule.USE_AFTER_REVOCATION,
    ]  # fmt: skip


@pytest.mark.article(26)
def test_a_rate_alerts_only_from_its_published_minimum_volume():
    """Issue 10 §8: a broker's first complaint with one flow is not "100 per 100 flows"."""
    rules = published_rules()
    first = broker.risk_rules(facts(flows_recorded=1, complaints=1), rules)
    assert first == []
    just_under = broker.risk_rules(facts(flows_recorded=19, complaints=3), rules)
    assert just_under == []
    [at_volume] = broker.risk_rules(facts(flows_recorded=20, complaints=2), rules)
    assert (at_volume.rule, at_volume.value) == (broker.AlertRule.COMPLAINT_RATE, Decimal(10))
    # The count rules have no volume: one event is the fact.
    [count] = broker.risk_rules(facts(flows_recorded=0, flows_refused_basis=1), rules)
    assert count.rule is broker.AlertRule.FLOW_BASIS_MISSING


# --- from recorded facts --------------------------------------------------------------------


TERMS = broker.ListingTerms(
    price=Decimal("100.00"), pricing_model=broker.PricingModel.ONE_TIME,
    purposes=("SME credit scoring",), term="P1Y", territory="Jiangmen",
)  # fmt: skip
DATASET = broker.FlowInputSpec(
    kind=broker.FlowInputKind.NON_PUBLIC_DATASET, dataset_name="Loans", dataset_holder="Bank",
    legal_basis="Contract",
)  # fmt: skip


async def busy_broker(make_broker, make_asset, make_caller, make_consent, act, attempt, authority):
    """A broker with some of every fact; returns (caller, licence, buyer, listing, output)."""
    caller, licence = await make_broker()
    buyer = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    listing = await act(
        broker.list_product, caller.principal, (await make_asset(caller.org_id)).id, TERMS
    )
    output = await make_asset(caller.org_id)
    terms = broker.DealTerms(
        listing.id, buyer.org_id, "SME credit scoring", "Loans", Decimal("4800.10")
    )
    delivered = await act(broker.match_deal, caller.principal, terms)
    await act(broker.confirm_deal, buyer.principal, delivered.id)
    await act(broker.record_delivery, caller.principal, delivered.id)
    cancelled = await act(broker.match_deal, caller.principal, terms)
    await act(broker.cancel_deal, buyer.principal, cancelled.id, reason="no budget")
    flow = broker.FlowSpec((DATASET,), output.id, (buyer.org_id,), "SME credit scoring", "Loans")
    for _ in range(2):
        await act(broker.record_data_flow, caller.principal, flow)
    no_basis = broker.FlowInputSpec(kind=broker.FlowInputKind.NON_PUBLIC_DATASET, dataset_name="X")
    with pytest.raises(broker.Refused):
        await attempt(broker.record_data_flow, caller.principal, broker.FlowSpec(
            (no_basis,), output.id, (buyer.org_id,), "SME credit scoring", "Loans"))  # fmt: skip
    _, wrong = await make_consent(caller.org_id, purpose="Marketing")
    with pytest.raises(broker.Refused):
        await attempt(broker.record_data_flow, caller.principal, broker.FlowSpec(
            (DATASET,), output.id, (buyer.org_id,), "SME credit scoring", "Loans",
            (broker.ConsentRelied(wrong.id, "certificate:BUSINESS_LICENCE"),)))  # fmt: skip
    await act(
        broker.decide_broker_licence, authority.principal, licence.id,
        decision=broker.LicenceDecisionKind.SUSPEND, reason="audit",
    )  # fmt: skip
    with pytest.raises(broker.Refused):
        await attempt(broker.match_deal, caller.principal, terms)
    await act(
        broker.decide_broker_licence, authority.principal, licence.id,
        decision=broker.LicenceDecisionKind.REINSTATE, reason="audit passed",
    )  # fmt: skip
    return caller, licence, buyer, listing, output


async def add_complaints(db, make_caller, act, broker_id):
    """One complaint filed now (due in 15 working days) and two that fell due at once (one
    resolved on time, one not) — inserted, since 15 working days cannot pass in a test."""
    person = await make_caller(Role.DATA_SUBJECT, sub=f"person-{uuid.uuid4().hex[:12]}")
    await act(
        consent.file_complaint, person.principal,
        consent.ComplaintFields(against_id=broker_id, text="My data was sold without consent."),
    )  # fmt: skip
    at = now()
    async with db.transaction() as session:
        for resolved in (at, None):
            session.add(
                consent.Complaint(
                    subject=person.principal.subject, against_id=broker_id, text="late",
                    status=consent.ComplaintStatus.RESOLVED if resolved else consent.ComplaintStatus.ASSIGNED,
                    received_at=at, due_at=at, resolved_at=resolved,
                )
            )  # fmt: skip


async def mine(run, broker_id):
    return next(e for e in run.evaluations if e.broker_id == broker_id)


async def test_evaluation_from_recorded_facts_is_reproducible(
    db, make_broker, make_asset, make_caller, make_consent, act, attempt, authority
):
    start = now()
    caller, _, buyer, listing, output = await busy_broker(
        make_broker, make_asset, make_caller, make_consent, act, attempt, authority
    )
    await add_complaints(db, make_caller, act, caller.org_id)
    await asyncio.sleep(0.01)
    end = now()

    run = await act(broker.evaluate_brokers, authority.principal, start, end)
    evaluation = await mine(run, caller.org_id)
    assert {k: Decimal(v) for k, v in json.loads(evaluation.facts).items()} == facts(
        deals_matched=2, deals_delivered=1, deals_cancelled=1, deal_value="4800.10",
        flows_recorded=2, flows_refused_basis=1, consent_denials=1, complaints=3,
        complaints_due=2, complaints_due_on_time=1, licence_suspensions=1,
        attempts_while_suspended=1,
    )  # fmt: skip
    expected = scoring.evaluate(json.loads(evaluation.facts), DEFINITIONS, THRESHOLDS)
    assert (Decimal(evaluation.score), evaluation.grade) == (expected.score, expected.grade)
    raised = {a.rule for a in run.alerts_raised if a.broker_id == caller.org_id}
    assert raised == {  # 3 complaints over 2 flows: under COMPLAINT_RATE's minimum volume
        broker.AlertRule.FLOW_BASIS_MISSING, broker.AlertRule.ACTIVITY_WHILE_SUSPENDED,
    }  # fmt: skip
    async with db.read() as session:
        entry = await session.get(LedgerEntry, run.ledger_seq)
    assert entry.kind == "broker.evaluation.recorded"
    assert {"broker": str(caller.org_id), "score": evaluation.score, "grade": evaluation.grade} in (
        json.loads(entry.body)["results"]
    )

    # Later facts carry later timestamps: the old period does not move.
    flow = broker.FlowSpec((DATASET,), output.id, (buyer.org_id,), "SME credit scoring", "Loans")
    await act(broker.record_data_flow, caller.principal, flow)
    await act(broker.match_deal, caller.principal, broker.DealTerms(
        listing.id, buyer.org_id, "SME credit scoring", "Loans", Decimal("1.00")))  # fmt: skip
    again = await act(broker.evaluate_brokers, authority.principal, start, end)
    repeated = await mine(again, caller.org_id)
    assert (repeated.facts, repeated.indicators, repeated.score, repeated.grade) == (
        evaluation.facts, evaluation.indicators, evaluation.score, evaluation.grade,
    )  # fmt: skip
    assert not [a for a in again.alerts_raised if a.broker_id == caller.org_id]  # raised once
    assert again.ledger_seq > run.ledger_seq
    async with db.read() as session:
        page = await broker.list_evaluations(
            session, authority.principal, period=(start, end), grade=None, first=100, after=None
        )
    assert [e.broker_id for e in page.items].count(caller.org_id) == 1  # replaced, not added

    later = await act(broker.evaluate_brokers, authority.principal, start, now())
    assert json.loads((await mine(later, caller.org_id)).facts)["flows_recorded"] == "3"


async def test_statements_do_not_grow_with_brokers(
    db,
    make_broker,
    make_asset,
    make_caller,
    make_consent,
    act,
    attempt,
    authority,
    count_statements,
):
    """The facts are aggregates grouped by broker, not a loop over brokers: a period with two
    more brokers, and more activity, runs exactly the statements of the one before."""
    busy = (make_broker, make_asset, make_caller, make_consent, act, attempt, authority)
    start = now()
    first, *_ = await busy_broker(*busy)  # its refusals raise alerts: alerts in both periods
    await asyncio.sleep(0.01)
    middle = now()
    with count_statements(db.writer) as one:
        before = await act(broker.evaluate_brokers, authority.principal, start, middle)
    second, _, buyer, listing, output = await busy_broker(*busy)
    third, _ = await make_broker()
    own = await act(
        broker.list_product, third.principal, (await make_asset(third.org_id)).id, TERMS
    )
    await act(broker.match_deal, third.principal, broker.DealTerms(
        own.id, buyer.org_id, "SME credit scoring", "Loans", Decimal("10.00")))  # fmt: skip
    await asyncio.sleep(0.01)
    end = now()
    with count_statements(db.writer) as two:
        after = await act(broker.evaluate_brokers, authority.principal, middle, end)
    assert len(after.evaluations) == len(before.evaluations) + 2
    assert json.loads((await mine(before, first.org_id)).facts)["flows_recorded"] == "2"
    assert json.loads((await mine(after, second.org_id)).facts)["flows_recorded"] == "2"
    assert json.loads((await mine(after, third.org_id)).facts)["deals_matched"] == "1"
    assert {a.broker_id for a in before.alerts_raised} == {first.org_id}
    assert {a.broker_id for a in after.alerts_raised} == {second.org_id}
    assert len(two.statements) == len(one.statements), (one.statements, two.statements)


async def test_uses_after_revocation_grade_d(db, make_broker, make_consent, act, authority):
    start = now()
    caller, _ = await make_broker()
    person, granted = await make_consent(caller.org_id)
    async with db.transaction() as session:
        revoked = await consent.revoke_consent(session, person.principal, granted.id)
        # A use the gate would never allow, as an outside system might report it.
        session.add(
            consent.DataUse(
                consent_id=granted.id, subject=granted.subject, user_id=caller.org_id,
                item="certificate:BUSINESS_LICENCE", purpose=granted.purpose,
                outcome=consent.UseOutcome.ALLOWED, at=revoked.revoked_at + timedelta(seconds=1),
                ledger_seq=0,
            )
        )  # fmt: skip
    await asyncio.sleep(1.05)
    run = await act(broker.evaluate_brokers, authority.principal, start, now())
    evaluation = await mine(run, caller.org_id)
    assert evaluation.grade == "D"
    assert {a.rule for a in run.alerts_raised if a.broker_id == caller.org_id} == {
        broker.AlertRule.USE_AFTER_REVOCATION
    }


async def test_periods_and_permissions(db, make_broker, act, authority):
    caller, _ = await make_broker()
    at = now()
    for start, end, code in (
        (at, at - timedelta(days=1), "PERIOD_INVALID"),
        (at - timedelta(days=1), at + timedelta(days=1), "PERIOD_NOT_OVER"),
    ):
        with pytest.raises(UserError) as refused:
            await act(broker.evaluate_brokers, authority.principal, start, end)
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        await act(broker.evaluate_brokers, caller.principal, at - timedelta(days=1), at)
    start = now() - timedelta(seconds=5)
    await act(broker.evaluate_brokers, authority.principal, start, now())
    other, _ = await make_broker()
    async with db.read() as session:
        own = await broker.list_evaluations(
            session, caller.principal, period=None, grade=None, first=100, after=None
        )
        assert {e.broker_id for e in own.items} == {caller.org_id}
        with pytest.raises(Forbidden):
            firm = caller.principal.__class__("x", other.org_id, frozenset({Role.MARKET_ENTITY}))
            await broker.list_evaluations(
                session, firm, period=None, grade=None, first=10, after=None
            )


async def test_indicators_are_data_the_authority_changes(db, make_broker, act, authority):
    caller, _ = await make_broker()
    async with db.read() as session:
        indicators = await broker.list_indicators(session, caller.principal)
        grades = await broker.list_grades(session, caller.principal)
        with pytest.raises(Unauthenticated):
            await broker.list_grades(session, None)
    assert [i.code for i in indicators] == [d.code for d in DEFINITIONS]
    assert [g.grade for g in grades] == ["A", "B", "C", "D"]
    with pytest.raises(Forbidden):
        await act(broker.update_indicator, caller.principal, "DEALS_MATCHED", weight=Decimal(1))
    with pytest.raises(UserError) as bad:
        await act(broker.update_indicator, authority.principal, "DEALS_MATCHED", weight=Decimal(2))
    assert bad.value.code == "WEIGHT_INVALID"
    changed = await act(
        broker.update_indicator, authority.principal, "DEALS_MATCHED", parameter=Decimal(12)
    )
    assert changed.parameter == "12"
    restored = await act(
        broker.update_indicator, authority.principal, "DEALS_MATCHED", parameter=Decimal(10)
    )
    assert restored.parameter == "10"
    with pytest.raises(UserError) as same:
        await act(
            broker.update_indicator, authority.principal, "DEALS_MATCHED", parameter=Decimal(10)
        )
    assert same.value.code == "NOTHING_CHANGED"


async def test_concurrent_evaluations_of_one_period_queue(db, make_broker, act, authority):
    """Two runs of one period at once: the second waits for the first (the definitions are
    locked), so both succeed and the period keeps one result per broker."""
    caller, _ = await make_broker()
    start, end = now() - timedelta(hours=1), now()

    async def run():
        async with db.transaction() as session:
            return await broker.evaluate_brokers(session, authority.principal, start, end)

    first, second = await asyncio.gather(run(), run())
    assert first.ledger_seq != second.ledger_seq
    async with db.read() as session:
        page = await broker.list_evaluations(
            session, authority.principal, period=(start, end), grade=None, first=100, after=None
        )
    ids = [e.broker_id for e in page.items]
    assert ids.count(caller.org_id) == 1 and len(ids) == len(set(ids))


async def test_grade_thresholds_are_data_too(db, make_broker, act, authority):
    caller, _ = await make_broker()
    with pytest.raises(Forbidden):
        await act(broker.update_grade, caller.principal, "A", min_score=Decimal(90))
    for grade, score, code in (
        ("E", Decimal(10), "GRADE_NOT_FOUND"),
        ("A", Decimal(101), "MIN_SCORE_INVALID"),
        ("B", Decimal(90), "GRADES_OUT_OF_ORDER"),
        ("D", Decimal(0), "NOTHING_CHANGED"),
    ):
        with pytest.raises(UserError) as refused:
            await act(broker.update_grade, authority.principal, grade, min_score=score)
        assert refused.value.code == code
    moved = await act(broker.update_grade, authority.principal, "A", min_score=Decimal("90"))
    assert moved.min_score == "90"
    back = await act(broker.update_grade, authority.principal, "A", min_score=Decimal("85"))
    assert back.min_score == "85"


@pytest.mark.article(26)
async def test_each_evaluation_moves_the_licence_grade_to_its_latest_period(
    db, make_broker, act, authority
):
    """Issue 10 §8: the licence grade set at approval and the evaluation grade meet: each run
    moves the licence to its latest evaluated period's grade, and says so in its entry."""
    caller, licence = await make_broker()
    assert licence.grade is None  # approved without a grade
    t0 = now()
    await asyncio.sleep(0.01)
    t1 = now()
    first = await act(broker.evaluate_brokers, authority.principal, t0, t1)
    idle = (await mine(first, caller.org_id)).grade  # an idle broker: no deals, no flows
    assert idle == "C"
    async with db.read() as session:
        body = json.loads((await session.get(LedgerEntry, first.ledger_seq)).body)
        assert (await session.get(broker.BrokerLicence, licence.id)).grade == idle
    assert {"licence": str(licence.id), "broker": str(caller.org_id), "from": None,
            "to": idle} in body["licenceGrades"]  # fmt: skip
    await asyncio.sleep(0.01)
    t2 = now()
    second = await act(broker.evaluate_brokers, authority.principal, t1, t2)
    assert not [c for c in second.licences_regraded if c.licence_id == licence.id]  # unchanged
    # The authority grades the licence at a decision; an old period re-run does not move it,
    # the latest period re-run does.
    D = broker.LicenceDecisionKind
    await act(broker.decide_broker_licence, authority.principal, licence.id,
              decision=D.SUSPEND, reason="audit")  # fmt: skip
    await act(broker.decide_broker_licence, authority.principal, licence.id,
              decision=D.REINSTATE, reason="audit passed", grade="A")  # fmt: skip
    await act(broker.evaluate_brokers, authority.principal, t0, t1)
    async with db.read() as session:
        assert (await session.get(broker.BrokerLicence, licence.id)).grade == "A"
    latest = await act(broker.evaluate_brokers, authority.principal, t1, t2)
    [moved] = [c for c in latest.licences_regraded if c.licence_id == licence.id]
    assert (moved.before, moved.after) == ("A", idle)
    async with db.read() as session:
        assert (await session.get(broker.BrokerLicence, licence.id)).grade == idle


async def test_a_period_with_no_broker_is_refused_and_records_nothing(db, act, authority):
    """Issue 10 §7: no silent empty run, and no ledger entry for nothing."""
    async with db.read() as session:
        before = await session.scalar(sa.select(sa.func.max(LedgerEntry.seq)))
    start = datetime(2001, 1, 1, tzinfo=UTC)
    with pytest.raises(UserError) as refused:
        await act(broker.evaluate_brokers, authority.principal, start, start + timedelta(days=31))
    assert (refused.value.code, refused.value.field) == ("NO_BROKERS_IN_PERIOD", "period_end")
    async with db.read() as session:
        assert await session.scalar(sa.select(sa.func.max(LedgerEntry.seq))) == before
