"""The consent receipt: what the subject keeps to prove what they agreed to, and when.

The shape is the Kantara Initiative Consent Receipt Specification v1.1, with the ledger
proof added under `pdexLedger`: the grant's (and any revocation's) entry seq, an RFC 9162
inclusion proof against a checkpoint the platform signed, and the subject's salt, so the
subject can show the commitment in the entry is theirs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import ledger
from consent.grants import items_of
from consent.models import CertificateType, Consent, ConsentItem
from consent.rules import CERTIFICATE_PREFIX, SENSITIVE_CERTIFICATES, status_of
from core.clock import now
from core.db import Database
from core.identity import Principal, Role, require
from core.models import Organization
from ledger import SubjectSalt, message, subject_commitment

KANTARA_VERSION = "KI-CR-v1.1.0"
JURISDICTION = "CN-GD"  # Guangdong (ISO 3166-2), Jiangmen municipality
POLICY_URL = "https://www.jiangmen.gov.cn/"  # where the municipal measures are published
COLLECTION_METHOD = "pdex grantConsent: explicit, by the data subject, through the exchange API"


@dataclass(frozen=True)
class Receipt:
    consent: Consent
    items: list[ConsentItem]
    grantee: Organization
    salt: bytes
    checkpoint: ledger.Checkpoint
    signed: ledger.SignedCheckpoint  # with the witnesses' co-signatures
    proofs: list[ledger.InclusionProof]

    @property
    def commitment(self) -> str:
        return subject_commitment(self.salt, self.consent.subject)


async def consent_receipt(
    db: Database, signer: ledger.Signer, actor: Principal | None, consent_id: uuid.UUID
) -> Receipt | None:
    """The subject's receipt for their consent; None if it is not theirs or does not exist
    (or its subject's salt was erased, so no commitment can be shown to be theirs).

    Signs a checkpoint at once if none yet covers the entries (the server signs one every
    few seconds anyway), so the proof is always against a signed tree."""
    actor = require(actor, Role.DATA_SUBJECT)
    async with db.read() as session:
        consent = await session.get(Consent, consent_id)
        if consent is None or consent.subject != actor.subject:
            return None
        seqs = [consent.ledger_seq]
        if consent.revoke_seq is not None:
            seqs.append(consent.revoke_seq)
        checkpoint = await ledger.latest_checkpoint(session)
    if checkpoint is None or checkpoint.tree_size <= max(seqs):
        checkpoint = await ledger.publish_checkpoint(db, signer)
        assert checkpoint is not None and checkpoint.tree_size > max(seqs)
    async with db.read() as session:  # a GET: reads only, never the (SQLite) writer's turn
        salt = await session.scalar(
            sa.select(SubjectSalt.salt).where(SubjectSalt.subject_id == consent.subject)
        )
        if salt is None:  # made at the grant; gone only if erased (PIPL Art. 47): no proof
            return None
        (items,) = await items_of(session, [consent.id])
        grantee = await session.get(Organization, consent.grantee_id)
        assert grantee is not None
        proofs = await ledger.inclusion_proofs(session, seqs, checkpoint.tree_size)
        signed = await ledger.signed_checkpoint(session, checkpoint)
    return Receipt(consent, items, grantee, salt, checkpoint, signed, proofs)


def _proof(proof: ledger.InclusionProof) -> dict[str, Any]:
    return {
        "seq": proof.seq,
        "treeSize": proof.tree_size,
        "leafHash": proof.leaf_hash.hex(),
        "hashes": [h.hex() for h in proof.hashes],
        "rootHash": proof.root_hash.hex(),
    }


def _spi_categories(items: list[ConsentItem]) -> list[str]:
    categories = set()
    for item in items:
        if not item.sensitive:
            continue
        if item.item.startswith(CERTIFICATE_PREFIX):
            kind = CertificateType(item.item.removeprefix(CERTIFICATE_PREFIX))
            categories.update(c.strip() for c in SENSITIVE_CERTIFICATES[kind].split(" and "))
        else:
            categories.add("sensitive personal information (PIPL Art. 28)")
    return sorted(categories)


def kantara(receipt: Receipt) -> dict[str, Any]:
    """The receipt as Kantara Consent Receipt v1.1 JSON, plus `pdexLedger` (the proof)."""
    c, grantee, checkpoint = receipt.consent, receipt.grantee, receipt.checkpoint
    termination = f"Valid until {c.valid_until.isoformat()}, or until revoked by the subject."
    if c.max_uses is not None:
        termination += f" At most {c.max_uses} use(s)."
    if c.uses_per_period is not None:
        termination += f" At most {c.uses_per_period} use(s) in any {c.frequency}."
    if c.data_life is not None:
        termination += f" Data fetched is kept at most {c.data_life}."
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": int(c.created_at.timestamp()),
        "collectionMethod": COLLECTION_METHOD,
        "consentReceiptID": str(c.id),
        "publicKey": checkpoint.public_key,
        "language": "en",
        "piiPrincipalId": receipt.commitment,
        "piiControllers": [
            {
                "piiController": grantee.name,
                "onBehalf": False,
                "contact": grantee.name,
                "address": {"country": "CN"},
                "email": "",
                "phone": "",
                "piiControllerUrl": "",
                "uscc": grantee.uscc,
            }
        ],
        "policyUrl": POLICY_URL,
        "services": [
            {
                "service": c.scenario or c.purpose,
                "purposes": [
                    {
                        "purpose": c.purpose,
                        "purposeCategory": [c.scenario] if c.scenario else [],
                        "consentType": "EXPLICIT",
                        "piiCategory": [i.item for i in receipt.items],
                        "primaryPurpose": True,
                        "termination": termination,
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": grantee.name,
                    }
                ],
            }
        ],
        "sensitive": any(i.sensitive for i in receipt.items),
        "spiCat": _spi_categories(receipt.items),
        "pdexConsent": {
            "status": status_of(c, now()).value,
            "validFrom": c.valid_from.isoformat(),
            "validUntil": c.valid_until.isoformat(),
            "mode": c.mode.value,
            "frequency": c.frequency,
            "maxUses": c.max_uses,
            "usesPerPeriod": c.uses_per_period,
            "dataLife": c.data_life,
            "uses": c.uses,
            "separate": c.separate,
            "revokedAt": c.revoked_at.isoformat() if c.revoked_at else None,
        },
        "pdexLedger": {
            "grantSeq": c.ledger_seq,
            "revokeSeq": c.revoke_seq,
            "subjectSalt": receipt.salt.hex(),
            "checkpoint": {
                "origin": checkpoint.origin,
                "treeSize": checkpoint.tree_size,
                "rootHash": checkpoint.root_hash,
                "timestamp": checkpoint.timestamp,
                "note": message(checkpoint).decode(),
                "publicKey": checkpoint.public_key,
                "signature": checkpoint.signature,
                "aggregateSignature": receipt.signed.aggregate_signature.hex(),
                "signerKeys": [k.hex() for k in receipt.signed.signer_keys],
            },
            "inclusionProofs": [_proof(p) for p in receipt.proofs],
        },
    }
