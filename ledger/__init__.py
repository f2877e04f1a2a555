"""Tamper-evident ledger: canonical entries, RFC 9162 Merkle tree, BLS-signed checkpoints.

Domains record facts with `append(session, kind, actor, body, subjects=…, parties=…)` inside
their own transaction. `verify.py` and `merkle.py` need no database: an auditor can check an
exported bundle offline.
"""

from ledger.checkpoints import (
    SignedCheckpoint,
    Signer,
    get_checkpoint,
    latest_checkpoint,
    load_signer,
    publish_checkpoint,
    signed_checkpoint,
)
from ledger.entries import get_entry, list_entries
from ledger.log import (
    append,
    commitment_for,
    remember_salt,
    salt_column,
    subject_identity,
    subject_salt,
)
from ledger.models import Checkpoint, LedgerEntry, WitnessKey
from ledger.proofs import (
    ConsistencyProof,
    InclusionProof,
    consistency_proof,
    current_inclusion_proofs,
    inclusion_proof,
    inclusion_proofs,
)
from ledger.witnesses import cosign_checkpoint, get_witnesses, list_witnesses, register_witness_key

__all__ = [
    "Checkpoint",
    "ConsistencyProof",
    "InclusionProof",
    "LedgerEntry",
    "SignedCheckpoint",
    "Signer",
    "WitnessKey",
    "append",
    "commitment_for",
    "consistency_proof",
    "cosign_checkpoint",
    "get_checkpoint",
    "get_entry",
    "get_witnesses",
    "current_inclusion_proofs",
    "inclusion_proof",
    "inclusion_proofs",
    "latest_checkpoint",
    "list_entries",
    "list_witnesses",
    "load_signer",
    "publish_checkpoint",
    "register_witness_key",
    "remember_salt",
    "salt_column",
    "signed_checkpoint",
    "subject_identity",
    "subject_salt",
]
