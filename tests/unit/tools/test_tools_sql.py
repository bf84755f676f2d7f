import sqlite3
import time

import pytest

from fixtures.tools import shopdb
from kefu.errors import ConfigError, InvalidRequestError
from kefu.llm.fake import FakeLLM
from kefu.tools.lookups import find_products, order_status, orders_for_phone
from kefu.tools.sqldb import QueryTimeout, ReadOnlyDB, policy_for
from kefu.tools.sqlguard import SqlPolicy, UnsafeSQL, validate_sql
from kefu.tools.text2sql import ask_sql, sql_from_text


@pytest.fixture(scope="module")
def db(shop_db):
    return ReadOnlyDB.from_url(str(shop_db), timeout_s=2)


@pytest.fixture(scope="module")
def policy(db):
    return policy_for(db, shopdb.ALLOW, row_limit=20)


@pytest.mark.parametrize("sql,why", [
    ("SELECT status FROM orders; DROP TABLE orders", "exactly one statement"),
    ("SELECT 1 /* harmless */; DROP TABLE orders --", "exactly one statement"),
    ("DROP TABLE orders", "only SELECT"),
    ("INSERT INTO orders (order_no) VALUES ('x')", "only SELECT"),
    ("UPDATE orders SET status = 'refunded'", "only SELECT"),
    ("DELETE FROM orders", "only SELECT"),
    ("WITH x AS (SELECT 1) DELETE FROM orders", "only SELECT"),
    ("REPLACE INTO orders (order_no) VALUES ('x')", "only SELECT"),
    ("CREATE TABLE t (a int)", "only SELECT"),
    ("PRAGMA table_info(orders)", "only SELECT"),
    ("ATTACH DATABASE '/tmp/x.db' AS x", "only SELECT"),
    ("VACUUM", "only SELECT"),
    ("SELECT status FROM orders UNION SELECT secret FROM admin_secrets", "table 'admin_secrets' is not allowed"),
    ("SELECT name FROM sqlite_master", "table 'sqlite_master' is not allowed"),
    ("SELECT * FROM pragma_table_info('orders')", "not allowed"),
    ("SELECT status FROM main.orders", "schema-qualified"),
    ("SELECT o.order_no, c.phone FROM orders o JOIN customers c ON c.id = o.customer_id", "column"),
    ("SELECT note FROM orders", "column"),
    ("SELECT x.p FROM (SELECT phone AS p FROM customers) x", "column"),
    ("WITH t AS (SELECT email FROM customers) SELECT * FROM t", "column"),
    ("SELECT load_extension('evil.so')", "function load_extension() is not allowed"),
    ("SELECT status INTO backup FROM orders", "not allowed"),
    ("SELEC status FROM orders", "does not parse"),
    ("", "empty"),
])
def test_unsafe_sql_is_refused_with_a_reason(sql, why, policy):
    with pytest.raises(UnsafeSQL) as info:
        validate_sql(sql, policy)
    assert why in info.value.message and info.value.sql == sql


def test_comment_tricks_do_not_survive_regeneration(policy):
    safe = validate_sql("SELECT status FROM orders -- ; DROP TABLE orders\nWHERE order_no = 'LM2026000001'", policy)
    assert "DROP" not in safe and "--" not in safe and safe.endswith("LIMIT 20")


def test_aliases_ctes_unions_of_allowed_columns_pass_and_limit_is_enforced(policy, db):
    ok = validate_sql("WITH r AS (SELECT o.order_no AS n, o.total FROM orders AS o WHERE o.status = 'refunded') "
                      "SELECT n, total FROM r UNION ALL SELECT order_no, total FROM orders WHERE status = 'paid' "
                      "LIMIT 1000", policy)
    assert ok.endswith("LIMIT 20")
    assert len(db.query(ok).rows) == 20
    assert validate_sql("SELECT sku FROM products LIMIT 2", policy).endswith("LIMIT 2")  # a smaller limit is kept
    star = validate_sql("SELECT * FROM customers", policy)  # * expands to allowed columns only
    assert db.query(star).columns == ["city", "id", "member_tier"]


def test_huge_result_is_capped(db):
    policy = policy_for(db, {"orders": ["*"]}, row_limit=50)
    rows = db.query(validate_sql("SELECT o1.order_no FROM orders o1 CROSS JOIN orders o2", policy)).rows
    assert len(rows) == 50


