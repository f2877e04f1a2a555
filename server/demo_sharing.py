"""Demo sharing: three Jiangmen agencies exchanging data (issue 12).

- Human Resources asks Market Regulation for licence statuses (UNCONDITIONAL): granted at
  once, a ticket issued and its use reported, a usage report for the quarter, the demand
  it had declared met.
- Natural Resources asks Market Regulation for penalties (CONDITIONAL): received eight
  days ago and answered only now — late, on the authority's board — delivery still due.
- Market Regulation asks Human Resources for social-insurance records (CONDITIONAL):
  refused citing the Social Insurance Law, and disputed before the authority.
- Natural Resources publishes a verification set for its real-estate register (NOT_SHARED)
  and Market Regulation verifies one claim: MATCH, no value released.
- Human Resources reports an anomaly in Market Regulation's open registry entry.

Seeded through the use cases (every step a ledger fact). The one shortcut: the late request
has its receipt and due date moved eight days into the past, as no one waits for a deadline
to pass; its ledger entry shows the dates as received.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

import sharing
from core import organizations
from core.clock import now
from core.db import Database
from core.identity import Principal, Role
from core.settings import Settings
from registry import find_resource
from server.demo_steps import step
from sharing import oprf

HRSS_BODY, LAND_BODY = "MB2C0006", "MB2C0007"  # demo_catalogue.OTHER_AGENCIES
LICENCE = "jm.market.licence-status"
PENALTY = "jm.market.penalty"
INSURANCE = "jm.hrss.social-insurance"
CADASTRE = "jm.land.cadastre"
REGISTER = [  # (subject key: a unified social credit code, item, value) — demo values
    ("91440700MA4W0004", CADASTRE, "粤(2024)江门市不动产权第0012345号"),
    ("91440700MA4W0003", CADASTRE, "粤(2023)江门市不动产权第0067890号"),
]


async def _agency(db: Database, body: str) -> uuid.UUID:
    from server.demo import demo_uscc

    async with db.read() as session:
        org = await organizations.find_by_uscc(session, demo_uscc("11", "440700", body))
    assert org is not None, "seed the catalogue first"
    return org.id


async def _resource_id(db: Database, code: str) -> uuid.UUID:
    async with db.read() as session:
        resource = await find_resource(session, code)
    assert resource is not None, code
    return resource.id


async def seed_sharing(
    db: Database,
    *,
    authority: uuid.UUID,
    market: uuid.UUID,
    settings: Settings | None = None,
) -> None:
    """`settings`: sign the demo ticket with the server's key (else a throwaway one)."""
    async with db.read() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(sharing.ShareRequest)):
            return
    hrss_id, land_id = await _agency(db, HRSS_BODY), await _agency(db, LAND_BODY)
    mkt = Principal("demo-clerk", market, frozenset({Role.AGENCY}))
    hrss = Principal("demo-hrss-clerk", hrss_id, frozenset({Role.AGENCY}))
    land = Principal("demo-land-clerk", land_id, frozenset({Role.AGENCY}))
    until = now() + timedelta(days=365)

    async def ask(
        who: Principal, code: str, items: tuple[str, ...], purpose: str, scenario: str
    ) -> sharing.ShareRequest:
        fields = sharing.RequestFields(
            resource_id=await _resource_id(db, code), items=items, purpose=purpose,
            scenario=scenario, mode=sharing.ShareMode.API, until=until,
        )  # fmt: skip
        return await step(db, lambda s: sharing.request_share(s, who, fields))

    # Art. 9: the demand list, one demand met below, one left for verification
    await step(db, lambda s: sharing.declare_data_demand(s, hrss, sharing.DemandFields(
        scenario="Unemployment benefit: check the claimant's former employer is still licensed",
        legal_duty="Social Insurance Law Art. 50", items=(LICENCE,),
    )))  # fmt: skip
    await step(db, lambda s: sharing.declare_data_demand(s, mkt, sharing.DemandFields(
        scenario="Business premises checks at registration",
        legal_duty="Market Entity Registration Regulations Art. 17", items=(CADASTRE,),
    )))  # fmt: skip

    # 1. UNCONDITIONAL: granted at once; a ticket, its reported use, a usage report
    quick = await ask(
        hrss, "JM-SCJG-003", (LICENCE,), "Unemployment benefit eligibility",
        "Unemployment benefit: check the claimant's former employer is still licensed",
    )  # fmt: skip
    assert quick.grant_id is not None
    signer = sharing.ticket_signer(settings) if settings else sharing.TicketSigner.ephemeral()
    issued = await step(db, lambda s: sharing.issue_access_ticket(
        s, hrss, signer, sharing.TicketRequest(
            grant_id=quick.grant_id, items=(LICENCE,), purpose="Unemployment benefit eligibility"
        ),
    ))  # fmt: skip
    await step(db, lambda s: sharing.report_ticket_use(
        s, mkt, issued.ticket.id, rows=42, content_hash="5e" * 32
    ))  # fmt: skip
    at = now()
    quarter = f"{at.year}Q{(at.month - 1) // 3 + 1}"
    await step(db, lambda s: sharing.submit_usage_report(
        s, hrss, quick.grant_id, quarter=quarter, uses=42,
        effect="42 benefit claims checked without paper certificates; 3 employers deregistered.",
    ))  # fmt: skip

    # 2. CONDITIONAL, answered late: received eight days ago, approved now, delivery due
    late = await ask(
        land, "JM-SCJG-002", (PENALTY,), "Land-use compliance review",
        "Land supply: exclude bidders with unresolved land-use penalties",
    )  # fmt: skip
    async with db.transaction() as session:  # the shortcut (module docstring)
        row = await session.get(sharing.ShareRequest, late.id)
        assert row is not None and row.answer_due_at is not None
        row.received_at -= timedelta(days=8)
        row.answer_due_at -= timedelta(days=8)
    await step(db, lambda s: sharing.answer_share_request(
        s, mkt, late.id, decision=sharing.Decision.APPROVE
    ))  # fmt: skip

    # 3. CONDITIONAL, refused with its legal basis, and disputed
    refused = await ask(
        mkt, "JM-RSJ-001", (INSURANCE,), "Employer compliance check",
        "Registration: check employers declare social insurance for their staff",
    )  # fmt: skip
    await step(db, lambda s: sharing.answer_share_request(
        s, hrss, refused.id, decision=sharing.Decision.REFUSE,
        law="Social Insurance Law of the PRC", article="Art. 81",
        reason="Individual insurance records are disclosed only to the insured or by law.",
    ))  # fmt: skip
    await step(db, lambda s: sharing.dispute_share_refusal(
        s, mkt, refused.id,
        reason="We ask for employer-level counts only, which Art. 81 does not protect.",
    ))  # fmt: skip

    # 4. Verification without disclosure: the register's set, one claim verified
    cadastre = await _resource_id(db, "JM-ZRZY-002")
    await step(db, lambda s: sharing.open_verification_set(s, land, cadastre))
    inputs = []
    for subject, item, value in REGISTER:  # the source department's side of the OPRF
        inputs += [oprf.claim_input(subject, item, value), oprf.subject_item_input(subject, item)]
    blinds = [oprf.blind(x) for x in inputs]
    evaluated = await step(db, lambda s: sharing.evaluate_blinded(
        s, land, cadastre, [b.hex() for _, b in blinds]
    ))  # fmt: skip
    digests = [
        oprf.finalize(x, oprf.unblind(bytes.fromhex(e), r))
        for x, (r, _), e in zip(inputs, blinds, evaluated, strict=True)
    ]
    pairs = list(zip(digests[0::2], digests[1::2], strict=True))
    await step(db, lambda s: sharing.upload_verification_batch(s, land, cadastre, pairs))
    subject, item, value = REGISTER[0]
    await step(db, lambda s: sharing.verify_data_claim(
        s, mkt, cadastre, subject_key=subject, item=item, claimed_value=value
    ))  # fmt: skip

    # 5. Art. 19: an anomaly in Market Regulation's open registry entry
    registry_entry = await _resource_id(db, "JM-SCJG-001")
    await step(db, lambda s: sharing.report_data_anomaly(
        s, hrss, registry_entry,
        text="Three enterprises deregistered in October still show as active.",
    ))  # fmt: skip
