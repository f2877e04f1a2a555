"""A real local identity provider for tests: an HTTP server publishing a JWKS with an RSA and
an EC key it generated, that signs tokens with them, can drop a key from its set, and can
hang (accept connections, never answer) like a provider in trouble."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://idp.test"


class IdentityProvider:
    def __init__(self) -> None:
        self.private = {
            "rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ec-1": ec.generate_private_key(ec.SECP256R1()),
        }
        self.algorithm = {"rsa-1": "RS256", "ec-1": "ES256"}
        self.published = set(self.private)
        self.fetches = 0
        self.hanging = False
        self._release = threading.Event()
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                provider.fetches += 1
                if provider.hanging:
                    provider._release.wait(60)  # holds the connection open, answers nothing
                    return
                body = json.dumps(provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> IdentityProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def hang(self, on: bool = True) -> None:
        self.hanging = on
        if on:
            self._release.clear()
        else:
            self._release.set()

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in sorted(self.published):
            public = self.private[kid].public_key()
            if isinstance(public, rsa.RSAPublicKey):
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
            else:
                jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
            jwk.update(kid=kid, use="sig", alg=self.algorithm[kid])
            keys.append(jwk)
        return {"keys": keys}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": "pdex",
            "sub": f"person-{uuid.uuid4().hex[:8]}",
            "org": None,
            "roles": ["auditor"],
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not ...}

    def token(
        self,
        kid: str = "rsa-1",
        *,
        key: str | None = None,
        alg: str | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token with the claims of `claims(**claims)`, signed with the private key `key`
        (default: the one of `kid`) under the header `alg` (default: that key's)."""
        signer = key or kid
        return jwt.encode(
            self.claims(**claims),
            self.private[signer],
            algorithm=alg or self.algorithm[signer],
            headers={"kid": kid, **(headers or {})},
        )
