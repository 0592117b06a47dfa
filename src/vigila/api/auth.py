"""API keys: random tokens shown once, stored as SHA-256 digests, checked per scope.

Keys carry 256 bits of entropy, so a fast hash is enough: nobody can guess a
preimage, and a leaked store reveals no key.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request

from vigila.api.responses import ApiError
from vigila.store.base import ApiKey, Store

SCOPES = ("ingest", "read", "admin")
KEY_PREFIX = "vgl_"


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(store: Store, name: str, scopes: list[str], now_ms: int) -> str:
    """Store a new key and return its token: the only time the token is visible."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; allowed: {', '.join(SCOPES)}")
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    store.add_api_key(ApiKey(name, token[:10], sorted(scopes), now_ms), hash_key(token))
    return token


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key") or None


class Authorizer:
    """Checks a request's key for a scope when the profile requires keys."""

    def __init__(self, store: Store, required: bool) -> None:
        self._store = store
        self.required = required

    def check(self, request: Request, scope: str) -> ApiKey | None:
        if not self.required:
            return None
        token = presented_token(request)
        if not token:
            raise ApiError(401, "unauthenticated",
                           "an API key is required: send 'Authorization: Bearer <key>'",
                           {"WWW-Authenticate": "Bearer"})
        key = self._store.api_key_by_hash(hash_key(token))
        if key is None or key.revoked_ms is not None:
            raise ApiError(401, "unauthenticated", "the API key is unknown or revoked",
                           {"WWW-Authenticate": "Bearer"})
        if scope not in key.scopes and "admin" not in key.scopes:
            raise ApiError(403, "forbidden",
                           f"the API key {key.name!r} lacks the {scope!r} scope")
        return key
