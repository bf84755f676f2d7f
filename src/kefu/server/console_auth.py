"""Console logins: signed session cookies, the first admin account, role checks.

Sessions are *stateless signed cookies* (itsdangerous is not a dependency, so the signing is
written here with the standard library's ``hmac``): the cookie holds
``base64(json{"a": agent_id, "e": expiry, "n": nonce}) + "." + hex(HMAC-SHA256(secret, payload))``.
They survive a server restart and work across replicas sharing ``console.session_secret``.
Limits: a logout revokes the nonce in this process only (other replicas accept the cookie until it
expires); a deactivated agent is refused at once (the account is checked on every request).

    auth = ConsoleAuth(secret=b"k" * 32, hours=12)
    cookie = auth.issue(agent_id=1)
    auth.verify(cookie)            # -> 1, or None when tampered with / expired / logged out
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import Request

from kefu.config import Settings
from kefu.errors import AuthError, KefuError

log = logging.getLogger("kefu.console")

COOKIE = "kefu_console"


class ForbiddenError(KefuError):
    """Logged in, but the role does not allow this action."""

    status = 403
    type = "permission_error"
    code = "forbidden"


class ConsoleAuth:
    def __init__(self, secret: bytes, hours: float = 12.0) -> None:
        if len(secret) < 16:
            raise ValueError("console session secret must be at least 16 bytes")
        self.secret = secret
        self.ttl_s = hours * 3600
        self._revoked: dict[str, float] = {}  # nonce -> expiry
        self._lock = threading.Lock()

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def issue(self, agent_id: int) -> str:
        body = json.dumps({"a": agent_id, "e": int(time.time() + self.ttl_s), "n": secrets.token_hex(8)},
                          separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(body).rstrip(b"=")
        return f"{payload.decode()}.{self._sign(payload)}"

    def _claims(self, cookie: str) -> dict[str, Any] | None:
        payload, _, sig = cookie.partition(".")
        if not payload or not sig or not hmac.compare_digest(sig, self._sign(payload.encode())):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(claims, dict) or claims.get("e", 0) < time.time():
            return None
        with self._lock:
            if claims.get("n") in self._revoked:
                return None
        return claims

    def verify(self, cookie: str | None) -> int | None:
        """The agent id in a valid cookie, else None."""
        claims = self._claims(cookie) if cookie else None
        return int(claims["a"]) if claims else None

    def revoke(self, cookie: str | None) -> None:
        claims = self._claims(cookie) if cookie else None
        if claims is None:
            return
        now = time.time()
        with self._lock:
            self._revoked = {n: e for n, e in self._revoked.items() if e > now}  # forget expired ones
            self._revoked[str(claims["n"])] = float(claims["e"])


def _secret_file(path: Path) -> str:
    """Read a generated secret, creating it (mode 600) the first time."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def session_secret(settings: Settings) -> bytes:
    configured = settings.console.session_secret
    if configured:
        return configured.encode()
    return _secret_file(Path(settings.data_dir).expanduser() / "console-secret.txt").encode()


def bootstrap_admin(store: Any, settings: Settings) -> str | None:
    """Create the first admin when there are no console accounts. The password comes from
    ``console.admin_password`` (``KEFU_CONSOLE__ADMIN_PASSWORD``), else it is generated, logged once
    and saved to ``data_dir/admin-password.txt``. Returns the username created, or None."""
    if store.list_agents():
        return None
    c = settings.console
    password = c.admin_password
    if not password:
        path = Path(settings.data_dir).expanduser() / "admin-password.txt"
        password = _secret_file(path)[:20]
        path.write_text(password + "\n", encoding="utf-8")
        log.warning("console admin account %r created; password: %s (also in %s)", c.admin_username, password, path)
        print(f"kefu console: admin account {c.admin_username!r}, password {password} (saved to {path})",
              flush=True)
    store.create_agent(c.admin_username, password, role="admin", display_name="Administrator")
    return c.admin_username


def current_agent(request: Request) -> Any:
    """FastAPI dependency: the logged-in, active agent (AgentRecord) or 401."""
    state = request.app.state.kefu
    auth: ConsoleAuth | None = state.extras.get("console_auth")
    if auth is None:
        raise KefuError("the console is still starting", hint="retry in a few seconds")
    agent_id = auth.verify(request.cookies.get(COOKIE))
    if agent_id is None:
        raise AuthError("not logged in to the console", hint="POST /console/api/login with username and password",
                        code="not_logged_in")
    from kefu.store import NotFoundError

    try:
        agent = state.extras["store"].get_agent(agent_id)
    except NotFoundError:
        agent = None
    if agent is None or not agent.active:
        raise AuthError("this console account no longer exists or is deactivated",
                        hint="ask an admin to reactivate it", code="account_inactive")
    return agent


def require_admin(request: Request) -> Any:
    """FastAPI dependency: like :func:`current_agent`, and the agent must be an admin (else 403)."""
    agent = current_agent(request)
    if agent.role != "admin":
        raise ForbiddenError(f"{agent.username!r} is an agent; this needs an admin account",
                             hint="ask an admin to do it")
    return agent