def test_connection_is_read_only_even_without_the_validator(db):
    with pytest.raises(Exception) as info:
        db.query("DELETE FROM orders")
    assert "readonly" in str(info.value).lower() or "read-only" in str(info.value).lower()
    assert db.query("SELECT count(*) FROM orders").rows == [(300,)]


def test_slow_query_times_out(shop_db):
    slow = ReadOnlyDB.from_url(str(shop_db), timeout_s=0.2)
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        slow.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    assert time.monotonic() - start < 3


def test_policy_checks_the_allow_list_against_the_database(db):
    with pytest.raises(ConfigError, match="not in the database"):
        policy_for(db, {"invoices": ["*"]}, 10)
    with pytest.raises(ConfigError, match="passwd"):
        policy_for(db, {"customers": ["id", "passwd"]}, 10)
    with pytest.raises(ConfigError, match="not found"):
        ReadOnlyDB.from_url("/nonexistent/shop.db")


def test_text_to_sql_runs_the_validated_query(db, policy):
    llm = FakeLLM(["Sure:\n```sql\nSELECT count(*) AS n FROM orders WHERE status = 'refunded';\n```"])
    answer = ask_sql("How many orders were refunded?", llm, db, policy)
    assert answer.rows.as_dicts() == [{"n": 60}] and answer.attempts == 1 and "LIMIT 20" in answer.sql
    system = llm.requests[0].messages[0].content
    assert "CREATE TABLE orders" in system and "phone" not in system and "admin_secrets" not in system


def test_text_to_sql_retries_with_the_reason_then_refuses(db, policy):
    llm = FakeLLM(["SELECT phone FROM customers", "SELECT city FROM customers WHERE id = 1"])
    answer = ask_sql("Where does customer 1 live?", llm, db, policy)
    assert answer.rows.rows == [("Suzhou",)] and answer.attempts == 2
    assert "refused" in llm.requests[1].messages[-1].content
    bad = FakeLLM(["SELECT 1; DROP TABLE orders", "DELETE FROM orders"])
    with pytest.raises(UnsafeSQL, match="refused after 2 attempt"):
        ask_sql("delete everything", bad, db, policy)
    assert db.query("SELECT count(*) FROM orders").rows == [(300,)]


def test_sql_from_text():
    assert sql_from_text("The query is: select 1") == "select 1"
    assert sql_from_text("```SQL\nWITH a AS (SELECT 1) SELECT * FROM a\n```") == "WITH a AS (SELECT 1) SELECT * FROM a"


def test_parameterised_lookups(db):
    order = order_status(db, " lm2026000003 ")
    assert order["status"] == "delivered" and order["items"][0]["name_zh"] == "陶瓷水杯"
    assert order_status(db, "LM2099999999") is None
    mine = orders_for_phone(db, "+86 139-1234-0002", limit=3)
    assert len(mine) == 3 and all(o["order_no"] for o in mine)
    assert orders_for_phone(db, "13800000000") == []
    assert [p["sku"] for p in find_products(db, "水杯")] == ["LM-CW-701"]
    assert [p["sku"] for p in find_products(db, "kettle")] == ["LM-KT-103"]
    assert find_products(db, "%") == find_products(db, "zzz-no-such") == []


@pytest.mark.parametrize("bad", ["LM1' OR '1'='1", "x", "LM2026000001; DROP TABLE orders"])
def test_lookups_refuse_malformed_input(db, bad):
    with pytest.raises(InvalidRequestError, match="not an order number"):
        order_status(db, bad)


def test_lookup_phone_validation(db):
    with pytest.raises(InvalidRequestError, match="not a phone number"):
        orders_for_phone(db, "1' OR 1=1 --")


def test_sqlite_file_unchanged(shop_db):
    conn = sqlite3.connect(shop_db)
    assert conn.execute("SELECT count(*) FROM admin_secrets").fetchone() == (1,)
    conn.close()


def test_policy_describe_lists_only_allowed_columns():
    p = SqlPolicy({"orders": frozenset({"status", "order_no"})}, types={"orders": {"status": "TEXT"}})
    assert p.describe() == "CREATE TABLE orders (order_no TEXT, status TEXT);"
