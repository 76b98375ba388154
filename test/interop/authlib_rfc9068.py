"""Validates latchkey access tokens with Authlib's RFC 9068 validator, given only the JWKS.

Reads {"issuer", "audience", "jwks", "allow": [...], "tokens": [...]} as JSON on stdin; prints one JSON
result per token: {"ok": true, "alg": ..., "claims": {...}} or {"ok": false, "error": "..."}.

"allow" names algorithms this resource server accepts beyond joserfc's default set (HS256, RS256, ES256):
Authlib's validator passes no algorithm list to joserfc, so a resource server that wants Ed25519 says so here.
"""
import json
import sys

import warnings

from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from joserfc.jws import JWSRegistry


def main():
    warnings.simplefilter("ignore")  # Authlib's deprecation notices about its own internals
    spec = json.load(sys.stdin)
    for alg in spec.get("allow", []):
        if alg not in JWSRegistry.recommended:
            JWSRegistry.recommended.append(alg)

    class Validator(JWTBearerTokenValidator):
        def get_jwks(self):
            return spec["jwks"]

    validator = Validator(issuer=spec["issuer"], resource_server=spec["audience"])
    results = []
    for token in spec["tokens"]:
        try:
            claims = validator.authenticate_token(token)
            validator.validate_token(claims, scopes=None, request=None)
            results.append({"ok": True, "alg": claims.header["alg"], "claims": dict(claims)})
        except Exception as error:  # the test wants to see every refusal, whatever its class
            results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
