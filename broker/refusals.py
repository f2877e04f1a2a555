"""Recording refused broker actions for supervision, without breaking "a failed mutation
changes nothing".

A refused action (`broker.licences.Refused`) rolls its own transaction back entirely: no
flow, no deal, no consent use counted. Then the caller records the attempt with
`record_refused`, in a second short transaction of its own: a `broker_refusal` row and a
`broker.activity.refused` ledger entry (`record_refusal`, within a given transaction). The
evaluation counts these rows (attempts while suspended, flows refused for a missing basis)
and the risk rules fire on them.

A flow refused because a consent denied it also leaves the denial where the consent domain
keeps them: `record_refusal` passes the denied (consent, item, purpose) through the consent
gate again, which records a DENIED `data_use` (and its ledger entry) that the data subject
sees and the evaluation counts as a denied consent check. Denials change no consent (only
an ALLOWED use counts against `max_uses`); should the consent have become usable in the
instant between the two transactions (it started being valid), the gate would allow it:
`ReplayAllowed` is raised then; `record_refused` rolls back and records the refusal without
the replay (as it does when the replay is refused as malformed, say a consent gone).
"""

from __future__ import annotations

import ledger
from broker.licences import Refused
from broker.models import BrokerRefusal
from consent import UseOutcome, authorize_data_use
from core.clock import now
from core.db import AsyncSession, Database
from core.errors import UserError
from core.identity import Principal


class ReplayAllowed(Exception):
    """The gate allowed on replay what it had denied: roll back, record without replay."""


# Art. 26: refused broker actions are recorded for supervision
async def record_refusal(
    session: AsyncSession, actor: Principal | None, refused: Refused, *, replay: bool = True
) -> BrokerRefusal:
    if replay:
        for consent_id, item, purpose in refused.denied:
            use = await authorize_data_use(
                session, actor, consent_id=consent_id, item=item, purpose=purpose
            )
            if use.outcome is UseOutcome.ALLOWED:
                raise ReplayAllowed()
    codes = ",".join(p.code for p in refused.problems)
    at = now()
    entry = await ledger.append(
        session,
        "broker.activity.refused",
        actor,
        {
            "action": refused.action,
            "kind": refused.kind.value,
            "codes": codes,
            "licenceStatus": refused.licence_status.value if refused.licence_status else None,
        },
        parties=[refused.broker_id],
    )
    row = BrokerRefusal(
        broker_id=refused.broker_id,
        kind=refused.kind,
        action=refused.action,
        licence_status=refused.licence_status,
        codes=codes[:2000],
        at=at,
        ledger_seq=entry.seq,
    )
    session.add(row)
    await session.flush()
    return row


async def record_refused(db: Database, actor: Principal | None, refused: Refused) -> BrokerRefusal:
    """After the refused action's transaction rolled back: record the attempt in a short
    transaction of its own, with the replay of its consent denials; should the replay not
    deny again (`ReplayAllowed`, or a `UserError` as the consent changed in between), in a
    new transaction without it."""
    try:
        async with db.transaction() as session:
            return await record_refusal(session, actor, refused)
    except (ReplayAllowed, UserError):
        async with db.transaction() as session:
            return await record_refusal(session, actor, refused, replay=False)
