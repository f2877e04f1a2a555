"""The GraphQL schema: one package per domain, merged here.

`build_schema(settings)` is called once per process; the limits and caches it installs are
built once with it.

How the schema is laid out, and how to add a domain:

- `schema/<domain>/` holds one domain's GraphQL, in the same files in every package:
  `enums.py` (strawberry enums over the domain's enums), `inputs.py` (input types),
  `types.py` (object types, each with `from_row`), `loaders.py` (the domain's batch getters
  registered as request DataLoaders with `loader`/`visible_loader`, and its node types with
  `relay.node_type`), `queries.py` (`Query` classes), `mutations.py` (`Mutation` classes and
  their payloads); `subscriptions.py` where it has some. A package imports another only
  through that package's `__init__`.
- The package's `__init__.py` exports what it adds: `QUERIES`, `MUTATIONS`,
  `SUBSCRIPTIONS` (tuples of classes), `TYPES` (object types that must be in the schema even
  if no field returns them, e.g. node types), and the types other packages refer to. Importing
  the package registers its loaders and node types.
- Shared pieces (the kit): `relay.py` (Node, global IDs, connections, node types,
  `resolve_node`, and `page_connection` — the one way a list pages and prefetches what the
  query selects), `errors.py` (`UserError` type, `perform` — the one mutation runner —,
  `payload`, `with_codes`, the API's own `Code`s, and error masking), `sanitize.py` (the one
  check of every string argument), `limits.py`,
  `context.py`, `dataloaders.py` (`SessionLoader`, the loader registry, `load_then`).
- A mutation resolver calls one use case through `payload(info, lambda s, a: ..., XPayload,
  x=X.from_row)` (or `perform` when its payload is not one object), which runs it in one
  transaction (`core.usecase.run`) and turns a `UserError` into `userErrors`; its description
  is `with_codes(text, Code.A, …)`, every code it can raise (`tests/house/`).
- To add a domain: create `schema/<domain>/` as above and add the package to `DOMAINS`
  below. Nothing else here changes.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import strawberry
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import merge_types

from core.settings import Settings
from schema import (
    broker,
    calendar,
    consent,
    ledger,
    organizations,
    registry,
    regulation,
    sharing,
    supervision,
)
from schema.compiled import CompiledReads, PlanCache, by_id
from schema.context import Info
from schema.errors import CodedParserCache, ErrorPolicy, PdexSchema
from schema.limits import QueryLimits, validation_rules
from schema.relay import Node, from_global_id, resolve_node
from schema.sanitize import InputSanitizer

__all__ = ["SDL_PATH", "build_schema"]

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"

# The domains, in the order their fields appear in the SDL.
DOMAINS = (
    organizations, calendar, ledger, registry, consent, broker, sharing, supervision, regulation,
)  # fmt: skip


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID (Relay).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, row_id = from_global_id(id)
        return await resolve_node(info, type_name, row_id)  # type: ignore[no-any-return]


by_id("node")  # compiled (schema.compiled) for the node types that describe themselves


Query = merge_types("Query", (NodeQuery, *chain.from_iterable(d.QUERIES for d in DOMAINS)))
Mutation = merge_types("Mutation", tuple(chain.from_iterable(d.MUTATIONS for d in DOMAINS)))
Subscription = merge_types(
    "Subscription", tuple(chain.from_iterable(d.SUBSCRIPTIONS for d in DOMAINS))
)
OBJECT_TYPES = list(chain.from_iterable(d.TYPES for d in DOMAINS))


class CachedNameConverter(NameConverter):
    """strawberry converts every argument's Python name to camelCase on every request
    (`convert_arguments`): 5.5 % of the organisation page's CPU in a profile (issue 14).
    The names are the schema's, a fixed set: convert each once."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


def build_schema(settings: Settings) -> PdexSchema:
    rules = validation_rules(settings)
    plans = PlanCache()  # compiled reads, planned once per document (schema.compiled)
    max_tokens = settings.max_tokens
    schema = PdexSchema(
        config=StrawberryConfig(name_converter=CachedNameConverter()),
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=OBJECT_TYPES,
        extensions=[
            ErrorPolicy,
            lambda: QueryLimits(rules, max_tokens),  # the same rule classes every request
            InputSanitizer,  # every string argument, literal or variable (issue 10 §4)
            lambda: CodedParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            *([lambda: CompiledReads(plans)] if settings.compiled_reads else []),
        ],
    )
    # What the lean HTTP path (server.lean) runs these extensions' steps with.
    schema.limit_rules, schema.max_tokens = rules, max_tokens
    schema.plans = plans if settings.compiled_reads else None
    return schema
