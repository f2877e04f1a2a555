"""The codes of the `UserError`s ledger raises (the ledger: witnesses, proofs).

Raise sites name a member (`UserError(Code.NAME_INVALID, …)`), never a string; the schema
builds each mutation's description from the members it can raise (`schema.errors.with_codes`),
and `tests/house/test_error_codes.py` fails when a mutation can raise a code its description
does not list. The codes live beside the rules that raise them (a domain's vocabulary, used by
demo and tests as well as the API); values are stable: programs match on them.
"""

from enum import StrEnum


class Code(StrEnum):
    ALREADY_COSIGNED = "ALREADY_COSIGNED"
    CHECKPOINT_MISMATCH = "CHECKPOINT_MISMATCH"
    CHECKPOINT_NOT_FOUND = "CHECKPOINT_NOT_FOUND"
    CONSISTENCY_NOT_CHECKED = "CONSISTENCY_NOT_CHECKED"
    HEX_INVALID = "HEX_INVALID"
    ORGANIZATION_REQUIRED = "ORGANIZATION_REQUIRED"
    PROOF_OF_POSSESSION_INVALID = "PROOF_OF_POSSESSION_INVALID"
    SEQ_OUT_OF_RANGE = "SEQ_OUT_OF_RANGE"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    STALE_CHECKPOINT = "STALE_CHECKPOINT"
    TREE_SIZE_INVALID = "TREE_SIZE_INVALID"
    WITNESS_ALREADY_REGISTERED = "WITNESS_ALREADY_REGISTERED"
    WITNESS_KEY_TAKEN = "WITNESS_KEY_TAKEN"
    WITNESS_NOT_REGISTERED = "WITNESS_NOT_REGISTERED"
