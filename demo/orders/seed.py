"""Build the Lumo Home demo orders database (SQLite) from the product catalog.

    python demo/orders/seed.py /tmp/orders.db        # or: kefu.demo.orders_db()

Tables: products (mirrors demo/catalog/products.csv), customers, orders, order_items.
Everything is fictional (names, phone numbers, addresses, tracking numbers). The output is
deterministic: the orders below are written out by hand, and dates, fees and tracking numbers
are derived from them with the rules of demo/policies/en/shipping.md:
  * paid before 16:00 -> shipped the same day at 18:00, otherwise the next day at 18:00;
  * ZTO standard: free from ¥99, else ¥8; SF express: ¥15 from ¥99, else ¥23; Platinum: SF free;
  * remote provinces (Xinjiang, Tibet, Qinghai) +¥15;
  * order numbers: LM + year + month + 4-digit sequence (LM2026110001).
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parent / "catalog" / "products.csv"
REMOTE = ("Xinjiang", "Tibet", "Qinghai")

SCHEMA = """
CREATE TABLE products (
  sku TEXT PRIMARY KEY, name_en TEXT NOT NULL, name_zh TEXT NOT NULL, category TEXT NOT NULL,
  price REAL NOT NULL, colors TEXT NOT NULL, stock INTEGER NOT NULL,
  description_en TEXT NOT NULL, description_zh TEXT NOT NULL, tags TEXT NOT NULL);
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL UNIQUE, email TEXT,
  province TEXT NOT NULL, city TEXT NOT NULL, member_tier TEXT NOT NULL
    CHECK (member_tier IN ('silver', 'gold', 'platinum')),
  joined_at TEXT NOT NULL);
CREATE TABLE orders (
  order_no TEXT PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
  status TEXT NOT NULL CHECK (status IN
    ('pending', 'paid', 'shipped', 'delivered', 'returned', 'refunded', 'cancelled')),
  created_at TEXT NOT NULL, paid_at TEXT, shipped_at TEXT, delivered_at TEXT,
  carrier TEXT, tracking_no TEXT, payment_method TEXT,
  subtotal REAL NOT NULL, shipping_fee REAL NOT NULL, total REAL NOT NULL,
  refund_amount REAL, note TEXT);
CREATE TABLE order_items (
  id INTEGER PRIMARY KEY, order_no TEXT NOT NULL REFERENCES orders(order_no),
  sku TEXT NOT NULL REFERENCES products(sku), color TEXT, qty INTEGER NOT NULL, unit_price REAL NOT NULL);
