"""GraphQL for the ledger: the DataLoaders and node types."""

from __future__ import annotations

import ledger
from schema.dataloaders import loader
from schema.ledger.types import Witness
from schema.relay import node_type

loader("inclusion_proof", ledger.current_inclusion_proofs)  # keyed by entry seq, as the tree is
loader("witness", ledger.get_witnesses)

node_type("Witness", "witness", Witness.from_row, public=True)
