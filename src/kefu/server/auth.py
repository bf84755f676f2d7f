"""API-key check for /v1 routes: ``Authorization: Bearer KEY`` (what OpenAI clients send)."""

from __future__ import annotations

import hmac

from fastapi import Request

from kefu.errors import AuthError


def require_api_key(request: Request) -> None:
    """FastAPI dependency: a no-op when no keys are configured."""
    keys: list[str] = request.app.state.kefu.settings.server.api_keys
    if not keys:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing API key", hint="send 'Authorization: Bearer YOUR_KEY'")
    if not any(hmac.compare_digest(token.strip(), k) for k in keys):
        raise AuthError("incorrect API key provided", hint="check the key configured in server.api_keys")
