"""A source department's data service, outside pdex: it verifies an access ticket offline
against the platform's published keys (a JWKS file fetched once) with joserfc, a JOSE
library pdex does not use, and prints what it may release.

    python data_service.py JWKS_FILE AUDIENCE < ticket      → JSON claims, exit 0
                                                            → "refused: …", exit 1
"""

import json
import sys
import time
from pathlib import Path

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


def main() -> int:
    keys = KeySet.import_key_set(json.loads(Path(sys.argv[1]).read_text()))
    token = sys.stdin.read().strip()
    try:
        verified = jwt.decode(token, keys, algorithms=["EdDSA", "Ed25519"])
        jwt.JWTClaimsRegistry(
            now=int(time.time()),
            iss={"essential": True, "value": "pdex"},
            aud={"essential": True, "value": sys.argv[2]},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(verified.claims)
    except (JoseError, ValueError) as exc:
        print(f"refused: {type(exc).__name__}")
        return 1
    print(json.dumps(verified.claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
