"""Quality assessment and valuation of registered assets (Art. 25), stored and recorded.

The arithmetic lives in `valuation.py` (pure); this module checks who may appraise, stores
the inputs and result so anyone can re-run them, and appends the ledger fact.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

import ledger
from core.batching import fetch_children, one_each
from core.db import AsyncSession
from core.errors import Forbidden, UserError
from core.identity import Principal, Role, require
from registry.errors import Code
from registry.models import Asset, AssetStatus, AssetValuation, QualityAssessment
from registry.valuation import (
    CostInputs,
    IncomeInputs,
    MarketInputs,
    QualityScores,
    QualityWeights,
    appraise,
    quality_score,
)

APPRAISERS = (Role.AUTHORITY, Role.AGENCY, Role.MARKET_ENTITY, Role.BROKER, Role.AUDITOR)


def jsonable(value: Any) -> Any:
    """Inputs as JSON: dataclasses become objects (cash flows keep their `form`), numbers
    become strings so no float ever stands in for money."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        form = getattr(type(value), "form", None)
        return {"form": form, **data} if isinstance(form, str) else data
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    return value


async def _appraisable(session: AsyncSession, actor: Principal, asset_id: uuid.UUID) -> Asset:
    """The authority, auditors and the holder appraise; never a draft nobody else can see."""
    asset = await session.get(Asset, asset_id)
    if asset is None:
        raise UserError(Code.ASSET_NOT_FOUND, "No such asset.", "asset_id")
    if not actor.has(Role.AUTHORITY, Role.AUDITOR) and actor.organization_id != asset.holder_id:
        raise Forbidden("Only the holder, the data authority or an auditor appraises an asset.")
    if asset.status in (AssetStatus.CANCELLED, AssetStatus.REJECTED):
        raise UserError(
            Code.ASSET_STATUS_INVALID, f"The asset is {asset.status.value}.", "asset_id"
        )
    return asset


# Art. 25: an asset's quality is assessed (GB/T 36344) before it is valued
async def assess_quality(
    session: AsyncSession,
    actor: Principal | None,
    asset_id: uuid.UUID,
    scores: QualityScores,
    weights: QualityWeights,
) -> QualityAssessment:
    """GB/T 36344: six scores in [0, 1], weights summing to 1; the weighted sum is stored."""
    actor = require(actor, *APPRAISERS)
    asset = await _appraisable(session, actor, asset_id)
    overall = quality_score(scores, weights)
    assessment = QualityAssessment(
        asset_id=asset.id,
        scores=json.dumps(jsonable(scores), sort_keys=True),
        weights=json.dumps(jsonable(weights), sort_keys=True),
        overall=str(overall),
        assessor_id=actor.organization_id,
    )
    session.add(assessment)
    await session.flush()
    await ledger.append(
        session, ledger.Kind.ASSET_QUALITY_ASSESSED, actor,
        {"asset": str(asset.id), "scores": jsonable(scores), "weights": jsonable(weights),
         "overall": str(overall)},
        parties=[asset.holder_id],
    )  # fmt: skip
    return assessment


# Art. 25: assets are valued by the cost, income or market method, reproducibly
async def appraise_asset(
    session: AsyncSession,
    actor: Principal | None,
    asset_id: uuid.UUID,
    method: str,
    inputs: CostInputs | IncomeInputs | MarketInputs,
) -> AssetValuation:
    """Art. 25: value an asset by the cost, income or market method, reproducibly."""
    actor = require(actor, *APPRAISERS)
    asset = await _appraisable(session, actor, asset_id)
    result = appraise(method, inputs)
    recorded_inputs = jsonable(inputs)
    entry = await ledger.append(
        session, ledger.Kind.ASSET_APPRAISED, actor,
        {"asset": str(asset.id), "method": result.method.value, "value": str(result.value),
         "inputs": recorded_inputs},
        parties=[asset.holder_id],
    )  # fmt: skip
    valuation = AssetValuation(
        asset_id=asset.id,
        method=result.method.value,
        inputs=json.dumps(recorded_inputs, sort_keys=True),
        value=result.value,
        breakdown=json.dumps(result.breakdown, sort_keys=True),
        valuer_id=actor.organization_id,
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry.stamp(valuation)
    session.add(valuation)
    await session.flush()
    return valuation


async def valuations_of(
    session: AsyncSession, asset_ids: Sequence[uuid.UUID]
) -> list[list[AssetValuation]]:
    """Each asset's valuations, newest first: a DataLoader batch."""
    return await fetch_children(
        session,
        AssetValuation.asset_id,
        asset_ids,
        order_by=(AssetValuation.valued_at.desc(), AssetValuation.ledger_seq.desc()),
    )


# Newest first; of two valued at one instant, the later ledger entry.
LATEST_VALUATION_FIRST = (AssetValuation.valued_at.desc(), AssetValuation.ledger_seq.desc())


async def current_valuations(
    session: AsyncSession, asset_ids: Sequence[uuid.UUID]
) -> list[AssetValuation | None]:
    """Each asset's latest valuation only: a page of assets needs one row each, not all."""
    newest_first = (
        sa.func.row_number()
        .over(
            partition_by=AssetValuation.asset_id,
            order_by=LATEST_VALUATION_FIRST,
        )
        .label("rank")
    )
    ranked = (
        sa.select(AssetValuation.id, newest_first)
        .where(AssetValuation.asset_id.in_(set(asset_ids)))
        .subquery()
    )
    result = await session.execute(
        sa.select(AssetValuation)
        .join(ranked, ranked.c.id == AssetValuation.id)
        .where(ranked.c.rank == 1)
    )
    return one_each(asset_ids, result.scalars(), lambda valuation: valuation.asset_id)


async def assessments_of(
    session: AsyncSession, asset_ids: Sequence[uuid.UUID]
) -> list[list[QualityAssessment]]:
    return await fetch_children(
        session,
        QualityAssessment.asset_id,
        asset_ids,
        order_by=(QualityAssessment.assessed_at.desc(),),
    )
