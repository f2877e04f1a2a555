"""Tamper-evident ledger: canonical entries, RFC 9162 Merkle tree, BLS-signed checkpoints.

Domains record facts with `append(session, kind, actor, body, subjects=…, parties=…)` inside
their own transaction. `verify.py` and `merkle.py` need no database: an auditor can check an
exported bundle offline.

This `__init__` is lazy: a name is imported from its module on first use (PEP 562), so
`import ledger.verify` (the offline verifier) loads no database code; a test checks it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.audit import AuditReport, export_bundle, verify_database
    from ledger.canonical import stored_entry_bytes, subject_commitment
    from ledger.checkpoints import (
        SignedCheckpoint,
        Signer,
        get_checkpoint,
        latest_checkpoint,
        load_signer,
        message,
        publish_checkpoint,
        signed_checkpoint,
    )
    from ledger.entries import get_entry, list_entries
    from ledger.errors import Code
    from ledger.kinds import MEANINGS, Kind
    from ledger.log import (
        append,
        commitment_for,
        remember_salt,
        salt_column,
        subject_identity,
        subject_salt,
    )
    from ledger.models import Checkpoint, LedgerEntry, SubjectSalt, WitnessKey
    from ledger.proofs import (
        ConsistencyProof,
        InclusionProof,
        consistency_proof,
        current_inclusion_proofs,
        inclusion_proof,
        inclusion_proofs,
    )
    from ledger.sequencer import UNSEQUENCED, Fact, sequence_pending
    from ledger.verify import BundleReport, verify_bundle
    from ledger.witnesses import (
        cosign_checkpoint,
        get_witnesses,
        list_witnesses,
        register_witness_key,
    )

# name -> the module that defines it
_EXPORTS = {
    "AuditReport": "ledger.audit",
    "BundleReport": "ledger.verify",
    "Checkpoint": "ledger.models",
    "Fact": "ledger.sequencer",
    "UNSEQUENCED": "ledger.sequencer",
    "Code": "ledger.errors",
    "ConsistencyProof": "ledger.proofs",
    "InclusionProof": "ledger.proofs",
    "Kind": "ledger.kinds",
    "LedgerEntry": "ledger.models",
    "MEANINGS": "ledger.kinds",
    "SignedCheckpoint": "ledger.checkpoints",
    "Signer": "ledger.checkpoints",
    "SubjectSalt": "ledger.models",
    "WitnessKey": "ledger.models",
    "append": "ledger.log",
    "commitment_for": "ledger.log",
    "consistency_proof": "ledger.proofs",
    "cosign_checkpoint": "ledger.witnesses",
    "current_inclusion_proofs": "ledger.proofs",
    "export_bundle": "ledger.audit",
    "get_checkpoint": "ledger.checkpoints",
    "get_entry": "ledger.entries",
    "get_witnesses": "ledger.witnesses",
    "inclusion_proof": "ledger.proofs",
    "inclusion_proofs": "ledger.proofs",
    "latest_checkpoint": "ledger.checkpoints",
    "list_entries": "ledger.entries",
    "list_witnesses": "ledger.witnesses",
    "load_signer": "ledger.checkpoints",
    "message": "ledger.checkpoints",
    "publish_checkpoint": "ledger.checkpoints",
    "register_witness_key": "ledger.witnesses",
    "remember_salt": "ledger.log",
    "salt_column": "ledger.log",
    "sequence_pending": "ledger.sequencer",
    "signed_checkpoint": "ledger.checkpoints",
    "stored_entry_bytes": "ledger.canonical",
    "subject_commitment": "ledger.canonical",
    "subject_identity": "ledger.log",
    "subject_salt": "ledger.log",
    "verify_bundle": "ledger.verify",
    "verify_database": "ledger.audit",
}

__all__ = [
    "AuditReport",
    "BundleReport",
    "Checkpoint",
    "Code",
    "Fact",
    "ConsistencyProof",
    "InclusionProof",
    "Kind",
    "LedgerEntry",
    "MEANINGS",
    "SignedCheckpoint",
    "Signer",
    "SubjectSalt",
    "UNSEQUENCED",
    "WitnessKey",
    "append",
    "commitment_for",
    "consistency_proof",
    "cosign_checkpoint",
    "current_inclusion_proofs",
    "export_bundle",
    "get_checkpoint",
    "get_entry",
    "get_witnesses",
    "inclusion_proof",
    "inclusion_proofs",
    "latest_checkpoint",
    "list_entries",
    "list_witnesses",
    "load_signer",
    "message",
    "publish_checkpoint",
    "register_witness_key",
    "remember_salt",
    "salt_column",
    "sequence_pending",
    "signed_checkpoint",
    "stored_entry_bytes",
    "subject_commitment",
    "subject_identity",
    "subject_salt",
    "verify_bundle",
    "verify_database",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
