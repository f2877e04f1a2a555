"""Listings (Art. 26): "no listing without registration".

A LICENSED broker lists a REGISTERED asset it may offer: one it holds itself, or one whose
holder entrusted it to the broker (`entrust_asset`, the ENTRUSTED_RIGHTS model — a broker
cannot list someone else's product on its own say-so). Listings are readable by every
signed-in organisation; those of a broker whose licence is not LICENSED now are hidden.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

import ledger
from broker.errors import Code
from broker.licences import effective_status_is, require_licensed
from broker.models import (
    BrokerLicence,
    Entrustment,
    LicenceStatus,
    Listing,
    ListingStatus,
    PricingModel,
)
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, require
from core.models import Organization
from core.pagination import Page, paginate
from core.search import contains_text
from core.sqltypes import money_number, to_money
from registry import Asset, AssetKind, AssetStatus

TERM = re.compile(r"P(?:[1-9][0-9]{0,3}[DWMY])")  # ISO 8601 duration of one unit: P1Y, P6M …
MAX_PRICE = Decimal("1e15")


async def _asset(session: AsyncSession, asset_id: uuid.UUID, field: str = "asset_id") -> Asset:
    asset = await session.get(Asset, asset_id)
    if asset is None:
        raise UserError(Code.ASSET_NOT_FOUND, "No such asset.", field)
    return asset


async def may_offer(session: AsyncSession, broker_id: uuid.UUID, asset: Asset) -> bool:
    """The broker holds the asset, or its holder entrusted it to the broker."""
    if asset.holder_id == broker_id:
        return True
    return (
        await session.get(Entrustment, {"asset_id": asset.id, "broker_id": broker_id})
    ) is not None


async def entrust_asset(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID, broker_id: uuid.UUID
) -> Entrustment:
    """The holder of an asset entrusts a broker with offering it."""
    actor = require(actor)
    asset = await _asset(session, asset_id)
    if actor.organization_id != asset.holder_id:
        raise Forbidden("Only the holder of an asset entrusts it to a broker.")
    if await session.get(Organization, broker_id) is None:
        raise UserError(Code.BROKER_NOT_FOUND, "No such organisation.", "broker")
    existing = await session.get(Entrustment, {"asset_id": asset.id, "broker_id": broker_id})
    if existing is not None:
        return existing
    entry = await ledger.append(
        session,
        ledger.Kind.ASSET_ENTRUSTED,
        actor,
        {"asset": str(asset.id), "broker": str(broker_id)},
        parties=[asset.holder_id, broker_id],
    )
    row = Entrustment(
        asset_id=asset.id,
        broker_id=broker_id,
        entrusted_by_id=asset.holder_id,
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry.stamp(row)
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True)
class ListingTerms:
    price: Decimal
    pricing_model: PricingModel
    purposes: tuple[str, ...]
    term: str
    territory: str
    resale: bool = False


def _check_terms(terms: ListingTerms) -> list[Problem]:
    problems = []
    if not terms.price.is_finite() or not Decimal(0) < terms.price < MAX_PRICE:
        problems.append(Problem(Code.PRICE_INVALID, "A price is a positive CNY amount.", "price"))
    elif terms.price != terms.price.quantize(Decimal("0.01")):
        problems.append(Problem(Code.PRICE_INVALID, "Prices are in whole fen (0.01).", "price"))
    if not [p for p in terms.purposes if p.strip()]:
        problems.append(
            Problem(
                Code.PURPOSES_REQUIRED,
                "Licence at least one purpose.",
                "licence_terms.purposes",
            )
        )
    if not TERM.fullmatch(terms.term.strip()):
        problems.append(
            Problem(
                Code.TERM_INVALID,
                "The term is an ISO 8601 duration such as P1Y or P6M.",
                "licence_terms.term",
            )
        )
    if not terms.territory.strip():
        problems.append(
            Problem(Code.TERRITORY_REQUIRED, "Say where it may be used.", "licence_terms.territory")
        )
    return problems


# Art. 26: a licensed broker lists only registered assets (Art. 25) for trade
async def list_product(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID, terms: ListingTerms
) -> Listing:
    actor, _ = await require_licensed(session, actor, "list_product")
    broker_id = actor.organization_id
    assert broker_id is not None
    problems = _check_terms(terms)
    if problems:
        raise UserError.of(problems)
    asset = await _asset(session, asset_id)
    if asset.status is not AssetStatus.REGISTERED:
        raise UserError(
            Code.ASSET_NOT_REGISTERED,
            f"Only REGISTERED assets are listed; this one is {asset.status.value}.",
            "asset_id",
        )
    if not await may_offer(session, broker_id, asset):
        raise UserError(
            Code.ASSET_NOT_OFFERABLE,
            "List an asset your organisation holds, or one its holder entrusted to you.",
            "asset_id",
        )
    duplicate = await session.scalar(
        sa.select(Listing.id).where(
            Listing.broker_id == broker_id,
            Listing.asset_id == asset.id,
            Listing.status == ListingStatus.LISTED,
        )
    )
    if duplicate is not None:
        raise UserError(Code.ALREADY_LISTED, "You list this asset already.", "asset_id")
    purposes = sorted({" ".join(p.split()) for p in terms.purposes if p.strip()})
    listing = Listing(
        broker_id=broker_id,
        asset_id=asset.id,
        price=to_money(terms.price),
        pricing_model=terms.pricing_model,
        purposes=json.dumps(purposes, ensure_ascii=False),
        term=terms.term.strip(),
        territory=terms.territory.strip(),
        resale=terms.resale,
        status=ListingStatus.LISTED,
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry = await ledger.append(
        session,
        ledger.Kind.LISTING_LISTED,
        actor,
        {
            "listing": str(listing.id),
            "asset": str(asset.id),
            "registrationNumber": asset.registration_number,
            "price": str(listing.price),
            "pricingModel": listing.pricing_model.value,
            "purposes": purposes,
            "term": listing.term,
            "territory": listing.territory,
            "resale": listing.resale,
        },
        parties=[broker_id, asset.holder_id],
    )
    entry.stamp(listing)
    session.add(listing)
    await session.flush()
    return listing


async def delist_product(
    session: AsyncSession, actor: Principal | None, listing_id: uuid.UUID, *, reason: str
) -> Listing:
    actor, _ = await require_licensed(session, actor, "delist_product")
    listing = await session.scalar(
        sa.select(Listing).where(Listing.id == listing_id).with_for_update()
    )
    if listing is None:
        raise UserError(Code.LISTING_NOT_FOUND, "No such listing.", "id")
    if listing.broker_id != actor.organization_id:
        raise Forbidden("Only the listing's broker delists it.")
    if listing.status is not ListingStatus.LISTED:
        raise UserError(Code.LISTING_NOT_LISTED, "The listing is already delisted.", "id")
    listing.status = ListingStatus.DELISTED
    listing.delisted_at = now()
    listing.delist_reason = reason.strip()
    await ledger.append(
        session,
        ledger.Kind.LISTING_DELISTED,
        actor,
        {"listing": str(listing.id), "reason": listing.delist_reason},
        parties=[listing.broker_id],
    )
    return listing


def purposes_of(listing: Listing) -> list[str]:
    return list(json.loads(listing.purposes))


def normalize_purpose(purpose: str) -> str:
    """As the consent gate matches purposes: case-folded, runs of whitespace as one space."""
    return " ".join(purpose.split()).casefold()


def licenses_purpose(listing: Listing, purpose: str) -> bool:
    wanted = normalize_purpose(purpose)
    return any(normalize_purpose(p) == wanted for p in purposes_of(listing))


@dataclass(frozen=True)
class ListingFilter:
    broker_id: uuid.UUID | None = None
    kind: AssetKind | None = None
    text: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


def offered_now() -> sa.ColumnElement[bool]:
    """The listing's broker holds a licence that is LICENSED now (not past its term)."""
    return sa.exists().where(
        BrokerLicence.broker_id == Listing.broker_id,
        effective_status_is(LicenceStatus.LICENSED, now()),
    )


