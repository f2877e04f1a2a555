"""Data asset and product registration (Art. 25), as a lifecycle with a public notice.

DRAFT → SUBMITTED → (authority review) PUBLIC_NOTICE for 5 working days → REGISTERED with a
registration number, unless someone objects (OBJECTED, until the authority resolves it) or
the authority rejects it (with a reason). Every transition is a ledger entry, and the moves
allowed are the table `ASSET_TRANSITIONS` in models.py.

An objection pauses the notice clock: the working days not yet run (the day of the objection
included) are kept, and when the last open objection is dismissed they run again from the
dismissal, so others always have the rest of the notice to object in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

import ledger
from core import deadlines, workdays
from core.batching import fetch_by_ids, fetch_children
from core.calendar import WorkingCalendar
from core.clock import SHANGHAI, for_people, now
from core.db import AsyncSession
from core.errors import Forbidden, Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Listing, Page, paginate_listing
from core.search import contains_text
from registry.catalogue import find_resource
from registry.errors import Code
from registry.models import (
    ASSET_TRANSITIONS,
    Asset,
    AssetKind,
    AssetObjection,
    AssetRight,
    AssetSource,
    AssetStatus,
    UpdateFrequency,
)

# Art. 25: the provincial registration system puts each registration on a 5-working-day notice
NOTICE_WORKING_DAYS = 5
# Art. 25: agencies register public data assets; market entities their products and services
REGISTRANTS = {
    AssetKind.PUBLIC_DATA_ASSET: (Role.AUTHORITY, Role.AGENCY),
    AssetKind.DATA_PRODUCT: (Role.MARKET_ENTITY, Role.BROKER),
    AssetKind.DATA_SERVICE: (Role.MARKET_ENTITY, Role.BROKER),
}


@dataclass(frozen=True)
class SourceSpec:
    """A catalogue resource (by code), or a non-public dataset with holder and legal basis."""

    resource_code: str | None = None
    dataset_name: str = ""
    dataset_holder: str = ""
    legal_basis: str = ""


@dataclass(frozen=True)
class AssetFields:
    kind: AssetKind
    name: str
    scenario: str
    rights: tuple[AssetRight, ...]
    update_frequency: UpdateFrequency
    sources: tuple[SourceSpec, ...]
    description: str = ""
    delivery_mode: str = ""
    time_span: str = ""
    scale: str = ""


# The longest text each particular's column holds (models.Asset).
MAX_LENGTHS = {
    "name": 200,
    "description": 4000,
    "scenario": 2000,
    "delivery_mode": 200,
    "time_span": 200,
    "scale": 200,
}
_TOO_LONG = {
    "description": Code.DESCRIPTION_TOO_LONG,
    "scenario": Code.SCENARIO_TOO_LONG,
    "delivery_mode": Code.DELIVERY_MODE_TOO_LONG,
    "time_span": Code.TIME_SPAN_TOO_LONG,
    "scale": Code.SCALE_TOO_LONG,
}


def _particular_problems(particulars: dict[str, str]) -> list[Problem]:
    """The rules on an asset's text particulars (given stripped), at registration and at every
    change (Art. 25): a name, a scenario, and nothing longer than its column holds."""
    problems = []
    for key, value in particulars.items():
        if key == "name":
            if not value or len(value) > MAX_LENGTHS["name"]:
                problems.append(
                    Problem(Code.NAME_INVALID, "Give a name of 1-200 characters.", "name")
                )
        elif key == "scenario" and not value:
            problems.append(
                Problem(
                    Code.SCENARIO_REQUIRED, "Say which application scenario it serves.", "scenario"
                )
            )
        elif len(value) > MAX_LENGTHS[key]:
            problems.append(
                Problem(
                    _TOO_LONG[key],
                    f"Keep {key.replace('_', ' ')} to {MAX_LENGTHS[key]:,} characters.",
                    key,
                )
            )
    return problems


def _check_fields(fields: AssetFields) -> list[Problem]:
    problems = _particular_problems({key: getattr(fields, key).strip() for key in MAX_LENGTHS})
    if not fields.rights:
        problems.append(Problem(Code.RIGHTS_REQUIRED, "Claim at least one data right.", "rights"))
    if not fields.sources:
        problems.append(
            Problem(Code.SOURCES_REQUIRED, "Declare where the data comes from.", "sources")
        )
    for i, source in enumerate(fields.sources):
        declared = source.dataset_name.strip() and source.dataset_holder.strip()
        if source.resource_code is None and not (declared and source.legal_basis.strip()):
            problems.append(
                Problem(
                    Code.SOURCE_INCOMPLETE,
                    "A source is a catalogue resource, or a dataset with its holder and the "
                    "legal basis for using it.",
                    f"sources[{i}]",
                )
            )
    return problems


async def _sources(
    session: AsyncSession, asset_id: uuid.UUID, specs: Sequence[SourceSpec]
) -> list[AssetSource]:
    rows = []
    for i, spec in enumerate(specs):
        resource_id = None
        if spec.resource_code is not None:
            resource = await find_resource(session, spec.resource_code)
            if resource is None:
                raise UserError(
                    Code.RESOURCE_NOT_FOUND,
                    f"No catalogue resource {spec.resource_code}.",
                    f"sources[{i}].resource_code",
                )
            resource_id = resource.id
        rows.append(
            AssetSource(
                asset_id=asset_id,
                resource_id=resource_id,
                dataset_name=spec.dataset_name.strip(),
                dataset_holder=spec.dataset_holder.strip(),
                legal_basis=spec.legal_basis.strip(),
            )
        )
    return rows


async def _fact(
    session: AsyncSession, actor: Principal | None, asset: Asset, kind: ledger.Kind, **body: object
) -> ledger.Fact:
    return await ledger.append(
        session,
        kind,
        actor,
        {
            "asset": str(asset.id),
            "name": asset.name,
            "kind": asset.kind.value,
            "status": asset.status.value,
            "version": asset.version,
            **body,
        },
        parties=[asset.holder_id],
    )


def _move(asset: Asset, to: AssetStatus) -> None:
    if to not in ASSET_TRANSITIONS[asset.status]:
        raise UserError(
            Code.ASSET_STATUS_INVALID,
            f"An asset that is {asset.status.value} cannot become {to.value}.",
            "id",
        )
    asset.status = to


async def _locked(session: AsyncSession, asset_id: uuid.UUID) -> Asset:
    asset = await session.scalar(sa.select(Asset).where(Asset.id == asset_id).with_for_update())
    if asset is None:
        raise UserError(Code.ASSET_NOT_FOUND, "No such asset.", "id")
    return asset


def notice_over(asset: Asset, at: datetime) -> bool:
    """Art. 25: the 5-working-day public notice has run its course at `at`."""
    return asset.notice_ends_at is not None and at > asset.notice_ends_at


def _run_notice(asset: Asset, calendar: WorkingCalendar, at: datetime) -> None:
    """Start (or resume) the notice clock at `at` for the `notice_days` working days left."""
    assert asset.notice_days is not None
    ends = workdays.deadline_on(calendar, at, asset.notice_days)
    asset.notice_from, asset.notice_ends_at = at, ends.at
    asset.notice_ends_provisional = ends.provisional


# Art. 25: an objection pauses the public notice; the days left resume on its dismissal
def _pause_notice(asset: Asset, calendar: WorkingCalendar, at: datetime) -> None:
    """Stop the clock at `at`: keep the working days from that day to the notice's last day
    (the day of the objection counts as not yet run)."""
    assert asset.notice_ends_at is not None
    today = at.astimezone(SHANGHAI).date()
    last_day = asset.notice_ends_at.astimezone(SHANGHAI).date()
    left = calendar.working_days_between(today - timedelta(days=1), last_day)
    asset.notice_days = max(1, left)
    asset.notice_from = asset.notice_ends_at = None
    asset.notice_ends_provisional = False


# Art. 25: a running notice's end is recounted once its year's holidays are entered
@deadlines.holder("registry.asset")
async def recompute_notice_ends(
    session: AsyncSession, calendar: WorkingCalendar
) -> list[deadlines.Recomputed]:
    """Every running public notice whose end was provisional, counted again on `calendar`."""
    running = await session.scalars(
        sa.select(Asset)
        .where(
            Asset.status == AssetStatus.PUBLIC_NOTICE,
            Asset.notice_ends_provisional,
            Asset.notice_from.is_not(None),
        )
        .order_by(Asset.notice_ends_at, Asset.id)
        .with_for_update()
    )
    done = []
    for asset in running:
        before = asset.notice_ends_at
        assert before is not None and asset.notice_from is not None
        _run_notice(asset, calendar, asset.notice_from)
        assert asset.notice_ends_at is not None
        done.append(
            deadlines.Recomputed(
                holder="registry.asset",
                id=asset.id,
                field="noticeEndsAt",
                before=before,
                after=asset.notice_ends_at,
                provisional=asset.notice_ends_provisional,
                parties=(asset.holder_id,),
            )
        )
    await session.flush()
    return done


def _holder(actor: Principal, asset: Asset) -> None:
    if actor.organization_id != asset.holder_id:
        raise Forbidden("Only the holder of an asset does this.")


# Art. 25: data assets and products are registered
async def register_asset(
    session: AsyncSession, actor: Principal | None, fields: AssetFields
) -> Asset:
    """Art. 25: a DRAFT registration; nothing is public until it is submitted."""
    actor = require(actor, *REGISTRANTS[fields.kind])
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no organisation.")
    problems = _check_fields(fields)
    if problems:
        raise UserError.of(problems)
    asset = Asset(
        kind=fields.kind,
        name=fields.name.strip(),
        description=fields.description.strip(),
        scenario=fields.scenario.strip(),
        rights=",".join(sorted(r.value for r in set(fields.rights))),
        delivery_mode=fields.delivery_mode.strip(),
        update_frequency=fields.update_frequency,
        time_span=fields.time_span.strip(),
        scale=fields.scale.strip(),
        holder_id=actor.organization_id,
        status=AssetStatus.DRAFT,
    )
    session.add(asset)
    await session.flush()
    session.add_all(await _sources(session, asset.id, fields.sources))
    await session.flush()
    await _fact(session, actor, asset, ledger.Kind.ASSET_DRAFTED)
    return asset


async def submit_asset_registration(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID
) -> Asset:
    actor = require(actor)
    asset = await _locked(session, asset_id)
    _holder(actor, asset)
    _move(asset, AssetStatus.SUBMITTED)
    await _fact(session, actor, asset, ledger.Kind.ASSET_SUBMITTED)
    return asset


# Art. 25: the data authority reviews a registration; a rejection gives its reason
async def review_asset_registration(
    session: AsyncSession,
    actor: Principal | None,
    asset_id: uuid.UUID,
    *,
    accept: bool,
    reason: str,
) -> Asset:
    """The data authority accepts (a 5-working-day public notice starts) or rejects, citing why."""
    actor = require(actor, Role.AUTHORITY)
    reason = reason.strip()
    if not accept and not reason:
        raise UserError(Code.REASON_REQUIRED, "A rejection must give its reason.", "reason")
    calendar = await workdays.load_working_calendar(session)  # before the row lock (its doc)
    asset = await _locked(session, asset_id)
    if asset.status is not AssetStatus.SUBMITTED:
        raise UserError(
            Code.ASSET_STATUS_INVALID,
            f"Only a SUBMITTED asset is reviewed; this one is {asset.status.value}.",
            "id",
        )
    asset.decision_reason = reason
    if accept:
        asset.notice_days = NOTICE_WORKING_DAYS
        _run_notice(asset, calendar, now())
        assert asset.notice_ends_at is not None
        _move(asset, AssetStatus.PUBLIC_NOTICE)
        await _fact(
            session,
            actor,
            asset,
            ledger.Kind.ASSET_NOTICED,
            noticeEndsAt=asset.notice_ends_at.isoformat(),
            noticeEndsProvisional=asset.notice_ends_provisional,
        )
    else:
        _move(asset, AssetStatus.REJECTED)
        await _fact(session, actor, asset, ledger.Kind.ASSET_REJECTED, reason=reason)
    return asset


# Art. 25: anyone may object while the public notice runs
async def object_to_asset(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID, *, text: str
) -> AssetObjection:
    """Anyone signed in may object while the notice runs (or is paused by another objection);
    the registration and the notice clock pause until the authority resolves it (Art. 25)."""
    actor = require(actor)
    text = text.strip()
    if not text:
        raise UserError(
            Code.OBJECTION_TEXT_REQUIRED, "Say what is wrong with the registration.", "text"
        )
    calendar = await workdays.load_working_calendar(session)  # before the row lock (its doc)
    asset = await _locked(session, asset_id)
    if asset.status not in (AssetStatus.PUBLIC_NOTICE, AssetStatus.OBJECTED):
        raise UserError(
            Code.NOT_IN_PUBLIC_NOTICE, "Objections are taken during the public notice.", "id"
        )
    if notice_over(asset, now()):
        raise UserError(Code.NOTICE_ENDED, "The public notice has ended.", "id")
    objection = AssetObjection(
        asset_id=asset.id, filed_by=actor.subject, filed_by_org_id=actor.organization_id, text=text
    )
    session.add(objection)
    if asset.status is AssetStatus.PUBLIC_NOTICE:
        _pause_notice(asset, calendar, now())
        _move(asset, AssetStatus.OBJECTED)
    await session.flush()
    await _fact(
        session, actor, asset, ledger.Kind.ASSET_OBJECTED, objection=str(objection.id),
        noticeDaysLeft=asset.notice_days,
    )  # fmt: skip
    return objection


async def resolve_objection(
    session: AsyncSession,
    actor: Principal | None,
    objection_id: uuid.UUID,
    *,
    upheld: bool,
    resolution: str,
) -> Asset:
    """Upheld: the registration is rejected. Dismissed: once no objection is open, the notice
    resumes from now for the working days it had left when it was paused (a new end)."""
    actor = require(actor, Role.AUTHORITY)
    resolution = resolution.strip()
    if not resolution:
        raise UserError(
            Code.RESOLUTION_REQUIRED, "Explain the decision on the objection.", "resolution"
        )
    calendar = await workdays.load_working_calendar(session)  # before the row lock (its doc)
    objection = await session.get(AssetObjection, objection_id)
    if objection is None or objection.upheld is not None:
        raise UserError(Code.OBJECTION_NOT_OPEN, "No open objection has this id.", "id")
    objection.upheld, objection.resolution = upheld, resolution
    asset = await _locked(session, objection.asset_id)
    await session.flush()
    open_left = await session.scalar(
        sa.select(sa.func.count())
        .select_from(AssetObjection)
        .where(AssetObjection.asset_id == asset.id, AssetObjection.upheld.is_(None))
    )
    if upheld:
        asset.decision_reason = resolution
        _move(asset, AssetStatus.REJECTED)
    elif not open_left:
        # Objections filed before migration 0011 paused no clock: their notice keeps its end.
        if asset.notice_days is not None and asset.notice_ends_at is None:
            _run_notice(asset, calendar, now())
        _move(asset, AssetStatus.PUBLIC_NOTICE)
    resumed = asset.status is AssetStatus.PUBLIC_NOTICE and asset.notice_ends_at is not None
    await _fact(
        session,
        actor,
        asset,
        ledger.Kind.ASSET_OBJECTION_RESOLVED,
        objection=str(objection.id),
        upheld=upheld,
        resolution=resolution,
        noticeEndsAt=asset.notice_ends_at.isoformat() if resumed else None,
    )
    return asset


# Art. 25: registered, with a number and the ledger entry its certificate cites
async def complete_asset_registration(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID
) -> Asset:
    """After the notice, with no open objection: REGISTERED, with a number and a ledger seq
    that the certificate cites. The holder or the authority may ask; it is idempotent."""
    actor = require(actor)
    asset = await _locked(session, asset_id)
    if not actor.has(Role.AUTHORITY):
        _holder(actor, asset)
    if asset.status is not AssetStatus.PUBLIC_NOTICE:
        raise UserError(
            Code.ASSET_STATUS_INVALID,
            f"Only an asset under public notice is registered; this one is {asset.status.value}.",
            "id",
        )
    if not notice_over(asset, now()):
        raise UserError(
            Code.NOTICE_RUNNING,
            f"The public notice runs until {for_people(asset.notice_ends_at)}.",
            "id",
        )
    return await _register(session, actor, asset)


async def _register(session: AsyncSession, actor: Principal | None, asset: Asset) -> Asset:
    _move(asset, AssetStatus.REGISTERED)
    asset.registered_at = now()
    if asset.registration_number is None:
        # Art. 25: a changed asset registered again keeps the number it was first given.
        asset.registration_number = f"JMDR-{asset.registered_at:%Y%m%d}-{asset.id.hex[:10].upper()}"
    fact = await _fact(
        session,
        actor,
        asset,
        ledger.Kind.ASSET_REGISTERED,
        registrationNumber=asset.registration_number,
        rights=asset.rights,
    )
    fact.stamp((asset, "registration_seq"))
    return asset


async def complete_due_registrations(session: AsyncSession, at: datetime) -> list[Asset]:
    """Register every asset whose notice ended with no open objection. pdex runs this itself
    (the server's background sweep; the ledger actor is the system); the holder or the
    authority may also complete one at once with `complete_asset_registration`."""
    due = await session.execute(
        sa.select(Asset)
        .where(Asset.status == AssetStatus.PUBLIC_NOTICE, Asset.notice_ends_at < at)
        .order_by(Asset.notice_ends_at)
        .with_for_update(skip_locked=True)
        .limit(100)
    )
    return [await _register(session, None, asset) for asset in due.scalars()]


CHANGEABLE = ("name", "description", "scenario", "delivery_mode", "time_span", "scale")


# Art. 25: a registered asset whose particulars change is reviewed again
async def change_asset_registration(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID, changes: dict[str, str]
) -> Asset:
    """A registered asset whose particulars change goes back to review (SUBMITTED), as a new
    version; its registration number stays."""
    actor = require(actor)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise UserError(
            Code.FIELD_NOT_CHANGEABLE,
            f"{sorted(unknown)[0]} cannot be changed.",
            sorted(unknown)[0],
        )
    asset = await _locked(session, asset_id)
    _holder(actor, asset)
    if asset.status is not AssetStatus.REGISTERED:
        raise UserError(
            Code.ASSET_STATUS_INVALID,
            "Only a REGISTERED asset is changed; edit a draft instead.",
            "id",
        )
    diff = {
        k: [getattr(asset, k), v.strip()]
        for k, v in changes.items()
        if getattr(asset, k) != v.strip()
    }
    if not diff:
        raise UserError(Code.NOTHING_CHANGED, "The change repeats what is registered.", None)
    problems = _particular_problems({key: new for key, (_, new) in diff.items()})
    if problems:
        raise UserError.of(problems)
    for key, (_, new) in diff.items():
        setattr(asset, key, new)
    asset.version += 1
    _move(asset, AssetStatus.SUBMITTED)
    await _fact(session, actor, asset, ledger.Kind.ASSET_CHANGED, change=diff)
    return asset


# Art. 25: a cancelled registration is off the register
async def cancel_asset_registration(
    session: AsyncSession, actor: Principal | None, asset_id: uuid.UUID, *, reason: str
) -> Asset:
    actor = require(actor)
    reason = reason.strip()
    if not reason:
        raise UserError(Code.REASON_REQUIRED, "Say why the registration is cancelled.", "reason")
    asset = await _locked(session, asset_id)
    if not actor.has(Role.AUTHORITY):
        _holder(actor, asset)
    _move(asset, AssetStatus.CANCELLED)
    asset.decision_reason = reason
    await _fact(session, actor, asset, ledger.Kind.ASSET_CANCELLED, reason=reason)
    return asset


@dataclass(frozen=True)
class AssetFilter:
    kind: AssetKind | None = None
    status: AssetStatus | None = None
    holder_id: uuid.UUID | None = None
    text: str | None = None


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """Drafts are the holder's (and the authority's); from submission on, registrations are
    public facts anyone signed in may see (the notice exists so that they can object)."""
    if actor is None:
        return Asset.status == AssetStatus.REGISTERED
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    mine = Asset.holder_id == actor.organization_id if actor.organization_id else sa.false()
    return sa.or_(Asset.status != AssetStatus.DRAFT, mine)


def asset_listing(actor: Principal | None, where: AssetFilter) -> Listing:
    """The assets `actor` may see that match `where`, oldest first: what `list_assets`
    pages, and what a compiled read (core.jsonread) selects its own columns from."""
    statement = sa.select(Asset).where(visible_to(actor))
    if where.kind is not None:
        statement = statement.where(Asset.kind == where.kind)
    if where.status is not None:
        statement = statement.where(Asset.status == where.status)
    if where.holder_id is not None:
        statement = statement.where(Asset.holder_id == where.holder_id)
    if where.text:
        statement = statement.where(contains_text(where.text, Asset.name, Asset.description))
    return Listing(statement, sort=Asset.created_at, id_column=Asset.id)


async def list_assets(
    session: AsyncSession,
    actor: Principal | None,
    where: AssetFilter,
    *,
    first: int,
    after: str | None,
) -> Page[Asset]:
    return await paginate_listing(session, asset_listing(actor, where), first=first, after=after)


async def get_assets(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Asset | None]:
    return await fetch_by_ids(session, Asset, ids, visible_to(actor))


async def sources_of(
    session: AsyncSession, asset_ids: Sequence[uuid.UUID]
) -> list[list[AssetSource]]:
    """Each asset's sources, in one order whoever reads them (`SOURCE_ORDER`)."""
    return await fetch_children(session, AssetSource.asset_id, asset_ids, order_by=SOURCE_ORDER)


SOURCE_ORDER = (AssetSource.id,)


# Art. 25: a changed asset is reviewed again and a cancelled one is off the register; either
# keeps its number, but neither is certified until (if ever) registered again.
def is_certified(asset: Asset) -> bool:
    """Whether `asset` shows a registration certificate."""
    return (
        asset.status is AssetStatus.REGISTERED
        and asset.registration_number is not None
        and asset.registration_seq is not None
    )


def certified(asset: Any) -> sa.ColumnElement[bool]:
    """`is_certified` as SQL over `asset` (the Asset table or an alias of it)."""
    return sa.and_(
        asset.status == AssetStatus.REGISTERED,
        asset.registration_number.is_not(None),
        asset.registration_seq.is_not(None),
    )


async def objections_of(
    session: AsyncSession, asset_ids: Sequence[uuid.UUID]
) -> list[list[AssetObjection]]:
    return await fetch_children(
        session, AssetObjection.asset_id, asset_ids, order_by=(AssetObjection.filed_at,)
    )
