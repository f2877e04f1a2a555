"""Fusion flows (Art. 24): each input with its basis, each consent through the gate, refused
with a specific code per missing basis; a refused flow changes nothing but the record of the
attempt; lineage upstream and downstream."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

import broker
import consent
from broker import FlowInputKind as K
from core.errors import Problem, UserError
from core.identity import Role
from core.models import OrganizationKind
from ledger.models import LedgerEntry
from registry.models import AssetKind, AssetStatus, ShareType

pytestmark = [pytest.mark.article(24), pytest.mark.article(26)]

ITEM = "certificate:BUSINESS_LICENCE"
PURPOSE = "SME credit scoring"


def resource_input(resource, basis=None):
    return broker.FlowInputSpec(
        kind=K.PUBLIC_RESOURCE, resource_code=resource.code,
        basis_asset_id=basis.id if basis else None,
    )  # fmt: skip


DATASET = broker.FlowInputSpec(
    kind=K.NON_PUBLIC_DATASET, dataset_name="Loan book", dataset_holder="Wuyi Rural Bank",
    legal_basis="Customer contracts, clause 7",
)  # fmt: skip


@pytest.fixture
async def setup(make_broker, make_caller, make_asset, make_resource):
    caller, licence = await make_broker()
    lender = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    output = await make_asset(caller.org_id)
    return caller, licence, lender, output


def spec(output, recipient, *inputs, consents=(), purpose=PURPOSE):
    return broker.FlowSpec(
        inputs=inputs, output_asset_id=output.id, recipients=(recipient.org_id,),
        purpose=purpose, scenario="Loan pre-approval", consents=tuple(consents),
    )  # fmt: skip


async def refusals(db, broker_id):
    async with db.read() as session:
        rows = await session.scalars(
            sa.select(broker.BrokerRefusal).where(broker.BrokerRefusal.broker_id == broker_id)
        )
        return list(rows)


async def flows_of(db, broker_id):
    async with db.read() as session:
        return (
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(broker.DataFlow)
                .where(broker.DataFlow.broker_id == broker_id)
            )
        ) or 0


async def test_a_flow_with_every_basis_is_recorded(
    db, setup, make_resource, make_asset, make_consent, authority, attempt
):
    caller, _, lender, output = setup
    open_resource = await make_resource(ShareType.UNCONDITIONAL)
    conditional = await make_resource(ShareType.CONDITIONAL)
    public = await make_asset(
        authority.org_id, kind=AssetKind.PUBLIC_DATA_ASSET, resources=(conditional.id,)
    )
    _, granted = await make_consent(caller.org_id)
    flow = await attempt(
        broker.record_data_flow,
        caller.principal,
        spec(
            output, lender, resource_input(open_resource), resource_input(conditional, public),
            DATASET, consents=[broker.ConsentRelied(granted.id, ITEM)],
        ),
    )  # fmt: skip
    async with db.read() as session:
        (inputs,) = await broker.inputs_of(session, [flow.id])
        (links,) = await broker.consents_of(session, caller.principal, [flow.id])
        (recipients_view,) = await broker.consents_of(session, lender.principal, [flow.id])
        entry = await session.get(LedgerEntry, flow.ledger_seq)
        uses = (await session.get(consent.Consent, granted.id)).uses
    assert [(i.kind, i.basis) for i in inputs] == [
        (K.PUBLIC_RESOURCE, broker.ResourceBasis.UNCONDITIONAL_SHARE),
        (K.PUBLIC_RESOURCE, broker.ResourceBasis.REGISTERED_PUBLIC_ASSET),
        (K.NON_PUBLIC_DATASET, None),
    ]
    assert inputs[1].asset_id == public.id
    assert [link.consent_id for link, _ in links] == [granted.id] and uses == 1
    assert recipients_view == []  # issue 10 §6: the recipient sees the flow, not the consents
    assert entry.kind == "broker.flow.recorded"
    body = json.loads(entry.body)
    assert body["flow"] == str(flow.id) and body["recipients"] == [str(lender.org_id)]
    assert len(json.loads(entry.subjects)) == 1  # the data subject, as a commitment


async def test_each_missing_basis_has_its_code(
    db, setup, make_resource, make_asset, authority, attempt
):
    caller, _, lender, output = setup
    hidden = await make_resource(ShareType.NOT_SHARED)
    conditional = await make_resource(ShareType.CONDITIONAL)
    other = await make_resource(ShareType.CONDITIONAL)
    unregistered = await make_asset(
        authority.org_id, kind=AssetKind.PUBLIC_DATA_ASSET, status=AssetStatus.PUBLIC_NOTICE,
        resources=(conditional.id,),
    )  # fmt: skip
    elsewhere = await make_asset(
        authority.org_id, kind=AssetKind.PUBLIC_DATA_ASSET, resources=(other.id,)
    )
    product = await make_asset(lender.org_id, resources=(conditional.id,))
    draft = await make_asset(lender.org_id, status=AssetStatus.DRAFT)
    cases = [
        (resource_input(hidden), "RESOURCE_NOT_SHARED"),
        (resource_input(conditional), "PUBLIC_BASIS_REQUIRED"),
        (resource_input(conditional, unregistered), "BASIS_ASSET_NOT_REGISTERED"),
        (resource_input(conditional, elsewhere), "BASIS_ASSET_MISMATCH"),
        (resource_input(conditional, product), "BASIS_ASSET_NOT_PUBLIC"),
        (broker.FlowInputSpec(K.NON_PUBLIC_DATASET, dataset_name="Loans", legal_basis="x"),
         "DATASET_HOLDER_REQUIRED"),
        (broker.FlowInputSpec(K.NON_PUBLIC_DATASET, dataset_name="Loans", dataset_holder="Bank"),
         "LEGAL_BASIS_REQUIRED"),
        (broker.FlowInputSpec(K.ASSET, asset_id=draft.id), "INPUT_ASSET_NOT_REGISTERED"),
    ]  # fmt: skip
    for given, code in cases:
        with pytest.raises(broker.Refused) as refused:
            await attempt(
                broker.record_data_flow, caller.principal, spec(output, lender, given, DATASET)
            )
        assert refused.value.code == code
        assert refused.value.field == "inputs[0]." + {
            "DATASET_HOLDER_REQUIRED": "dataset_holder", "LEGAL_BASIS_REQUIRED": "legal_basis",
            "RESOURCE_NOT_SHARED": "resource", "INPUT_ASSET_NOT_REGISTERED": "asset_id",
        }.get(code, "basis_asset")  # fmt: skip
    assert await flows_of(db, caller.org_id) == 0
    recorded = await refusals(db, caller.org_id)
    assert len(recorded) == len(cases)
    assert {r.kind for r in recorded} == {broker.RefusalKind.FLOW_BASIS_MISSING}


async def test_malformed_input_is_a_plain_user_error(db, setup, make_asset, attempt):
    caller, _, lender, output = setup
    with pytest.raises(UserError) as problems:
        await attempt(
            broker.record_data_flow,
            caller.principal,
            spec(output, lender, broker.FlowInputSpec(K.PUBLIC_RESOURCE, resource_code="NOPE"),
                 purpose=" "),
        )  # fmt: skip
    assert not isinstance(problems.value, broker.Refused)
    assert {p.code for p in problems.value.problems} == {"PURPOSE_REQUIRED", "RESOURCE_NOT_FOUND"}
    foreign = await make_asset(lender.org_id)
    with pytest.raises(UserError) as output_problems:
        await attempt(
            broker.record_data_flow,
            caller.principal,
            broker.FlowSpec(
                inputs=(DATASET,), output_asset_id=foreign.id, recipients=(),
                purpose=PURPOSE, scenario="Loan pre-approval",
            ),
        )  # fmt: skip
    assert {p.code for p in output_problems.value.problems} == {
        "RECIPIENTS_REQUIRED", "OUTPUT_NOT_OFFERABLE",
    }  # fmt: skip
    assert await refusals(db, caller.org_id) == []  # malformed input is not a supervised fact


@pytest.mark.article(27)
async def test_denied_consents_refuse_the_flow_and_change_nothing_else(
    db, setup, make_consent, make_caller, attempt, authority
):
    caller, _, lender, output = setup
    _, good = await make_consent(caller.org_id)
    person, revoked = await make_consent(caller.org_id)
    async with db.transaction() as session:
        await consent.revoke_consent(session, person.principal, revoked.id, reason="changed mind")
    _, wrong_purpose = await make_consent(caller.org_id, purpose="Marketing")
    relied = [
        broker.ConsentRelied(good.id, ITEM),
        broker.ConsentRelied(revoked.id, ITEM),
        broker.ConsentRelied(wrong_purpose.id, ITEM),
        broker.ConsentRelied(good.id, "certificate:MEDICAL_RECORD"),
    ]
    with pytest.raises(broker.Refused) as refused:
        await attempt(
            broker.record_data_flow,
            caller.principal,
            spec(output, lender, DATASET, consents=relied),
        )
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("CONSENT_REVOKED", "consents[1]"),
        ("CONSENT_PURPOSE_MISMATCH", "consents[2]"),
        ("CONSENT_OUT_OF_SCOPE", "consents[3]"),
    ]
    assert "REVOKED" in refused.value.problems[0].message
    async with db.read() as session:
        uses = (await session.get(consent.Consent, good.id)).uses
        outcomes = (
            await session.execute(
                sa.select(consent.DataUse.outcome, consent.DataUse.reason).where(
                    consent.DataUse.user_id == caller.org_id
                )
            )
        ).all()
    assert uses == 0  # the allowed check rolled back with the flow
    assert sorted(r.value for _, r in outcomes) == [
        "OUT_OF_SCOPE",
        "PURPOSE_MISMATCH",
        "REVOKED",
    ]  # fmt: skip — the denials stay on record, where the consent domain keeps them
    assert await flows_of(db, caller.org_id) == 0
    [row] = await refusals(db, caller.org_id)
    assert row.kind is broker.RefusalKind.CONSENT_DENIED
    with pytest.raises(UserError) as unknown:
        await attempt(
            broker.record_data_flow,
            caller.principal,
            spec(output, lender, DATASET, consents=[broker.ConsentRelied(output.id, ITEM)]),
        )
    assert (unknown.value.code, unknown.value.field) == ("CONSENT_NOT_FOUND", "consents[0]")
    # Issue 10 §6: a consent granted to someone else is, to this broker, no consent at all.
    _, someone_elses = await make_consent(lender.org_id)
    with pytest.raises(UserError) as hidden:
        await attempt(
            broker.record_data_flow,
            caller.principal,
            spec(output, lender, DATASET, consents=[broker.ConsentRelied(someone_elses.id, ITEM)]),
        )
    assert (hidden.value.code, hidden.value.field) == ("CONSENT_NOT_FOUND", "consents[0]")
    async with db.read() as session:
        against_it = await session.scalar(
            sa.select(sa.func.count()).where(consent.DataUse.consent_id == someone_elses.id)
        )
    assert against_it == 0


async def test_a_suspended_broker_records_no_flow_but_the_attempt(
    db, setup, attempt, act, authority
):
    caller, licence, lender, output = setup
    await act(
        broker.decide_broker_licence, authority.principal, licence.id,
        decision=broker.LicenceDecisionKind.SUSPEND, reason="audit",
    )  # fmt: skip
    with pytest.raises(broker.Refused) as refused:
        await attempt(broker.record_data_flow, caller.principal, spec(output, lender, DATASET))
    assert refused.value.code == "LICENCE_SUSPENDED"
    [row] = await refusals(db, caller.org_id)
    assert row.licence_status is broker.LicenceStatus.SUSPENDED
    assert row.action == "record_data_flow" and await flows_of(db, caller.org_id) == 0


async def test_lineage_upstream_and_downstream(
    db, setup, make_resource, make_asset, authority, make_caller, attempt
):
    caller, _, lender, product = setup
    conditional = await make_resource(ShareType.CONDITIONAL)
    public = await make_asset(
        authority.org_id, kind=AssetKind.PUBLIC_DATA_ASSET, resources=(conditional.id,)
    )
    derived = await make_asset(caller.org_id)
    first = await attempt(
        broker.record_data_flow,
        caller.principal,
        spec(product, lender, resource_input(conditional, public), DATASET),
    )
    second = await attempt(
        broker.record_data_flow,
        caller.principal,
        spec(derived, lender, broker.FlowInputSpec(K.ASSET, asset_id=product.id), DATASET),
    )
    async with db.read() as session:
        of_product = await broker.data_lineage(session, authority.principal, product.id)
        of_public = await broker.data_lineage(session, authority.principal, public.id)
        of_derived = await broker.data_lineage(session, caller.principal, derived.id)
        stranger = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
        hidden = await broker.data_lineage(session, stranger.principal, derived.id)
        as_recipient = await broker.data_lineage(session, lender.principal, derived.id)
        (seen_by_stranger,) = await broker.get_flows(session, stranger.principal, [first.id])
    assert [f.id for f in of_product.upstream] == [first.id]
    assert [f.id for f in of_product.downstream] == [second.id]
    assert [f.id for f in of_public.downstream] == [first.id, second.id]
    assert of_public.upstream == []
    assert [f.id for f in of_derived.upstream] == [first.id, second.id]
    assert hidden.upstream == [] and seen_by_stranger is None
    assert len(as_recipient.upstream) == 2


@pytest.mark.article(27)
async def test_a_replay_the_gate_would_now_allow_is_not_recorded_as_a_use(db, setup, make_consent):
    """Should a denied consent have become usable between the refused flow and the recording
    of its refusal, the replay would pass: `ReplayAllowed` rolls it back, and the refusal is
    recorded without it."""
    caller, _, _, _ = setup
    _, granted = await make_consent(caller.org_id)
    refused = broker.Refused(
        [Problem("CONSENT_NOT_YET_VALID", "not yet")],
        broker_id=caller.org_id, kind=broker.RefusalKind.CONSENT_DENIED,
        action="record_data_flow", denied=[(granted.id, ITEM, PURPOSE)],
    )  # fmt: skip
    with pytest.raises(broker.ReplayAllowed):
        async with db.transaction() as session:
            await broker.record_refusal(session, caller.principal, refused)
    async with db.transaction() as session:
        await broker.record_refusal(session, caller.principal, refused, replay=False)
    async with db.read() as session:
        uses = (await session.get(consent.Consent, granted.id)).uses
        recorded = await session.scalar(
            sa.select(sa.func.count())
            .select_from(consent.DataUse)
            .where(consent.DataUse.consent_id == granted.id)
        )
    assert uses == 0 and recorded == 0
    assert [r.kind for r in await refusals(db, caller.org_id)] == [
        broker.RefusalKind.CONSENT_DENIED
    ]
    # The refusal's after-rollback step (`record_refused`, what `core.usecase.run` runs for
    # the API, the demo and tests) takes both steps by itself; and so when the replay is
    # malformed (a consent no longer found) rather than allowed.
    vanished = broker.Refused(
        [Problem("CONSENT_REVOKED", "revoked")],
        broker_id=caller.org_id, kind=broker.RefusalKind.CONSENT_DENIED,
        action="record_data_flow", denied=[(uuid.uuid4(), ITEM, PURPOSE)],
    )  # fmt: skip
    for refusal in (refused, vanished):
        row = await refusal.after_rollback(db, caller.principal)
        assert (row.broker_id, row.kind, row.codes) == (
            caller.org_id, broker.RefusalKind.CONSENT_DENIED, refusal.code,
        )  # fmt: skip
    async with db.read() as session:
        uses = (await session.get(consent.Consent, granted.id)).uses
        recorded = await session.scalar(
            sa.select(sa.func.count())
            .select_from(consent.DataUse)
            .where(consent.DataUse.user_id == caller.org_id)
        )
    assert uses == 0 and recorded == 0
    assert len(await refusals(db, caller.org_id)) == 3
