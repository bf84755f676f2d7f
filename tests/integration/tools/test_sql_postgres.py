"""The read-only SQL path on a real PostgreSQL (the local server; a fresh database per run)."""

from __future__ import annotations

import psycopg
import pytest

from fixtures.tools import shopdb
from kefu.errors import BackendError
from kefu.store.testing import temporary_database
from kefu.tools.lookups import order_status
from kefu.tools.sqldb import QueryTimeout, ReadOnlyDB, policy_for
from kefu.tools.sqlguard import validate_sql

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_shop():
    with temporary_database("kefu_tools") as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            for stmt in shopdb.SCHEMA.split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.execute("INSERT INTO products VALUES ('LM-KT-103','Electric kettle','电热水壶','kitchen',199,'white',15)")
            conn.execute("INSERT INTO customers VALUES (1,'Wang Fang','13912340001',NULL,'Jiangsu','Suzhou','gold',"
                         "'2024-03-12')")
            conn.execute("INSERT INTO orders (order_no, customer_id, status, created_at, carrier, tracking_no, "
                         "subtotal, shipping_fee, total) VALUES ('LM2026110001',1,'shipped','2026-11-01','SF',"
                         "'SF123',199,0,199)")
            conn.execute("INSERT INTO order_items VALUES (1,'LM2026110001','LM-KT-103','white',1,199)")
        yield url


def test_reads_work_and_lookups_bind_parameters(pg_shop):
    db = ReadOnlyDB.from_url(pg_shop, timeout_s=5)
    order = order_status(db, "lm2026110001")
    assert order["status"] == "shipped" and order["items"][0]["sku"] == "LM-KT-103"
    assert order_status(db, "LM2099999999") is None


def test_the_connection_itself_refuses_writes(pg_shop):
    db = ReadOnlyDB.from_url(pg_shop, timeout_s=5)
    with pytest.raises(BackendError, match="read-only"):
        db.query("DELETE FROM orders")  # bypasses the validator on purpose: the transaction is READ ONLY
    assert db.query("SELECT count(*) AS n FROM orders").as_dicts() == [{"n": 1}]


def test_statement_timeout(pg_shop):
    db = ReadOnlyDB.from_url(pg_shop, timeout_s=1)
    with pytest.raises(QueryTimeout):
        db.query("SELECT pg_sleep(3)")


def test_validated_query_runs_on_postgres(pg_shop):
    db = ReadOnlyDB.from_url(pg_shop, timeout_s=5)
    policy = policy_for(db, shopdb.ALLOW, row_limit=10)
    sql = validate_sql("SELECT status, count(*) FROM orders GROUP BY status", policy)
    assert "LIMIT" in sql.upper()
    assert db.query(sql).rows == [("shipped", 1)]
