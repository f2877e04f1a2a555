"""`GET /consents/{id}/receipt`: the subject's Kantara consent receipt with the ledger proof.

Only the consent's subject gets it: no token is 401, a token without the data_subject role
403, and a consent that is not theirs (or does not exist) 404, so ids reveal nothing.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import consent
from core.errors import AuthError, Unauthenticated, UserError
from schema.relay import from_global_id


def _consent_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        pass
    try:
        return from_global_id(raw, "Consent")[1]
    except UserError:
        return None


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def consent_receipt(request: Request) -> Response:
    """Behind `server.app.Authenticate`, which answers a bad token with 401 and leaves the
    verified caller (or None) on the request."""
    state = request.app.state
    try:
        consent_id = _consent_id(request.path_params["id"])
        receipt = None
        if consent_id is not None:
            receipt = await consent.consent_receipt(
                state.db, state.signer, request.state.actor, consent_id
            )
    except Unauthenticated as exc:
        return _error(401, exc.code, str(exc))
    except AuthError as exc:
        return _error(403, exc.code, str(exc))
    if receipt is None:
        return _error(404, "NOT_FOUND", "You have no consent with this id.")
    return JSONResponse(consent.kantara(receipt))
