"""The gate every use of a subject's data passes (Art. 27): allowed or denied, always recorded.

`authorize_data_use` runs in the caller's transaction. It locks the consent row first
(SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer), so a use and a revocation of the
same consent are serialised: a use that takes the lock after the revocation committed sees
REVOKED, and a revocation that waits for a use stamps `revoked_at` after that use's `at`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

import ledger
from consent import rules
from consent.errors import Code
from consent.models import Consent, ConsentItem, DataUse, UseOutcome
from core.batching import fetch_by_ids
from core.clock import now
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.pagination import Page, paginate


def _check_request(item: str, purpose: str) -> tuple[str, str]:
    problems = []
    key = rules.scope_key(item)
    if key is None:
        problems.append(
            Problem(
                Code.ITEM_INVALID,
                'Name the data: "item:<data item code>", "certificate:<TYPE>", a data item '
                "code or a certificate type.",
                "item",
            )
        )
    purpose = " ".join(purpose.split())
    if not purpose or len(purpose) > 200:
        problems.append(
            Problem(
                Code.PURPOSE_REQUIRED,
                "Say what the data is used for (1-200 characters).",
                "purpose",
            )
        )
    if problems:
        raise UserError.of(problems)
    assert key is not None
    return key, purpose


def may_see(actor: Principal, subject: str, grantee_id: uuid.UUID) -> bool:
    """`grants.visible_to` for one row already read: the subject, the grantee, the authority
    and auditors (who may still be denied NOT_GRANTEE; their attempt is on record)."""
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return True
    if actor.has(Role.DATA_SUBJECT) and actor.subject == subject:
        return True
    return actor.organization_id is not None and actor.organization_id == grantee_id


async def lock_consent(session: AsyncSession, consent_id: uuid.UUID) -> Consent | None:
    """The consent row, locked until the caller's transaction ends (re-read, never cached)."""
    return await session.scalar(
        sa.select(Consent)
        .where(Consent.id == consent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


_C = Consent.__table__.c
# The consent's terms, locked, whether the asked-for item is in its scope, and the subject's
# ledger salt: one statement.
_TERMS = (
    sa.select(
        _C.id, _C.subject, _C.grantee_id, _C.purpose, _C.valid_from, _C.valid_until,
        _C.max_uses, _C.uses, _C.status, _C.frequency, _C.uses_per_period,
        sa.exists()
        .where(ConsentItem.consent_id == _C.id, ConsentItem.item == sa.bindparam("key"))
        .label("in_scope"),
        ledger.salt_column(_C.subject).label("salt"),  # for the append: no read of its own
    )
    .where(_C.id == sa.bindparam("consent_id"))
    .with_for_update(of=Consent.__table__)
)  # fmt: skip
_U = DataUse.__table__.c
_USES_SINCE = sa.select(sa.func.count()).where(
    _U.consent_id == sa.bindparam("consent_id"),
    _U.outcome == UseOutcome.ALLOWED,
    _U.at > sa.bindparam("since"),
)
_COUNT_USE = (
    sa.update(Consent.__table__).where(_C.id == sa.bindparam("consent_id")).values(uses=_C.uses + 1)
)
_RECORD_USE = sa.insert(DataUse.__table__)
# PostgreSQL: the use row and the consent's count in one statement (a data-modifying CTE).
# Every value a named parameter of its own: parameters named like columns would also be
# SET by the UPDATE inside.
_RECORD_ALLOWED_USE = (
    sa.insert(DataUse.__table__)
    .values({c.name: sa.bindparam(f"use_{c.name}") for c in _U})
    .add_cte(
        sa.update(Consent.__table__)
        .where(_C.id == sa.bindparam("counted_id"))
        .values(uses=_C.uses + sa.literal_column("1"))  # no anonymous parameter in the CTE
        .returning(_C.id)
        .cte("counted")
    )
)


# Art. 27: sensitive data goes to a third party only with the subject's consent
async def authorize_data_use(
    session: AsyncSession,
    actor: Principal | None,
    *,
    consent_id: uuid.UUID,
    item: str,
    purpose: str,
) -> DataUse:
    """Decide whether `actor`'s organisation may use `item` for `purpose` under the consent.

    Returns the recorded `DataUse` (outcome ALLOWED, or DENIED with a reason); a denial is a
    result, so the caller must commit it. Raises `UserError` only for malformed input
    (ITEM_INVALID, PURPOSE_REQUIRED, ORGANIZATION_REQUIRED) or a consent the caller may not
    see (CONSENT_NOT_FOUND, as for an unknown id: a stranger holding a consent id learns
    nothing and writes nothing into the subject's record of uses)."""
    actor = require(actor)
    if actor.organization_id is None:
        raise UserError(
            Code.ORGANIZATION_REQUIRED,
            "A data use is made by an organisation; your token names none.",
        )
    key, purpose = _check_request(item, purpose)
    connection = await session.connection()  # Core statements, built once: the hot path
    terms = (await connection.execute(_TERMS, {"consent_id": consent_id, "key": key})).one_or_none()
    if terms is None or not may_see(actor, terms.subject, terms.grantee_id):
        raise UserError(Code.CONSENT_NOT_FOUND, "No consent has this id.", "consent_id")
    ledger.remember_salt(session, terms.subject, terms.salt)
    at = now()  # after the lock: a revocation that held it has committed before this instant
    in_window = 0
    if terms.uses_per_period is not None and terms.frequency:  # a rate: count this window
        since = rules.window_start(terms.frequency, at)
        in_window = (
            await connection.execute(_USES_SINCE, {"consent_id": terms.id, "since": since})
        ).scalar_one()
    reason = rules.decide(
        terms,
        (key,) if terms.in_scope else (),
        user_id=actor.organization_id,
        item=key,
        purpose=purpose,
        at=at,
        uses_per_period=terms.uses_per_period,
        uses_in_window=in_window,
    )
    outcome = UseOutcome.ALLOWED if reason is None else UseOutcome.DENIED
    postgres = connection.dialect.name == "postgresql"
    if reason is None and not postgres:  # SQLite: no DML in a CTE; in-process, so cheap
        await connection.execute(_COUNT_USE, {"consent_id": terms.id})
    use = DataUse(
        id=uuid.uuid4(),
        consent_id=terms.id,
        subject=terms.subject,
        user_id=actor.organization_id,
        item=key,
        purpose=purpose,
        outcome=outcome,
        reason=reason,
        at=at,
        ledger_seq=ledger.UNSEQUENCED,
    )
    # Art. 27: every use, allowed or denied, is recorded and shown to the subject
    entry = await ledger.append(
        session,
        ledger.Kind.DATA_USE_ALLOWED if reason is None else ledger.Kind.DATA_USE_DENIED,
        actor,
        {
            "use": str(use.id),
            "consent": str(terms.id),
            "item": key,
            "purpose": purpose,
            "outcome": outcome.value,
            "reason": reason.value if reason else None,
        },
        subjects=[terms.subject],
        parties=[terms.grantee_id, actor.organization_id],
    )
    entry.stamp(use)
    if reason is None and postgres:
        await connection.execute(
            _RECORD_ALLOWED_USE,
            {"counted_id": terms.id, **{f"use_{k}": v for k, v in use.model_dump().items()}},
        )
    else:
        await connection.execute(_RECORD_USE, use.model_dump())
    return use


# Art. 27: the subject sees every use of its data
async def list_my_data_uses(
    session: AsyncSession, actor: Principal | None, *, first: int, after: str | None
) -> Page[DataUse]:
    """Every pass through the gate over the subject's consents, newest first."""
    actor = require(actor, Role.DATA_SUBJECT)
    statement = sa.select(DataUse).where(DataUse.subject == actor.subject)
    return await paginate(
        session,
        statement,
        sort=DataUse.at,
        id_column=DataUse.id,
        first=first,
        after=after,
        newest_first=True,
    )


async def get_uses(
    session: AsyncSession, actor: Principal | None, ids: Sequence[uuid.UUID]
) -> list[DataUse | None]:
    """Uses by id, as visible to `actor`: the subject's own, the user's or grantee's, or all
    for the authority and auditors."""
    return await fetch_by_ids(session, DataUse, ids, visible_to(actor))


def visible_to(actor: Principal | None) -> sa.ColumnElement[bool]:
    """A use is its subject's and its user's; the authority and auditors see all."""
    if actor is None:
        return sa.false()
    if actor.has(Role.AUTHORITY, Role.AUDITOR):
        return sa.true()
    mine = [DataUse.subject == actor.subject] if actor.has(Role.DATA_SUBJECT) else []
    if actor.organization_id is not None:
        mine.append(DataUse.user_id == actor.organization_id)
    return sa.or_(*mine) if mine else sa.false()
