"""Per-request context: who is calling, the database, and this request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry

from core.db import Database
from core.identity import Principal
from core.settings import Settings
from ledger import Signer
from schema.dataloaders import Loaders


@dataclass
class Context:
    db: Database
    settings: Settings
    actor: Principal | None
    signer: Signer
    request_id: str
    # graphql-transport-ws: the `connection_init` payload (where a socket's token travels).
    connection_params: dict[str, object] | None = None
    # Built fresh for every request: a loader shared across requests would serve stale rows
    # and leak one tenant's rows to another.
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)


Info = strawberry.Info[Context, None]
"""What resolvers receive: `info.context` is a `Context`."""
