"""Safe, parameterised lookups the assistant runs for a customer (no model-written SQL).

    db = ReadOnlyDB.from_url("orders.db")
    order_status(db, "KF20260001")      # {"order_no": ..., "status": "shipped", "carrier": ..., "items": [...]}
    orders_for_phone(db, "13912340001") # newest first, at most 10
    find_products(db, "水杯")            # by SKU, or name (en/zh) containing the words

The queries assume the demo orders schema (tables orders, order_items, products, customers; see
demo/orders/seed.py); point them at another database only if it has those tables and columns.
Inputs are checked before any query (an order number is 4-32 letters/digits/dashes, a phone
number 6-20 digits after removing spaces, dashes and a leading +); values are always bound as
parameters, never pasted into SQL.
"""

from __future__ import annotations

import re
from typing import Any

from kefu.errors import InvalidRequestError
from kefu.tools.sqldb import ReadOnlyDB

_ORDER_NO = re.compile(r"^[A-Za-z0-9-]{4,32}$")

_ORDER = ("SELECT order_no, status, created_at, paid_at, shipped_at, delivered_at, carrier, tracking_no, "
          "total, refund_amount FROM orders WHERE order_no = :no")
_ITEMS = ("SELECT i.sku, p.name_en, p.name_zh, i.color, i.qty, i.unit_price FROM order_items i "
          "LEFT JOIN products p ON p.sku = i.sku WHERE i.order_no = :no ORDER BY i.id")
_BY_PHONE = ("SELECT o.order_no, o.status, o.created_at, o.total FROM orders o JOIN customers c "
             "ON c.id = o.customer_id WHERE c.phone = :phone ORDER BY o.created_at DESC LIMIT :n")
_PRODUCT = ("SELECT sku, name_en, name_zh, category, price, colors, stock FROM products WHERE sku = :q "
            "OR lower(name_en) LIKE :like OR name_zh LIKE :like ORDER BY sku LIMIT :n")


def normalize_order_no(order_no: str) -> str:
    no = order_no.strip().upper()
    if not _ORDER_NO.match(no):
        raise InvalidRequestError(f"{order_no!r} is not an order number",
                                  hint="an order number is 4-32 letters, digits or dashes, e.g. KF20260001")
    return no


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-()]", "", phone.strip()).removeprefix("+86").removeprefix("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise InvalidRequestError(f"{phone!r} is not a phone number", hint="give 6-20 digits, e.g. 13912340001")
    return digits


def order_status(db: ReadOnlyDB, order_no: str) -> dict[str, Any] | None:
    """The order with its items, or ``None`` if there is no such order."""
    no = normalize_order_no(order_no)
    found = db.query(_ORDER, {"no": no}).as_dicts()
    if not found:
        return None
    order = found[0]
    order["items"] = db.query(_ITEMS, {"no": no}).as_dicts()
    return order


def orders_for_phone(db: ReadOnlyDB, phone: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """A customer's orders (newest first) by their phone number; empty if none."""
    return db.query(_BY_PHONE, {"phone": normalize_phone(phone), "n": limit}).as_dicts()


def find_products(db: ReadOnlyDB, query: str, *, limit: int = 5) -> list[dict[str, Any]]:
    """Products whose SKU equals ``query`` or whose English/Chinese name contains it."""
    q = query.strip()
    if not q or len(q) > 100:
        raise InvalidRequestError("a product search needs 1-100 characters")
    words = q.lower().replace("\\", "").replace("%", "").replace("_", "").strip()  # no LIKE wildcards from users
    if not words:
        return []
    like = f"%{words}%"
    return db.query(_PRODUCT, {"q": q.upper(), "like": like, "n": limit}).as_dicts()
