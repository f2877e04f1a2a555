"""The resource catalogue and data registrations (Art. 8-11, 14, 18, 25).

So far: data items and their one source department (Art. 8).
"""

from registry.items import claim_data_item, find_item, get_items, list_items, transfer_data_item
from registry.models import DataItem

__all__ = [
    "DataItem",
    "claim_data_item",
    "find_item",
    "get_items",
    "list_items",
    "transfer_data_item",
]