async def list_listings(
    session: AsyncSession,
    actor: Principal | None,
    where: ListingFilter,
    *,
    first: int,
    after: str | None,
) -> Page[tuple[Listing, Asset]]:
    """LISTED offers of currently licensed brokers for currently REGISTERED assets, oldest
    first, each with its asset (one statement)."""
    require(actor)
    statement = (
        sa.select(Listing, Asset)
        .join(Asset, Asset.id == Listing.asset_id)
        # Still registered now: a cancelled registration, or one back in review after a
        # change, takes its listings off the market until it is registered again.
        .where(
            Listing.status == ListingStatus.LISTED,
            Asset.status == AssetStatus.REGISTERED,
            offered_now(),
        )
    )
    if where.broker_id is not None:
        statement = statement.where(Listing.broker_id == where.broker_id)
    if where.kind is not None:
        statement = statement.where(Asset.kind == where.kind)
    if where.text:
        statement = statement.where(contains_text(where.text, Asset.name, Asset.description))
    if where.min_price is not None:
        statement = statement.where(money_number(Listing.price) >= where.min_price)
    if where.max_price is not None:
        statement = statement.where(money_number(Listing.price) <= where.max_price)
    return await paginate(
        session, statement, sort=Listing.listed_at, id_column=Listing.id, first=first, after=after
    )


async def get_listings(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Listing | None]:
    """Listings by id (delisted ones too: deals refer to them). Needs a token."""
    return await fetch_by_ids(session, Listing, ids, sa.false() if actor is None else sa.true())
