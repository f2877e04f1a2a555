"""GraphQL for the ledger: the input types."""

from __future__ import annotations

import strawberry


@strawberry.input
class RegisterWitnessKeyInput:
    public_key: str = strawberry.field(description="Compressed BLS12-381 G1 public key, hex.")
    proof_of_possession: str = strawberry.field(
        description="PopProve(sk) for the ciphersuite "
        "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, hex."
    )


@strawberry.input
class CosignCheckpointInput:
    tree_size: int
    root_hash: str = strawberry.field(description="The root you verified, hex.")
    from_size: int = strawberry.field(
        description="Your last co-signed size (0 the first time): "
        "the consistency proof you checked starts there."
    )
    signature: str = strawberry.field(
        description="Your BLS signature over the checkpoint `note`, hex."
    )
