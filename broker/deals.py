"""Deals (Art. 26): the broker matches a buyer to a listing, the buyer confirms, the broker
records delivery; either side cancels before delivery. The moves allowed are
`DEAL_TRANSITIONS` in models.py; a broker whose licence is not LICENSED now can do none of
this, and a buyer cannot confirm a deal of such a broker (it may still cancel)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

import ledger
from broker.errors import Code
from broker.licences import is_licensed, require_licensed
from broker.listings import licenses_purpose
from broker.models import DEAL_TRANSITIONS, Deal, DealStatus, Listing, ListingStatus
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.pagination import Page, paginate
from core.sqltypes import to_money
from registry import Asset, AssetStatus


@dataclass(frozen=True)
class DealTerms:
    listing_id: uuid.UUID
    buyer_id: uuid.UUID
    purpose: str
    scenario: str
    price: Decimal


def _move(deal: Deal, to: DealStatus) -> None:
    if to not in DEAL_TRANSITIONS[deal.status]:
        raise UserError(
            Code.DEAL_STATUS_INVALID,
            f"A deal that is {deal.status.value} cannot become {to.value}.",
            "id",
        )
    deal.status = to


async def _fact(
    session: AsyncSession, actor: Principal, deal: Deal, kind: ledger.Kind, **body: object
) -> None:
    await ledger.append(
        session,
        kind,
        actor,
        {
            "deal": str(deal.id),
            "listing": str(deal.listing_id),
            "status": deal.status.value,
            "price": str(deal.price),
            **body,
        },
        parties=[deal.broker_id, deal.buyer_id],
    )


async def _locked(session: AsyncSession, deal_id: uuid.UUID) -> Deal:
    deal = await session.scalar(
        sa.select(Deal)
        .where(Deal.id == deal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if deal is None:
        raise UserError(Code.DEAL_NOT_FOUND, "No such deal.", "id")
    return deal


# Art. 26: brokers match buyers to listed data (撮合)
async def match_deal(session: AsyncSession, actor: Principal | None, terms: DealTerms) -> Deal:
    actor, _ = await require_licensed(session, actor, "match_deal")
    problems = []
    purpose = " ".join(terms.purpose.split())
    if not purpose or len(purpose) > 200:
        problems.append(
            Problem(Code.PURPOSE_REQUIRED, "Say what the buyer uses it for.", "purpose")
        )
    if not terms.scenario.strip():
        problems.append(
            Problem(Code.SCENARIO_REQUIRED, "Name the application scenario.", "scenario")
        )
    if not terms.price.is_finite() or terms.price <= 0:
        problems.append(Problem(Code.PRICE_INVALID, "A price is a positive CNY amount.", "price"))
    elif terms.price != terms.price.quantize(Decimal("0.01")):
        problems.append(Problem(Code.PRICE_INVALID, "Prices are in whole fen (0.01).", "price"))
    if problems:
        raise UserError.of(problems)
    listing = await session.get(Listing, terms.listing_id)
    if listing is None:
        raise UserError(Code.LISTING_NOT_FOUND, "No such listing.", "listing_id")
    if listing.broker_id != actor.organization_id:
        raise Forbidden("Only the listing's broker matches deals on it.")
    if listing.status is not ListingStatus.LISTED:
        raise UserError(Code.LISTING_NOT_LISTED, "The listing has been delisted.", "listing_id")
    if await session.get(Organization, terms.buyer_id) is None:
        raise UserError(Code.BUYER_NOT_FOUND, "No such organisation.", "buyer")
    asset = await session.get(Asset, listing.asset_id)
    if asset is None or asset.status is not AssetStatus.REGISTERED:
        raise UserError(
            Code.ASSET_NOT_REGISTERED,
            "The listed asset is no longer registered: no trade without registration.",
            "listing_id",
        )
    if terms.buyer_id in (listing.broker_id, asset.holder_id):
        raise UserError(
            Code.BUYER_INVALID, "The buyer is neither the broker nor the holder.", "buyer"
        )
    if not licenses_purpose(listing, purpose):
        raise UserError(
            Code.PURPOSE_NOT_LICENSED,
            "The listing's licence terms do not cover this purpose.",
            "purpose",
        )
    deal = Deal(
        listing_id=listing.id,
        broker_id=listing.broker_id,
        buyer_id=terms.buyer_id,
        purpose=purpose,
        scenario=terms.scenario.strip(),
        price=to_money(terms.price),
        status=DealStatus.MATCHED,
        matched_at=now(),
    )
    session.add(deal)
    await session.flush()
    await _fact(
        session, actor, deal, ledger.Kind.DEAL_MATCHED, buyer=str(deal.buyer_id), purpose=purpose,
        scenario=deal.scenario,
    )  # fmt: skip
    return deal


async def confirm_deal(session: AsyncSession, actor: Principal | None, deal_id: uuid.UUID) -> Deal:
    actor = require(actor)
    deal = await _locked(session, deal_id)
    if actor.organization_id != deal.buyer_id:
        raise Forbidden("Only the buyer confirms a deal.")
    if not await is_licensed(session, deal.broker_id):
        raise UserError(
            Code.BROKER_NOT_LICENSED, "The deal's broker holds no valid licence now.", "id"
        )
    _move(deal, DealStatus.CONFIRMED)
    deal.confirmed_at = now()
    await _fact(session, actor, deal, ledger.Kind.DEAL_CONFIRMED)
    return deal


async def record_delivery(
    session: AsyncSession, actor: Principal | None, deal_id: uuid.UUID, *, note: str = ""
) -> Deal:
    actor, _ = await require_licensed(session, actor, "record_delivery")
    deal = await _locked(session, deal_id)
    if actor.organization_id != deal.broker_id:
        raise Forbidden("Only the deal's broker records delivery.")
    if deal.status is DealStatus.MATCHED:
        raise UserError(Code.DEAL_NOT_CONFIRMED, "The buyer has not confirmed the deal yet.", "id")
    _move(deal, DealStatus.DELIVERED)
    deal.delivered_at = now()
    deal.delivery_note = note.strip()
    await _fact(session, actor, deal, ledger.Kind.DEAL_DELIVERED, note=deal.delivery_note)
    return deal


async def cancel_deal(
    session: AsyncSession, actor: Principal | None, deal_id: uuid.UUID, *, reason: str
) -> Deal:
    """Either side, before delivery, with a reason. The broker needs its licence for this
    too; the buyer does not (a suspended broker must not trap a buyer in a deal)."""
    actor = require(actor)
    reason = reason.strip()
    if not reason:
        raise UserError(Code.REASON_REQUIRED, "Say why the deal is cancelled.", "reason")
    probe = await session.get(Deal, deal_id)
    if probe is None:
        raise UserError(Code.DEAL_NOT_FOUND, "No such deal.", "id")
    if actor.organization_id == probe.broker_id and actor.has(Role.BROKER):
        actor, _ = await require_licensed(session, actor, "cancel_deal")
    elif actor.organization_id != probe.buyer_id:
        raise Forbidden("Only the deal's broker or buyer cancels it.")
    deal = await _locked(session, deal_id)
    _move(deal, DealStatus.CANCELLED)
    deal.cancelled_at = now()
    deal.cancel_reason = reason
    deal.cancelled_by_id = actor.organization_id
    await _fact(session, actor, deal, ledger.Kind.DEAL_CANCELLED, reason=reason)
    return deal


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    if actor.organization_id is None:
        return sa.false()
    return sa.or_(Deal.broker_id == actor.organization_id, Deal.buyer_id == actor.organization_id)


async def list_deals(
    session: AsyncSession,
    actor: Principal | None,
    *,
    status: DealStatus | None,
    first: int,
    after: str | None,
) -> Page[Deal]:
    """The broker's and the buyer's deals; the authority sees all."""
    actor = require(actor)
    statement = sa.select(Deal).where(visible_to(actor))
    if status is not None:
        statement = statement.where(Deal.status == status)
    return await paginate(
        session, statement, sort=Deal.matched_at, id_column=Deal.id, first=first, after=after
    )


async def get_deals(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Deal | None]:
    return await fetch_by_ids(session, Deal, ids, visible_to(actor))
