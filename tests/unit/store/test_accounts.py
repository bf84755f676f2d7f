"""Console accounts, API keys, webhooks and deliveries (both backends); hashing helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.errors import InvalidRequestError
from kefu.store import Store
from kefu.store.models import utcnow
from kefu.store.security import hash_password, verify_password


def test_password_hashes_are_salted_scrypt() -> None:
    h1, h2 = hash_password("s3cret-pw"), hash_password("s3cret-pw")
    assert h1 != h2 and h1.startswith("scrypt$16384$8$1$")
    assert verify_password("s3cret-pw", h1) and not verify_password("s3cret-pX", h1)
    assert not verify_password("s3cret-pw", "garbage") and not verify_password("x", "md5$1$2$3$aa$bb")


def test_agents_authenticate(store: Store) -> None:
    admin = store.create_agent("root", "a long password", role="admin")
    assert admin.role == "admin" and admin.last_login_at is None
    ok = store.authenticate("root", "a long password")
    assert ok is not None and ok.id == admin.id and ok.last_login_at is not None
    assert store.authenticate("root", "wrong password") is None
    assert store.authenticate("nobody", "a long password") is None
    store.set_password(admin.id, "another password")
    assert store.authenticate("root", "a long password") is None
    assert store.authenticate("root", "another password") is not None
    store.set_agent_active(admin.id, False)
    assert store.authenticate("root", "another password") is None
    with pytest.raises(InvalidRequestError, match="taken"):
        store.create_agent("root", "whatever-123")
    with pytest.raises(InvalidRequestError, match="at least 8"):
        store.create_agent("short", "1234567")
    with pytest.raises(InvalidRequestError, match="role must be one of agent, admin"):
        store.create_agent("x", "password-123", role="owner")
    assert [a.username for a in store.list_agents()] == ["root"]


def test_api_keys_are_stored_hashed_and_can_be_revoked(store: Store) -> None:
    rec, key = store.create_api_key("crm")
    assert key.startswith("kefu-") and rec.prefix == key[:12]
    with store.engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalar()
    assert key not in stored  # only the hash is kept
    used = store.verify_api_key(key)
    assert used is not None and used.last_used_at is not None
    assert store.verify_api_key(key + "x") is None
    assert store.revoke_api_key(rec.id).revoked_at is not None
    assert store.verify_api_key(key) is None
    assert [k.name for k in store.list_api_keys()] == ["crm"]


def test_webhooks_enqueue_and_retry(store: Store) -> None:
    hook = store.add_webhook("https://crm.example/hook", ["handoff.opened", "conversation.closed"])
    store.add_webhook("https://all.example/hook", ["*"], secret="s")
    assert len(hook.secret) == 48
    assert [w.url for w in store.list_webhooks("feedback.created")] == ["https://all.example/hook"]
    deliveries = store.enqueue_event("handoff.opened", {"conversation_id": "c1"})
    assert len(deliveries) == 2 and all(d.status == "pending" for d in deliveries)
    assert len(store.due_deliveries()) == 2
    d = deliveries[0]
    retry = store.record_attempt(d.id, ok=False, status_code=503, error="busy", retry_at=utcnow() + timedelta(minutes=1))
    assert (retry.status, retry.attempts, retry.last_status_code) == ("pending", 1, 503)
    assert [x.id for x in store.due_deliveries()] == [deliveries[1].id]
    assert len(store.due_deliveries(now=utcnow() + timedelta(minutes=2))) == 2
    assert store.record_attempt(d.id, ok=True, status_code=200).status == "delivered"
    assert store.record_attempt(deliveries[1].id, ok=False, error="gone").status == "failed"
    store.remove_webhook(hook.id)
    assert [w.url for w in store.list_webhooks()] == ["https://all.example/hook"]
    with pytest.raises(InvalidRequestError, match="http"):
        store.add_webhook("ftp://x", ["*"])
