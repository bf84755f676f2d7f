"""Console accounts (agents/admins), API keys, and webhook subscriptions with their deliveries."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kefu.errors import InvalidRequestError
from kefu.store.core import StoreCore
from kefu.store.models import AGENT_ROLES, Agent, ApiKey, Webhook, WebhookDelivery, utcnow
from kefu.store.records import AgentRecord, ApiKeyRecord, DeliveryRecord, WebhookRecord, to_record
from kefu.store.security import hash_api_key, hash_password, new_api_key, verify_password


class AccountOps(StoreCore):
    # ---- agents --------------------------------------------------------------------------
    def create_agent(self, username: str, password: str, *, role: str = "agent",
                     display_name: str | None = None) -> AgentRecord:
        """Add a console account; the password is stored as a salted scrypt hash."""
        self._check(role, AGENT_ROLES, "role")
        if len(password) < 8:
            raise InvalidRequestError("the password must have at least 8 characters", param="password")
        try:
            with self._tx() as s:
                row = Agent(username=username, password_hash=hash_password(password), role=role,
                            display_name=display_name)
                s.add(row)
                s.flush()
                return to_record(AgentRecord, row)
        except IntegrityError as e:
            raise InvalidRequestError(f"username {username!r} is taken", param="username") from e

    def authenticate(self, username: str, password: str) -> AgentRecord | None:
        """The active agent with these credentials (and stamps last_login_at), else None."""
        with self._tx() as s:
            row = s.scalar(select(Agent).where(Agent.username == username))
            if row is None or not row.active or not verify_password(password, row.password_hash):
                return None
            row.last_login_at = utcnow()
            return to_record(AgentRecord, row)

    def get_agent(self, agent_id: int) -> AgentRecord:
        with self._tx(write=False) as s:
            return to_record(AgentRecord, self._get(s, Agent, agent_id, "agent"))

    def list_agents(self) -> list[AgentRecord]:
        with self._tx(write=False) as s:
            return [to_record(AgentRecord, r) for r in s.scalars(select(Agent).order_by(Agent.id)).all()]

    def set_password(self, agent_id: int, password: str) -> None:
        if len(password) < 8:
            raise InvalidRequestError("the password must have at least 8 characters", param="password")
        with self._tx() as s:
            self._get(s, Agent, agent_id, "agent").password_hash = hash_password(password)

    def set_agent_active(self, agent_id: int, active: bool) -> AgentRecord:
        with self._tx() as s:
            row = self._get(s, Agent, agent_id, "agent")
            row.active = active
            return to_record(AgentRecord, row)

    # ---- API keys ------------------------------------------------------------------------
    def create_api_key(self, name: str) -> tuple[ApiKeyRecord, str]:
        """A new key; the plain key is returned once and never stored (only its SHA-256)."""
        key = new_api_key()
        with self._tx() as s:
            row = ApiKey(name=name, prefix=key[:12], key_hash=hash_api_key(key))
            s.add(row)
            s.flush()
            return to_record(ApiKeyRecord, row), key

    def verify_api_key(self, key: str) -> ApiKeyRecord | None:
        """The key's record if it exists and is not revoked (stamps last_used_at), else None."""
        with self._tx() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
            if row is None or row.revoked_at is not None:
                return None
            row.last_used_at = utcnow()
            return to_record(ApiKeyRecord, row)

    def revoke_api_key(self, key_id: int) -> ApiKeyRecord:
        with self._tx() as s:
            row = self._get(s, ApiKey, key_id, "api key")
            row.revoked_at = row.revoked_at or utcnow()
            return to_record(ApiKeyRecord, row)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        with self._tx(write=False) as s:
            return [to_record(ApiKeyRecord, r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id)).all()]

    # ---- webhooks ------------------------------------------------------------------------
    def add_webhook(self, url: str, events: list[str], secret: str | None = None) -> WebhookRecord:
        """Subscribe ``url`` to ``events`` (e.g. handoff.opened, feedback.created, conversation.closed)."""
        if not url.startswith(("http://", "https://")):
            raise InvalidRequestError(f"webhook url must start with http:// or https://; got {url!r}", param="url")
        if not events:
            raise InvalidRequestError("a webhook needs at least one event", param="events")
        with self._tx() as s:
            row = Webhook(url=url, events=list(events), secret=secret or secrets.token_hex(24))
            s.add(row)
            s.flush()
            return to_record(WebhookRecord, row)

    def list_webhooks(self, event: str | None = None, *, active_only: bool = True) -> list[WebhookRecord]:
        """Webhooks, optionally only those subscribed to ``event`` (filtered in Python: JSON list)."""
        q = select(Webhook).order_by(Webhook.id)
        if active_only:
            q = q.where(Webhook.active.is_(True))
        with self._tx(write=False) as s:
            rows = [to_record(WebhookRecord, r) for r in s.scalars(q).all()]
        return [w for w in rows if event is None or event in w.events or "*" in w.events]

    def remove_webhook(self, webhook_id: int) -> None:
        with self._tx() as s:
            s.delete(self._get(s, Webhook, webhook_id, "webhook"))

    def enqueue_event(self, event: str, payload: dict[str, Any]) -> list[DeliveryRecord]:
        """One pending delivery per active webhook subscribed to ``event``."""
        hooks = self.list_webhooks(event)
        with self._tx() as s:
            rows = [WebhookDelivery(webhook_id=h.id, event=event, payload=payload, status="pending")
                    for h in hooks]
            s.add_all(rows)
            s.flush()
            return [to_record(DeliveryRecord, r) for r in rows]

    def due_deliveries(self, now: datetime | None = None, limit: int = 50) -> list[DeliveryRecord]:
        """Pending deliveries whose next attempt is due, oldest first."""
        q = (select(WebhookDelivery).where(WebhookDelivery.status == "pending",
                                           WebhookDelivery.next_attempt_at <= (now or utcnow()))
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        with self._tx(write=False) as s:
            return [to_record(DeliveryRecord, r) for r in s.scalars(q).all()]

    def record_attempt(self, delivery_id: int, *, ok: bool, status_code: int | None = None,
                       error: str | None = None, retry_at: datetime | None = None) -> DeliveryRecord:
        """Log one attempt: ok -> delivered; failed with ``retry_at`` -> pending again, else failed."""
        with self._tx() as s:
            row = self._get(s, WebhookDelivery, delivery_id, "delivery")
            row.attempts += 1
            row.last_status_code, row.last_error = status_code, error
            if ok:
                row.status, row.delivered_at = "delivered", utcnow()
            elif retry_at is not None:
                row.status, row.next_attempt_at = "pending", retry_at
            else:
                row.status = "failed"
            return to_record(DeliveryRecord, row)
