"""Recording refused broker actions for supervision, without breaking "a failed mutation
changes nothing".

A refused action (`Refused`, raised by `broker.licences` and `broker.flows`) rolls its own
transaction back entirely: no flow, no deal, no consent use counted. Then its after-rollback
step, which `core.usecase.run` (the one way a use case runs) awaits, records the attempt with
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

import uuid
from collections.abc import Sequence

import ledger
from broker.models import BrokerRefusal, LicenceStatus, RefusalKind
from consent import UseOutcome, authorize_data_use
from core.clock import now
from core.db import AsyncSession, Database
from core.errors import Problem, UserError
from core.identity import Principal


class Refused(UserError):
    """A broker action refused for a reason supervision counts (see `RefusalKind`)."""

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        broker_id: uuid.UUID,
        kind: RefusalKind,
        action: str,
        licence_status: LicenceStatus | None = None,
        denied: Sequence[tuple[uuid.UUID, str, str]] = (),
    ) -> None:
        first, *rest = problems
        super().__init__(first.code, first.message, first.field, more=tuple(rest))
        self.broker_id = broker_id
        self.kind = kind
        self.action = action
        self.licence_status = licence_status
        self.denied = tuple(denied)  # (consent id, item, purpose) the gate denied

    async def after_rollback(self, db: Database, actor: Principal | None) -> BrokerRefusal:  # type: ignore[override]
        """Recorded by `core.usecase.run` once the refused action has rolled back."""
        return await record_refused(db, actor, self)


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
        ledger.Kind.ACTIVITY_REFUSED,
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
        ledger_seq=ledger.UNSEQUENCED,
    )
    entry.stamp(row)
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
