"""Recorded data fusion flows (Art. 24): every fusion of public with non-public data a broker
makes is a trusted, scenario-based chain — each input with the basis that allows it, each
consent relied on passed through the consent gate at the time, the output, recipients,
purpose and scenario — stored and appended to the ledger.

Refusals for a missing basis or a denied consent are `Refused` errors (see
`broker.refusals` for how the attempt is still counted while the flow changes nothing).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

import ledger
from broker.errors import Code
from broker.licences import require_licensed
from broker.listings import may_offer
from broker.models import (
    DataFlow,
    DataFlowConsent,
    DataFlowInput,
    FlowInputKind,
    RefusalKind,
    ResourceBasis,
)
from broker.refusals import Refused
from consent import Consent, DataUse, DenialReason, UseOutcome, authorize_data_use
from consent import visible_to as consent_visible_to
from core.batching import fetch_by_ids, fetch_children, many_each
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from registry import Asset, AssetKind, AssetSource, AssetStatus, ShareType, find_resource

LINEAGE_DEPTH = 10  # hops followed each way by `data_lineage`


@dataclass(frozen=True)
class FlowInputSpec:
    """A public resource (by code, with an optional registered public asset as its basis), a
    non-public dataset (name, holder, legal basis), or a REGISTERED asset."""

    kind: FlowInputKind
    resource_code: str | None = None
    basis_asset_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    dataset_name: str = ""
    dataset_holder: str = ""
    legal_basis: str = ""


@dataclass(frozen=True)
class ConsentRelied:
    consent_id: uuid.UUID
    item: str  # "item:<code>" or "certificate:<TYPE>", as the consent gate takes it


@dataclass(frozen=True)
class FlowSpec:
    inputs: tuple[FlowInputSpec, ...]
    output_asset_id: uuid.UUID
    recipients: tuple[uuid.UUID, ...]
    purpose: str
    scenario: str
    consents: tuple[ConsentRelied, ...] = field(default=())


@dataclass
class _Checked:
    rows: list[DataFlowInput]
    malformed: list[Problem]
    basis: list[Problem]


async def _check_inputs(session: AsyncSession, inputs: Sequence[FlowInputSpec]) -> _Checked:
    checked = _Checked([], [], [])
    for i, spec in enumerate(inputs):
        at = f"inputs[{i}]"
        row = DataFlowInput(flow_id=uuid.uuid4(), position=i, kind=spec.kind)
        if spec.kind is FlowInputKind.PUBLIC_RESOURCE:
            await _check_resource(session, spec, row, at, checked)
        elif spec.kind is FlowInputKind.NON_PUBLIC_DATASET:
            row.dataset_name = spec.dataset_name.strip()
            row.dataset_holder = spec.dataset_holder.strip()
            row.legal_basis = spec.legal_basis.strip()
            if not row.dataset_name:
                checked.malformed.append(
                    Problem(Code.DATASET_NAME_REQUIRED, "Name the dataset.", f"{at}.dataset_name")
                )
            if not row.dataset_holder:
                checked.basis.append(
                    Problem(
                        Code.DATASET_HOLDER_REQUIRED,
                        "A non-public dataset needs its holder.",
                        f"{at}.dataset_holder",
                    )
                )
            if not row.legal_basis:
                checked.basis.append(
                    Problem(
                        Code.LEGAL_BASIS_REQUIRED,
                        "A non-public dataset needs the legal basis for using it.",
                        f"{at}.legal_basis",
                    )
                )
        else:
            asset = await session.get(Asset, spec.asset_id) if spec.asset_id else None
            if asset is None:
                checked.malformed.append(
                    Problem(Code.ASSET_NOT_FOUND, "Name an asset as the input.", f"{at}.asset_id")
                )
            elif asset.status is not AssetStatus.REGISTERED:
                checked.basis.append(
                    Problem(
                        Code.INPUT_ASSET_NOT_REGISTERED,
                        f"An asset enters a flow once REGISTERED; it is {asset.status.value}.",
                        f"{at}.asset_id",
                    )
                )
            row.asset_id = spec.asset_id
        checked.rows.append(row)
    return checked


async def _check_resource(
    session: AsyncSession, spec: FlowInputSpec, row: DataFlowInput, at: str, checked: _Checked
) -> None:
    code = (spec.resource_code or "").strip()
    resource = await find_resource(session, code) if code else None
    if resource is None:
        checked.malformed.append(
            Problem(Code.RESOURCE_NOT_FOUND, f"No catalogue resource {code!r}.", f"{at}.resource")
        )
        return
    row.resource_id = resource.id
    if resource.share_type is ShareType.NOT_SHARED:
        checked.basis.append(
            Problem(
                Code.RESOURCE_NOT_SHARED,
                f"{resource.code} is NOT_SHARED ({resource.share_legal_basis or 'by law'}); it "
                "cannot enter a flow.",
                f"{at}.resource",
            )
        )
        return
    if spec.basis_asset_id is not None:
        asset = await session.get(Asset, spec.basis_asset_id)
        problem = None
        if asset is None:
            problem = Problem(Code.BASIS_ASSET_NOT_FOUND, "No such asset.", f"{at}.basis_asset")
        elif asset.kind is not AssetKind.PUBLIC_DATA_ASSET:
            problem = Problem(
                Code.BASIS_ASSET_NOT_PUBLIC,
                "The basis of a public resource is a registered public data asset.",
                f"{at}.basis_asset",
            )
        elif asset.status is not AssetStatus.REGISTERED:
            problem = Problem(
                Code.BASIS_ASSET_NOT_REGISTERED,
                f"The public data asset is {asset.status.value}, not REGISTERED.",
                f"{at}.basis_asset",
            )
        else:
            covered = await session.scalar(
                sa.select(AssetSource.id).where(
                    AssetSource.asset_id == asset.id, AssetSource.resource_id == resource.id
                )
            )
            if covered is None:
                problem = Problem(
                    Code.BASIS_ASSET_MISMATCH,
                    f"The public data asset does not cover {resource.code}.",
                    f"{at}.basis_asset",
                )
        if problem is not None:
            checked.basis.append(problem)
            return
        row.basis, row.asset_id = ResourceBasis.REGISTERED_PUBLIC_ASSET, spec.basis_asset_id
    elif resource.share_type is ShareType.UNCONDITIONAL:
        row.basis = ResourceBasis.UNCONDITIONAL_SHARE
    else:
        checked.basis.append(
            Problem(
                Code.PUBLIC_BASIS_REQUIRED,
                f"{resource.code} is shared CONDITIONALLY: name the registered public data asset "
                "that allows its use.",
                f"{at}.basis_asset",
            )
        )


# What a denial by the consent gate is called in a refused flow's userErrors.
_DENIAL_CODES = {
    DenialReason.REVOKED: Code.CONSENT_REVOKED,
    DenialReason.EXPIRED: Code.CONSENT_EXPIRED,
    DenialReason.NOT_YET_VALID: Code.CONSENT_NOT_YET_VALID,
    DenialReason.OUT_OF_SCOPE: Code.CONSENT_OUT_OF_SCOPE,
    DenialReason.PURPOSE_MISMATCH: Code.CONSENT_PURPOSE_MISMATCH,
    DenialReason.EXHAUSTED: Code.CONSENT_EXHAUSTED,
    DenialReason.FREQUENCY_EXCEEDED: Code.CONSENT_FREQUENCY_EXCEEDED,
    DenialReason.NOT_GRANTEE: Code.CONSENT_NOT_GRANTEE,
}


# Art. 24: each fusion of public with non-public data is a recorded flow with its basis
async def record_data_flow(
    session: AsyncSession, actor: Principal | None, spec: FlowSpec
) -> DataFlow:
    """Check the licence, the request and every input's basis; pass each consent through the
    gate; then record the flow, its inputs and consents, and its ledger entry."""
    actor, _ = await require_licensed(session, actor, "record_data_flow")
    broker_id = actor.organization_id
    assert broker_id is not None
    purpose = " ".join(spec.purpose.split())
    malformed = _request_problems(spec, purpose)
    checked = await _check_inputs(session, spec.inputs)
    malformed += checked.malformed
    output, problems = await _check_output(session, broker_id, spec.output_asset_id)
    malformed += problems
    recipients, problems = await _check_recipients(session, spec.recipients)
    malformed += problems
    _refuse_without_basis(checked, malformed, broker_id)
    if malformed:
        raise UserError.of(malformed)
    assert output is not None
    uses = await _pass_consent_gate(session, actor, broker_id, spec.consents, purpose)
    return await _record_flow(session, actor, spec, purpose, output, recipients, checked, uses)


def _request_problems(spec: FlowSpec, purpose: str) -> list[Problem]:
    """A purpose (1-200 characters), a scenario, at least one input and one recipient."""
    problems = []
    if not purpose or len(purpose) > 200:
        problems.append(Problem(Code.PURPOSE_REQUIRED, "Say what the flow is for.", "purpose"))
    if not spec.scenario.strip():
        problems.append(
            Problem(Code.SCENARIO_REQUIRED, "Name the application scenario.", "scenario")
        )
    if not spec.inputs:
        problems.append(Problem(Code.INPUTS_REQUIRED, "A flow has at least one input.", "inputs"))
    if not spec.recipients:
        problems.append(
            Problem(Code.RECIPIENTS_REQUIRED, "Name who receives the output.", "recipients")
        )
    return problems


async def _check_output(
    session: AsyncSession, broker_id: uuid.UUID, asset_id: uuid.UUID
) -> tuple[Asset | None, list[Problem]]:
    """The output is a product the broker may offer (its own or entrusted to it)."""
    output = await session.get(Asset, asset_id)
    if output is None:
        return None, [Problem(Code.ASSET_NOT_FOUND, "No such output asset.", "output_asset_id")]
    if not await may_offer(session, broker_id, output):
        return output, [
            Problem(
                Code.OUTPUT_NOT_OFFERABLE,
                "The output is a product your organisation holds or was entrusted with.",
                "output_asset_id",
            )
        ]
    return output, []


async def _check_recipients(
    session: AsyncSession, given: Sequence[uuid.UUID]
) -> tuple[list[uuid.UUID], list[Problem]]:
    """The recipients, each once and sorted; every one an organisation of the exchange."""
    recipients = sorted(set(given))
    if not recipients:
        return recipients, []
    found = set(
        (
            await session.scalars(sa.select(Organization.id).where(Organization.id.in_(recipients)))
        ).all()
    )
    if missing := [r for r in recipients if r not in found]:
        return recipients, [
            Problem(Code.RECIPIENT_NOT_FOUND, f"No organisation {missing[0]}.", "recipients")
        ]
    return recipients, []


# Art. 24: a flow without its legal basis (grant, licence or consent) is refused
def _refuse_without_basis(
    checked: _Checked, malformed: list[Problem], broker_id: uuid.UUID
) -> None:
    if checked.basis:
        # A missing legal basis is counted even when the input is also malformed elsewhere.
        raise Refused(
            checked.basis + malformed,
            broker_id=broker_id,
            kind=RefusalKind.FLOW_BASIS_MISSING,
            action="record_data_flow",
        )


# Art. 27: personal data fused into a flow passes the subject's consent gate
async def _pass_consent_gate(
    session: AsyncSession,
    actor: Principal,
    broker_id: uuid.UUID,
    consents: Sequence[ConsentRelied],
    purpose: str,
) -> list[tuple[ConsentRelied, DataUse]]:
    """Each consent relied on, through the gate (every use recorded, allowed or denied); a
    denial refuses the flow, counted for supervision."""
    uses: list[tuple[ConsentRelied, DataUse]] = []
    denied: list[Problem] = []
    for i, relied in enumerate(consents):
        try:
            use = await authorize_data_use(
                session, actor, consent_id=relied.consent_id, item=relied.item, purpose=purpose
            )
        except UserError as error:
            problem = error.problems[0]
            raise UserError(problem.code, problem.message, f"consents[{i}]") from error
        if use.outcome is UseOutcome.DENIED:
            assert use.reason is not None
            denied.append(
                Problem(
                    _DENIAL_CODES[use.reason],
                    f"The consent does not allow this use: {use.reason.value}.",
                    f"consents[{i}]",
                )
            )
        uses.append((relied, use))
    if denied:
        raise Refused(
            denied,
            broker_id=broker_id,
            kind=RefusalKind.CONSENT_DENIED,
            action="record_data_flow",
            denied=[
                (relied.consent_id, relied.item, purpose)
                for relied, use in uses
                if use.outcome is UseOutcome.DENIED
            ],
        )
    return uses


async def _record_flow(
    session: AsyncSession,
    actor: Principal,
    spec: FlowSpec,
    purpose: str,
    output: Asset,
    recipients: list[uuid.UUID],
    checked: _Checked,
    uses: list[tuple[ConsentRelied, DataUse]],
) -> DataFlow:
    """The flow, its inputs and consents, and its ledger entry (parties: the broker, the
    output's holder and the recipients; subjects: those whose consents were used)."""
    broker_id = actor.organization_id
    assert broker_id is not None
    flow = DataFlow(
        broker_id=broker_id,
        output_asset_id=output.id,
        purpose=purpose,
        scenario=spec.scenario.strip(),
        recipients=json.dumps([str(r) for r in recipients]),
        recorded_at=now(),
        ledger_seq=ledger.UNSEQUENCED,
    )
    for row in checked.rows:
        row.flow_id = flow.id
    subjects = sorted({use.subject for _, use in uses})
    entry = await ledger.append(
        session,
        ledger.Kind.FLOW_RECORDED,
        actor,
        {
            "flow": str(flow.id),
            "purpose": purpose,
            "scenario": flow.scenario,
            "output": str(output.id),
            "recipients": [str(r) for r in recipients],
            "inputs": [_input_fact(row) for row in checked.rows],
            "consentUses": [str(use.id) for _, use in uses],
        },
        subjects=subjects,
        parties=[broker_id, output.holder_id, *recipients],
    )
    entry.stamp(flow)
    session.add(flow)
    await session.flush()
    session.add_all(checked.rows)
    session.add_all(
        DataFlowConsent(flow_id=flow.id, consent_id=relied.consent_id, item=use.item, use_id=use.id)
        for relied, use in uses
    )
    await session.flush()
    return flow


def _input_fact(row: DataFlowInput) -> dict[str, object]:
    return {
        "kind": row.kind.value,
        "resource": str(row.resource_id) if row.resource_id else None,
        "basis": row.basis.value if row.basis else None,
        "asset": str(row.asset_id) if row.asset_id else None,
        "dataset": row.dataset_name or None,
        "holder": row.dataset_holder or None,
        "legalBasis": row.legal_basis or None,
    }


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """The authority and auditors see every flow; the broker its own; a recipient those it
    received."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is None:
        return sa.false()
    org = str(actor.organization_id)
    return sa.or_(DataFlow.broker_id == actor.organization_id, DataFlow.recipients.contains(org))


async def get_flows(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[DataFlow | None]:
    return await fetch_by_ids(session, DataFlow, ids, visible_to(actor))


async def inputs_of(
    session: AsyncSession, flow_ids: Sequence[uuid.UUID]
) -> list[list[DataFlowInput]]:
    return await fetch_children(
        session, DataFlowInput.flow_id, flow_ids, order_by=(DataFlowInput.position,)
    )


async def consents_of(
    session: AsyncSession, actor: Principal | None, flow_ids: Sequence[uuid.UUID]
) -> list[list[tuple[DataFlowConsent, Consent]]]:
    """The consents each flow relied on, as far as `actor` may see them (the consent's
    subject and grantee, the authority, auditors): a flow's recipient sees the flow, not the
    consents granted to the broker."""
    result = await session.execute(
        sa.select(DataFlowConsent, Consent)
        .join(Consent, Consent.id == DataFlowConsent.consent_id)
        .where(DataFlowConsent.flow_id.in_(set(flow_ids)), consent_visible_to(actor))
    )
    return many_each(flow_ids, [tuple(r) for r in result.all()], lambda row: row[0].flow_id)


@dataclass(frozen=True)
class Lineage:
    asset_id: uuid.UUID
    upstream: list[DataFlow]  # flows that produced the asset, and what produced their inputs
    downstream: list[DataFlow]  # flows the asset went into, and where their outputs went


# Art. 24: the circulation chain of an asset, upstream and downstream
async def data_lineage(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID
) -> Lineage:
    """The flows upstream and downstream of an asset, breadth first, up to LINEAGE_DEPTH hops
    each way (one or two statements per hop), as far as the caller may see flows."""
    actor = require(actor)
    if await session.get(Asset, asset_id) is None:
        raise UserError(Code.ASSET_NOT_FOUND, "No such asset.", "asset_id")
    seen = visible_to(actor)
    upstream: dict[uuid.UUID, DataFlow] = {}
    frontier, reached = {asset_id}, {asset_id}
    for _ in range(LINEAGE_DEPTH):
        flows = (
            await session.scalars(
                sa.select(DataFlow).where(DataFlow.output_asset_id.in_(frontier), seen)
            )
        ).all()
        new = [f for f in flows if f.id not in upstream]
        if not new:
            break
        upstream.update((f.id, f) for f in new)
        sources = set(
            (
                await session.scalars(
                    sa.select(DataFlowInput.asset_id).where(
                        DataFlowInput.flow_id.in_([f.id for f in new]),
                        DataFlowInput.asset_id.is_not(None),
                    )
                )
            ).all()
        )
        frontier = sources - reached
        reached |= frontier
        if not frontier:
            break
    downstream: dict[uuid.UUID, DataFlow] = {}
    frontier, reached = {asset_id}, {asset_id}
    for _ in range(LINEAGE_DEPTH):
        flows = (
            await session.scalars(
                sa.select(DataFlow)
                .join(DataFlowInput, DataFlowInput.flow_id == DataFlow.id)
                .where(DataFlowInput.asset_id.in_(frontier), seen)
                .distinct()
            )
        ).all()
        new = [f for f in flows if f.id not in downstream]
        if not new:
            break
        downstream.update((f.id, f) for f in new)
        frontier = {f.output_asset_id for f in new} - reached
        reached |= frontier
        if not frontier:
            break

    def ordered(flows: dict[uuid.UUID, DataFlow]) -> list[DataFlow]:
        return sorted(flows.values(), key=lambda f: (f.recorded_at, f.ledger_seq))

    return Lineage(asset_id, ordered(upstream), ordered(downstream))