CREATE INDEX ix_orders_customer ON orders(customer_id);
CREATE INDEX ix_order_items_order ON order_items(order_no);
"""

# id, name, phone, email, province, city, tier, joined
CUSTOMERS = [
    (1, "王芳 Wang Fang", "13912340001", "wangfang@example.com", "Jiangsu", "Suzhou", "gold", "2024-03-12"),
    (2, "李伟 Li Wei", "13912340002", "liwei@example.com", "Shanghai", "Shanghai", "platinum", "2023-11-02"),
    (3, "张敏 Zhang Min", "13912340003", None, "Zhejiang", "Hangzhou", "silver", "2026-08-20"),
    (4, "刘洋 Liu Yang", "13912340004", "liuyang@example.com", "Beijing", "Beijing", "silver", "2025-06-30"),
    (5, "陈静 Chen Jing", "13912340005", "chenjing@example.com", "Guangdong", "Shenzhen", "gold", "2024-12-01"),
    (6, "杨磊 Yang Lei", "13912340006", None, "Sichuan", "Chengdu", "silver", "2026-09-15"),
    (7, "赵丽 Zhao Li", "13912340007", "zhaoli@example.com", "Hubei", "Wuhan", "silver", "2025-02-14"),
    (8, "黄强 Huang Qiang", "13912340008", None, "Xinjiang", "Urumqi", "silver", "2026-01-08"),
    (9, "周婷 Zhou Ting", "13912340009", "zhouting@example.com", "Shandong", "Qingdao", "gold", "2023-07-21"),
    (10, "Emily Carter", "13912340010", "emily.carter@example.com", "Shanghai", "Shanghai", "silver", "2026-10-03"),
    (11, "吴刚 Wu Gang", "13912340011", None, "Tianjin", "Tianjin", "silver", "2026-05-19"),
    (12, "徐慧 Xu Hui", "13912340012", "xuhui@example.com", "Fujian", "Xiamen", "platinum", "2022-09-09"),
    (13, "Daniel Kim", "13912340013", "daniel.kim@example.com", "Beijing", "Beijing", "silver", "2026-09-28"),
    (14, "孙悦 Sun Yue", "13912340014", None, "Hunan", "Changsha", "silver", "2026-10-20"),
    (15, "马俊 Ma Jun", "13912340015", "majun@example.com", "Shaanxi", "Xi'an", "gold", "2024-04-04"),
    (16, "Sophie Martin", "13912340016", "sophie.martin@example.com", "Guangdong", "Guangzhou", "silver", "2026-07-11"),
]

# order_no, customer, status, created (Beijing time), carrier ZTO/SF, payment, items [(sku, color, qty)], note
ORDERS = [
    ("LM2026090001", 1, "delivered", "2026-09-03 10:12", "ZTO", "alipay", [("LM-AF-301", "black", 1)], None),
    ("LM2026090002", 2, "delivered", "2026-09-05 20:41", "SF", "wechat", [("LM-CF-501", "silver", 1), ("LM-KT-103", "", 2)], None),
    ("LM2026090003", 4, "refunded", "2026-09-09 09:30", "ZTO", "alipay", [("LM-TS-601", "mint", 1)], "no-reason return within 7 days"),
    ("LM2026090004", 5, "delivered", "2026-09-12 14:05", "ZTO", "unionpay", [("LM-CW-701", "grey", 1), ("LM-CW-704", "black", 1)], None),
    ("LM2026090005", 9, "delivered", "2026-09-18 11:47", "SF", "huabei", [("LM-VC-802", "white", 1)], "Huabei 6 instalments, interest-free"),
    ("LM2026090006", 12, "delivered", "2026-09-21 16:22", "SF", "alipay", [("LM-AP-901", "white", 2)], None),
    ("LM2026090007", 7, "delivered", "2026-09-25 08:55", "ZTO", "wechat", [("LM-BL-402", "pink", 2)], None),
    ("LM2026090008", 8, "delivered", "2026-09-27 19:10", "ZTO", "alipay", [("LM-HM-903", "white", 1)], "remote area surcharge"),
    ("LM2026100001", 3, "delivered", "2026-10-02 13:00", "ZTO", "alipay", [("LM-KT-101", "clear", 1)], None),
    ("LM2026100002", 6, "refunded", "2026-10-04 15:33", "ZTO", "wechat", [("LM-RC-201", "pink", 1)], "arrived damaged; refunded in full"),
    ("LM2026100003", 1, "delivered", "2026-10-08 21:15", "ZTO", "alipay", [("LM-AP-902", "white", 1)], None),
    ("LM2026100004", 15, "delivered", "2026-10-10 10:20", "SF", "unionpay", [("LM-BL-401", "red", 1)], None),
    ("LM2026100005", 11, "returned", "2026-10-14 12:02", "ZTO", "alipay", [("LM-FN-904", "black", 1)], "return received RMA-20261024-004; refund after inspection"),
    ("LM2026100006", 16, "delivered", "2026-10-16 17:45", "ZTO", "wechat", [("LM-HD-951", "rose gold", 1), ("LM-KT-103", "", 1)], None),
    ("LM2026100007", 2, "delivered", "2026-10-19 09:05", "SF", "alipay", [("LM-VC-801", "lilac", 1)], None),
    ("LM2026100008", 10, "delivered", "2026-10-22 18:30", "ZTO", "unionpay", [("LM-CF-502", "black", 1)], None),
    ("LM2026100009", 13, "cancelled", "2026-10-25 11:11", None, None, [("LM-DH-905", "white", 1)], "not paid within 30 minutes"),
    ("LM2026100010", 5, "delivered", "2026-10-27 15:59", "ZTO", "alipay", [("LM-CW-703", "navy", 1)], None),
    ("LM2026100011", 14, "refunded", "2026-10-29 10:40", None, "wechat", [("LM-AF-302", "black", 1)], "cancelled before dispatch"),
    ("LM2026100012", 9, "delivered", "2026-10-30 13:25", "ZTO", "wechat", [("LM-VC-803", "white", 1), ("LM-KT-103", "", 1)], None),
    ("LM2026110001", 4, "delivered", "2026-11-05 10:00", "ZTO", "unionpay", [("LM-AP-901", "white", 1), ("LM-AP-902", "white", 1)], None),
    ("LM2026110002", 15, "returned", "2026-11-06 14:14", "ZTO", "wechat", [("LM-HD-951", "black", 1)], "quality return: stops after 2 minutes; RMA-20261112-009 received, refund after inspection"),
    ("LM2026110003", 2, "delivered", "2026-11-08 08:30", "SF", "alipay", [("LM-CW-702", "silver", 1), ("LM-CW-704", "black", 1)], None),
    ("LM2026110004", 11, "delivered", "2026-11-09 20:20", "ZTO", "alipay", [("LM-KT-103", "", 2)], None),
    ("LM2026110005", 9, "refunded", "2026-11-10 12:45", "SF", "alipay", [("LM-AF-302", "black", 1)], "no-reason return; shipping fee not refunded"),
    ("LM2026110006", 10, "delivered", "2026-11-11 09:00", "ZTO", "unionpay", [("LM-VC-801", "grey", 1)], None),
    ("LM2026110007", 14, "delivered", "2026-11-12 16:48", "ZTO", "wechat", [("LM-BL-401", "silver", 1)], None),
    ("LM2026110008", 4, "cancelled", "2026-11-15 22:10", None, None, [("LM-RC-201", "white", 1)], "not paid within 30 minutes"),
    ("LM2026110009", 3, "shipped", "2026-11-17 14:20", "ZTO", "wechat", [("LM-KT-102", "sage green", 1)], "delayed: ZTO backlog at the Hangzhou sorting centre"),
    ("LM2026110010", 8, "shipped", "2026-11-19 10:55", "ZTO", "wechat", [("LM-FN-904", "white", 1)], "remote area surcharge"),
    ("LM2026110011", 5, "shipped", "2026-11-20 15:10", "ZTO", "alipay", [("LM-DH-905", "white", 1)], None),
    ("LM2026110012", 10, "shipped", "2026-11-20 17:05", "ZTO", "alipay", [("LM-AF-301", "cream", 1), ("LM-CW-701", "grey", 1)], None),
    ("LM2026110013", 12, "delivered", "2026-11-21 13:33", "SF", "alipay", [("LM-CF-502", "black", 1), ("LM-KT-102", "white", 1)], "Platinum: free SF upgrade"),
    ("LM2026110014", 1, "shipped", "2026-11-22 10:20", "SF", "alipay", [("LM-RC-202", "white", 1)], None),
    ("LM2026110015", 12, "shipped", "2026-11-22 14:30", "SF", "huabei", [("LM-VC-802", "black", 1)], "Platinum: free SF upgrade; Huabei 6 instalments, interest-free"),
    ("LM2026110016", 7, "paid", "2026-11-22 19:12", "ZTO", "alipay", [("LM-TS-601", "white", 1), ("LM-KT-101", "grey", 1)], None),
    ("LM2026110017", 3, "paid", "2026-11-23 08:15", "ZTO", "alipay", [("LM-CW-703", "red", 1)], None),
    ("LM2026110018", 13, "paid", "2026-11-23 10:03", "SF", "wechat", [("LM-CF-501", "silver", 1)], None),
    ("LM2026110019", 6, "pending", "2026-11-23 11:40", "ZTO", None, [("LM-BL-402", "blue", 1)], None),
    ("LM2026110020", 16, "pending", "2026-11-23 11:52", "ZTO", None, [("LM-HM-903", "green", 1)], None),
]

# no-reason returns refund the goods only; damaged items and cancellations refund the shipping too
REFUND_GOODS_ONLY = {"LM2026090003", "LM2026110005"}
SNAPSHOT = "2026-11-23 12:00"  # the database shows the shop as of this moment (Beijing time)
FMT = "%Y-%m-%d %H:%M"


def shipping_fee(subtotal: float, carrier: str | None, tier: str, province: str) -> float:
    if carrier is None:
        return 0.0
    if carrier == "SF":
        fee = 0.0 if tier == "platinum" else (15.0 if subtotal >= 99 else 23.0)
    else:
        fee = 0.0 if subtotal >= 99 else 8.0
    return fee + (15.0 if province in REMOTE else 0.0)


def tracking_no(order_no: str, carrier: str) -> str:
    seq = int(order_no[2:])  # e.g. 2026110001
    if carrier == "SF":
        return f"SF{(seq * 7919) % 10**13:013d}"
    return f"78{(seq * 104729) % 10**12:012d}"


def _fmt(t: datetime | None) -> str | None:
    return None if t is None else t.strftime(FMT)


def build(db_path: str | Path, catalog: str | Path = CATALOG) -> Path:
    """Write the database to ``db_path`` (replacing it) and return the path."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        db_path.unlink()
    with open(catalog, encoding="utf-8", newline="") as f:
        products = {r["sku"]: r for r in csv.DictReader(f)}
    con = sqlite3.connect(db_path)
    try:
        con.executescript(SCHEMA)
        con.executemany("INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [(p["sku"], p["name_en"], p["name_zh"], p["category"], float(p["price"]), p["colors"],
                          int(p["stock"]), p["description_en"], p["description_zh"], p["tags"])
                         for p in products.values()])
        con.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?)", CUSTOMERS)
        cust = {c[0]: c for c in CUSTOMERS}
        for order_no, cid, status, created, carrier, pay, items, note in ORDERS:
            tier, province = cust[cid][6], cust[cid][4]
            subtotal = sum(float(products[sku]["price"]) * qty for sku, _, qty in items)
            fee = shipping_fee(subtotal, carrier, tier, province)
            t0 = datetime.strptime(created, FMT)
            paid = None if status in ("pending", "cancelled") else t0 + timedelta(minutes=4)
            shipped = delivered = None
            if paid is not None and carrier is not None and status not in ("paid",):
                day = paid if paid.hour < 16 else paid + timedelta(days=1)
                shipped = day.replace(hour=18, minute=0)
                days = 1 if carrier == "SF" else 3
                if province in REMOTE:
                    days = 6
                if status not in ("shipped",):
                    delivered = (shipped + timedelta(days=days)).replace(hour=14, minute=30)
            refund = None
            if status == "refunded":
                refund = subtotal if order_no in REFUND_GOODS_ONLY else subtotal + fee
            con.execute("INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (order_no, cid, status, created, _fmt(paid), _fmt(shipped), _fmt(delivered),
                         {"SF": "SF Express", "ZTO": "ZTO Express"}.get(carrier or "") if shipped else None,
                         tracking_no(order_no, carrier) if shipped and carrier else None,
                         pay, subtotal, fee, subtotal + fee, refund, note))
            con.executemany("INSERT INTO order_items (order_no, sku, color, qty, unit_price) VALUES (?,?,?,?,?)",
                            [(order_no, sku, color or None, qty, float(products[sku]["price"]))
                             for sku, color, qty in items])
        con.commit()
    finally:
        con.close()
    return db_path


if __name__ == "__main__":
    out = build(sys.argv[1] if len(sys.argv) > 1 else HERE / "orders.db")
    print(f"wrote {out}")
