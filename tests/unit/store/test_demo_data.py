"""The demo company's data parses and agrees with itself (FAQ, catalog, orders, documents)."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from kefu.demo import build_orders_db, demo_dir, load_catalog, load_faq, open_orders
from kefu.errors import DataError

POLICIES = ("shipping", "returns", "warranty", "payment", "membership", "contact")


def _docs_text() -> str:
    root = demo_dir()
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "policies").rglob("*.md"))
                     + sorted((root / "manuals").rglob("*.md")))


def test_faq_has_enough_pairs_in_both_languages() -> None:
    faq = load_faq()
    assert len(faq) >= 60
    langs = Counter(e.lang for e in faq)
    assert langs["en"] >= 30 and langs["zh"] >= 30
    assert all(2 <= len(e.paraphrases) <= 3 for e in faq), [e.line for e in faq if not 2 <= len(e.paraphrases) <= 3]
    questions = [e.question.lower() for e in faq] + [p.lower() for e in faq for p in e.paraphrases]
    assert len(questions) == len(set(questions)), "a question or paraphrase appears twice"
    assert {e.category for e in faq} >= {"shipping", "returns", "warranty", "payment", "membership"}


def test_faq_amounts_and_skus_agree_with_documents_and_catalog() -> None:
    docs = _docs_text()
    catalog = load_catalog()
    prices = {f"¥{p.price:,.0f}" for p in catalog} | {f"¥{p.price:.0f}" for p in catalog}
    skus = {p.sku for p in catalog}
    for e in load_faq():
        for amount in re.findall(r"¥\d+(?:,\d{3})*", e.answer):
            assert amount in docs or amount in prices, f"faq.csv line {e.line}: {amount} is in no document"
        for sku in re.findall(r"LM-[A-Z]{2}-\d{3}", e.answer):
            assert sku in skus, f"faq.csv line {e.line}: unknown sku {sku}"


def test_every_policy_and_manual_exists_in_both_languages() -> None:
    root = demo_dir()
    for name in POLICIES:
        for lang in ("en", "zh"):
            assert (root / "policies" / lang / f"{name}.md").is_file(), f"{lang}/{name}.md missing"
    en = sorted(p.name for p in (root / "manuals" / "en").glob("*.md"))
    zh = sorted(p.name for p in (root / "manuals" / "zh").glob("*.md"))
    assert en == zh and 4 <= len(en) <= 6
    skus = {p.sku for p in load_catalog()}
    for path in (root / "manuals").rglob("*.md"):
        for sku in re.findall(r"LM-[A-Z]{2}-\d{3}", path.read_text(encoding="utf-8")):
            assert sku in skus, f"{path}: unknown sku {sku}"


def test_catalog_parses() -> None:
    catalog = load_catalog()
    assert 20 <= len(catalog) <= 30
    assert len({p.sku for p in catalog}) == len(catalog)
    for p in catalog:
        assert re.fullmatch(r"LM-[A-Z]{2}-\d{3}", p.sku) and p.price > 0 and p.stock >= 0
        assert p.name_en and p.name_zh and p.description_en and p.description_zh and p.tags


def test_orders_database_is_consistent_with_the_catalog_and_policies(tmp_path: Path) -> None:
    db = build_orders_db(tmp_path / "orders.db")
    con = sqlite3.connect(db)
    catalog = {p.sku: p for p in load_catalog()}
    products = {r[0]: r for r in con.execute("SELECT sku, name_en, name_zh, price, stock FROM products")}
    assert set(products) == set(catalog)
    assert all(products[s][1:] == (p.name_en, p.name_zh, p.price, p.stock) for s, p in catalog.items())
    missing = con.execute("SELECT order_no, sku FROM order_items WHERE sku NOT IN (SELECT sku FROM products)").fetchall()
    assert missing == [] and all(sku in catalog for (sku,) in con.execute("SELECT sku FROM order_items"))
    orders = con.execute("SELECT order_no, status, created_at, paid_at, shipped_at, delivered_at, carrier, "
                         "tracking_no, subtotal, shipping_fee, total, refund_amount FROM orders").fetchall()
    assert 35 <= len(orders) <= 45
    assert {o[1] for o in orders} >= {"pending", "paid", "shipped", "delivered", "returned", "refunded"}
    for no, status, created, paid, shipped, delivered, carrier, tracking, sub, fee, total, refund in orders:
        assert re.fullmatch(r"LM\d{10}", no) and no[2:8] == created[:7].replace("-", ""), no
        items = con.execute("SELECT SUM(qty * unit_price) FROM order_items WHERE order_no = ?", (no,)).fetchone()[0]
        assert items == sub and total == sub + fee, no
        assert (paid is None) == (status in ("pending", "cancelled")), no
        if status in ("shipped", "delivered", "returned") or (status == "refunded" and shipped):
            assert carrier in ("SF Express", "ZTO Express"), no
            pattern = r"SF\d{13}" if carrier == "SF Express" else r"78\d{12}"
            assert re.fullmatch(pattern, tracking), (no, tracking)
            assert shipped >= paid
        assert (delivered is not None) == (status in ("delivered", "returned") or (status == "refunded" and bool(shipped)))
        assert (refund is not None) == (status == "refunded"), no
    phones = [p for (p,) in con.execute("SELECT phone FROM customers")]
    assert all(re.fullmatch(r"1\d{10}", p) for p in phones) and len(set(phones)) == len(phones)
    con.close()


def test_orders_connection_is_read_only(tmp_path: Path) -> None:
    con = open_orders(tmp_path)
    assert con.execute("SELECT status FROM orders WHERE order_no = 'LM2026110009'").fetchone() == ("shipped",)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("DELETE FROM orders")
    con.close()


def test_broken_faq_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "faq.csv"
    bad.write_text("question,answer,paraphrases,lang,category\nQ?,A.,P1|P2,en,shipping\nQ2?,A2.,P,fr,x\n",
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"faq.csv:3: lang must be one of en, zh; got 'fr'"):
        load_faq(bad)
    bad.write_text("q,a\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="header must be"):
        load_faq(bad)
