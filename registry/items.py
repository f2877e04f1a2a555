"""Data items and source departments (Art. 8: one data item has one legal source department).

An agency claims an item; a second claim by anyone is refused and names the holder; only
the data authority moves an item to another agency, with a reason. Both are ledger facts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ledger
from core.batching import fetch_by_ids
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization, OrganizationKind
from core.pagination import Listing, Page, paginate_listing
from registry.errors import Code
from registry.models import DataItem

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")


def _validate(code: str, name: str, legal_basis: str) -> tuple[str, str, str]:
    code, name, legal_basis = code.strip(), name.strip(), legal_basis.strip()
    problems = []
    if not CODE.fullmatch(code):
        problems.append(
            Problem(
                Code.DATA_ITEM_CODE_INVALID,
                "A code is 2-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
                "code",
            )
        )
    if not name or len(name) > 200:
        problems.append(Problem(Code.NAME_INVALID, "Give a name of 1-200 characters.", "name"))
    if not legal_basis or len(legal_basis) > 1000:
        problems.append(
            Problem(
                Code.LEGAL_BASIS_REQUIRED,
                "Cite the law or regulation that makes you collect this data (1-1000 characters).",
                "legal_basis",
            )
        )
    if problems:
        raise UserError.of(problems)
    return code, name, legal_basis


async def _already_claimed(session: AsyncSession, code: str) -> UserError:
    owner = await session.scalar(
        sa.select(Organization.name)
        .join(DataItem, DataItem.source_department_id == Organization.id)
        .where(DataItem.code == code)
    )
    return UserError(
        Code.DATA_ITEM_ALREADY_CLAIMED,
        f"Data item {code} already has its source department: {owner}. "
        "Art. 8 allows one; ask the data authority to transfer it if that is wrong.",
        "code",
    )


async def find_item(session: AsyncSession, code: str) -> DataItem | None:
    return await session.scalar(sa.select(DataItem).where(DataItem.code == code.strip()))


# Art. 8: the claiming agency becomes the item's one and only source department
async def claim_data_item(
    session: AsyncSession,
    actor: Principal | None,
    *,
    code: str,
    name: str,
    legal_basis: str,
    sensitive_personal: bool = False,
) -> DataItem:
    """Art. 8: the claiming agency becomes the item's one source department. It also says
    whether the item is sensitive personal information (PIPL Art. 28), which makes any
    consent covering it a separate consent (PIPL Art. 29)."""
    actor = require(actor, Role.AGENCY)
    if actor.organization_id is None:
        raise UserError(Code.ORGANIZATION_REQUIRED, "Your token names no agency.")
    code, name, legal_basis = _validate(code, name, legal_basis)
    if await find_item(session, code) is not None:
        # Art. 8: a second claim is refused, naming the source department
        raise await _already_claimed(session, code)
    item = DataItem(
        code=code,
        name=name,
        legal_basis=legal_basis,
        # PIPL Art. 28: the source department says whether the item is sensitive personal info
        sensitive_personal=sensitive_personal,
        source_department_id=actor.organization_id,
    )
    try:
        async with session.begin_nested():  # a racing claim may win between check and insert
            session.add(item)
            await session.flush()
    except IntegrityError:
        claimed = await session.scalar(sa.select(DataItem.code).where(DataItem.code == code))
        if claimed is None:
            raise  # not a racing claim (e.g. a foreign key): never reported as one
        raise await _already_claimed(session, code) from None
    await ledger.append(
        session,
        ledger.Kind.DATA_ITEM_CLAIMED,
        actor,
        {
            "code": code,
            "name": name,
            "legalBasis": legal_basis,
            "sensitivePersonal": sensitive_personal,
            "sourceDepartment": str(item.source_department_id),
        },
    )
    return item


# Art. 6: the data authority names the department responsible for an item
async def transfer_data_item(
    session: AsyncSession,
    actor: Principal | None,
    *,
    code: str,
    to_organization_id: uuid.UUID,
    reason: str,
) -> DataItem:
    """Art. 5-6: the data authority names source departments; a transfer must say why."""
    actor = require(actor, Role.AUTHORITY)
    reason = reason.strip()
    if not reason:
        raise UserError(
            Code.REASON_REQUIRED, "Say why the item changes source department.", "reason"
        )
    item = await session.scalar(
        sa.select(DataItem).where(DataItem.code == code.strip()).with_for_update()
    )
    if item is None:
        raise UserError(Code.DATA_ITEM_NOT_FOUND, f"No data item has the code {code!r}.", "code")
    target = await session.get(Organization, to_organization_id)
    if target is None or target.kind != OrganizationKind.AGENCY:
        raise UserError(
            Code.SOURCE_DEPARTMENT_INVALID, "Transfer a data item to an agency.", "to_organization"
        )
    if item.source_department_id == target.id:
        raise UserError(
            Code.DATA_ITEM_SAME_OWNER,
            f"{target.name} is already the source department.",
            "to_organization",
        )
    previous = item.source_department_id
    item.source_department_id = target.id
    await session.flush()
    await ledger.append(
        session,
        ledger.Kind.DATA_ITEM_TRANSFERRED,
        actor,
        {"code": item.code, "from": str(previous), "to": str(target.id), "reason": reason},
        parties=[previous, target.id],
    )
    return item


async def get_items(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[DataItem | None]:
    return await fetch_by_ids(session, DataItem, ids)


# Art. 8: the collection list, each agency's claimed data items
def item_listing(source_department_id: uuid.UUID | None) -> Listing:
    """The collection list (Art. 8-9) by code; one agency's when `source_department_id`:
    what `list_items` pages, and what a compiled read (core.jsonread) selects from."""
    statement = sa.select(DataItem)
    if source_department_id is not None:
        statement = statement.where(DataItem.source_department_id == source_department_id)
    return Listing(statement, sort=DataItem.code)


async def list_items(
    session: AsyncSession, *, source_department_id: uuid.UUID | None, first: int, after: str | None
) -> Page[DataItem]:
    listing = item_listing(source_department_id)
    return await paginate_listing(session, listing, first=first, after=after)
