"""GraphQL for consent (Art. 27; PIPL Art. 15, 29): grants, revocation, the gate every data
use passes, the subject's dashboard, complaints, receipts and the `consentEvents` feed.
"""

from __future__ import annotations

from schema.consent import loaders  # registers the loaders and node types
from schema.consent.mutations import Mutation
from schema.consent.queries import Query
from schema.consent.subscriptions import Subscription
from schema.consent.types import Complaint, Consent, DataUse

QUERIES = (Query,)
MUTATIONS = (Mutation,)
SUBSCRIPTIONS = (Subscription,)
TYPES = (Consent, DataUse, Complaint)

__all__ = [
    "Complaint",
    "Consent",
    "DataUse",
    "MUTATIONS",
    "QUERIES",
    "SUBSCRIPTIONS",
    "TYPES",
    "loaders",
]
