"""`GET /catalogue.jsonld`: the open catalogue (Art. 18) as DCAT 2 JSON-LD, for harvesters
such as national open-data portals. No token needed: only OPEN entries are listed."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import registry
from core.db import Database

# EU Publications Office frequency vocabulary, which DCAT profiles use for accrualPeriodicity.
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
PERIODICITY = {
    registry.UpdateFrequency.REALTIME: FREQUENCY + "CONT",
    registry.UpdateFrequency.DAILY: FREQUENCY + "DAILY",
    registry.UpdateFrequency.WEEKLY: FREQUENCY + "WEEKLY",
    registry.UpdateFrequency.MONTHLY: FREQUENCY + "MONTHLY",
    registry.UpdateFrequency.QUARTERLY: FREQUENCY + "QUARTERLY",
    registry.UpdateFrequency.YEARLY: FREQUENCY + "ANNUAL",
    registry.UpdateFrequency.ON_CHANGE: FREQUENCY + "IRREG",
}
ACCESS = {  # Art. 10: how the platform delivers it
    registry.Delivery.TABLE: "database table",
    registry.Delivery.API: "API",
    registry.Delivery.FILE: "file",
}
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # `pdex serve` sets PDEX_PUBLIC_URL from --host/--port
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}


def dataset(resource: registry.Resource, publisher: str, base: str) -> dict[str, Any]:
    return {
        "@id": f"{base}/catalogue/{resource.code}",
        "@type": "dcat:Dataset",
        "dct:identifier": resource.code,
        "dct:title": resource.name,
        "dct:description": resource.description,
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": publisher},
        "dct:accrualPeriodicity": {"@id": PERIODICITY[resource.update_frequency]},
        "dct:issued": resource.created_at.isoformat(),
        **(
            {"dct:modified": resource.last_updated_at.isoformat()}
            if resource.last_updated_at
            else {}
        ),
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:title": f"{resource.name} ({ACCESS[resource.delivery]})",
                "dct:format": resource.delivery.value,
            }
        ],
    }


async def open_catalogue(request: Request) -> Response:
    db: Database = request.app.state.db
    async with db.read() as session:
        rows = await registry.open_catalogue(session)
    # The configured public address, never the request's Host header (which anyone can set).
    base = request.app.state.settings.public_url or DEFAULT_PUBLIC_URL
    document = {
        "@context": CONTEXT,
        "@id": f"{base}/catalogue.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "Jiangmen open public data catalogue",
        "dcat:dataset": [dataset(resource, publisher, base) for resource, publisher in rows],
    }
    return JSONResponse(document, media_type="application/ld+json")
