"""DataLoaders: every nested relation is fetched through one, in one statement per batch.

Each batch opens its own short read session, so sibling resolvers running concurrently
never share an `AsyncSession` and no connection is held while another is checked out.

A list field that knows its rows' relations will be asked for (it looked at the selection)
can `prefetch` them in the session it already holds: same statement, no second session.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

import broker
import consent
import ledger
import registry
from core import organizations
from core.db import AsyncSession, Database
from core.identity import Principal
from core.models import Organization

if TYPE_CHECKING:
    from schema.context import Context

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class SessionLoader(DataLoader[K, V]):
    """A DataLoader over a `fetch(session, keys)` function, which can also run in a session
    the caller already holds (`prefetch`)."""

    def __init__(
        self, db: Database, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[Sequence[V]]]
    ) -> None:
        async def batch(keys: list[K]) -> Sequence[V]:
            async with db.read() as session:
                return await fetch(session, keys)

        super().__init__(load_fn=batch)
        self.fetch = fetch

    async def prefetch(self, session: AsyncSession, keys: Iterable[K]) -> None:
        """Fetch the keys not loaded yet, in `session`, and prime the loader with them."""
        missing = [key for key in dict.fromkeys(keys) if self.cache_map.get(key) is None]
        if missing:
            self.prime_many(dict(zip(missing, await self.fetch(session, missing), strict=True)))


class Loaders:
    """The loaders of one request, created lazily so a request pays only for what it uses.

    Loaders of rows whose visibility depends on the caller (assets, listings) read the
    context's actor when first used: a socket sets it in `connection_init`, after the
    context is made but before any resolver runs."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.db = context.db

    @property
    def actor(self) -> Principal | None:
        return self.context.actor

    def _loader(
        self, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[Sequence[V]]]
    ) -> SessionLoader[K, V]:
        return SessionLoader(self.db, fetch)

    @cached_property
    def organization(self) -> SessionLoader[uuid.UUID, Organization | None]:
        return self._loader(organizations.get_organizations)

    @cached_property
    def resource_items(self) -> SessionLoader[uuid.UUID, list[registry.DataItem]]:
        return self._loader(registry.items_of)

    @cached_property
    def asset_sources(self) -> SessionLoader[uuid.UUID, list[registry.AssetSource]]:
        return self._loader(registry.sources_of)

    @cached_property
    def asset_objections(self) -> SessionLoader[uuid.UUID, list[registry.AssetObjection]]:
        return self._loader(registry.objections_of)

    @cached_property
    def asset_valuations(self) -> SessionLoader[uuid.UUID, list[registry.AssetValuation]]:
        return self._loader(registry.valuations_of)

    @cached_property
    def asset_current_valuation(self) -> SessionLoader[uuid.UUID, registry.AssetValuation | None]:
        return self._loader(registry.current_valuations)

    @cached_property
    def asset_assessments(self) -> SessionLoader[uuid.UUID, list[registry.QualityAssessment]]:
        return self._loader(registry.assessments_of)

    @cached_property
    def consent_items(self) -> SessionLoader[uuid.UUID, list[consent.ConsentItem]]:
        return self._loader(consent.items_of)

    @cached_property
    def consent(self) -> SessionLoader[uuid.UUID, consent.Consent | None]:
        """As visible to the caller."""
        return self._loader(lambda s, ids: consent.get_consents(s, self.actor, ids))

    @cached_property
    def consent_subject(self) -> SessionLoader[str, str]:
        """A subject's account id as the caller may see it (else its ledger commitment)."""
        return self._loader(lambda s, ids: consent.subjects_as_seen(s, self.actor, ids))

    @cached_property
    def inclusion_proof(self) -> SessionLoader[int, ledger.InclusionProof]:
        """Proofs against the tree as it is when the batch runs, keyed by entry seq."""
        return self._loader(ledger.current_inclusion_proofs)

    @cached_property
    def resource_history(self) -> SessionLoader[uuid.UUID, list[registry.ResourceChange]]:
        return self._loader(registry.history_of)

    @cached_property
    def asset(self) -> SessionLoader[uuid.UUID, registry.Asset | None]:
        """As visible to the caller."""
        return self._loader(lambda session, ids: registry.get_assets(session, self.actor, ids))

    @cached_property
    def resource(self) -> SessionLoader[uuid.UUID, registry.Resource | None]:
        """As visible to the caller."""
        return self._loader(lambda session, ids: registry.get_resources(session, self.actor, ids))

    @cached_property
    def listing(self) -> SessionLoader[uuid.UUID, broker.Listing | None]:
        """As visible to the caller."""
        return self._loader(lambda session, ids: broker.get_listings(session, self.actor, ids))

    @cached_property
    def licence_decisions(self) -> SessionLoader[uuid.UUID, list[broker.LicenceDecision]]:
        return self._loader(broker.decisions_of)

    @cached_property
    def flow_inputs(self) -> SessionLoader[uuid.UUID, list[broker.DataFlowInput]]:
        return self._loader(broker.inputs_of)

    @cached_property
    def flow_consents(
        self,
    ) -> SessionLoader[uuid.UUID, list[tuple[broker.DataFlowConsent, consent.Consent]]]:
        """As visible to the caller."""
        return self._loader(lambda session, ids: broker.consents_of(session, self.actor, ids))


def load_then(loader: DataLoader[K, V], key: K, convert: Callable[[V], T]) -> T | Awaitable[T]:
    """`convert(loader.load(key))`, at once when the value is already loaded (primed).

    A resolver returning a value rather than a coroutine skips a task and an await per row:
    on a page of 20 nested objects that was ~1 ms of a ~4 ms request.
    """
    future = loader.load(key)
    if future.done():
        return convert(future.result())

    async def later() -> T:
        return convert(await future)

    return later()
