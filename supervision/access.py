"""Who sees supervision records: the data authority, the superior government (`oversight`,
Art. 33) and auditors see every agency's; an agency its own, never another's."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from core.errors import Forbidden
from core.identity import Principal, Role

READ_ALL = (Role.AUTHORITY, Role.OVERSIGHT, Role.AUDITOR)


def visible_or_none(
    actor: Principal | None, agency: sa.ColumnElement[uuid.UUID]
) -> sa.ColumnElement[bool] | None:
    if actor is None:
        return None
    if actor.has(*READ_ALL):
        return sa.true()
    if actor.has(Role.AGENCY) and actor.organization_id is not None:
        return agency == actor.organization_id
    return None


def visible(
    actor: Principal, agency: sa.ColumnElement[uuid.UUID], what: str
) -> sa.ColumnElement[bool]:
    """The rows of `what` the actor may read; refused for anyone else."""
    condition = visible_or_none(actor, agency)
    if condition is None:
        raise Forbidden(f"{what} are for the data authority, its superior and the agency's own.")
    return condition


def own_agency(actor: Principal) -> uuid.UUID:
    """The agency an agency actor acts for."""
    if actor.organization_id is None or not actor.has(Role.AGENCY):
        raise Forbidden("This needs an agency token naming your organisation.")
    return actor.organization_id
