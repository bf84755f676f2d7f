"""The bundled demo company, Lumo Home (鹿鸣家居): where it is and how to load it.

>>> from kefu.demo import demo_dir, load_faq, load_catalog, orders_db
>>> len(load_faq()) >= 60, len(load_catalog())
(True, 25)
>>> import sqlite3; sqlite3.connect(orders_db("/tmp/kefu-demo")).execute("select count(*) from orders").fetchone()
(40,)

Limits: the demo folder lives at the repository root (``demo/``); an installed wheel does not
carry it, so outside a source checkout point ``KEFU_DEMO_DIR`` at a copy.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kefu.errors import ConfigError, DataError

FAQ_COLUMNS = ("question", "answer", "paraphrases", "lang", "category")
CATALOG_COLUMNS = ("sku", "name_en", "name_zh", "category", "price", "colors", "stock",
                   "description_en", "description_zh", "tags")
LANGS = ("en", "zh")


@dataclass(frozen=True, slots=True)
class FaqEntry:
    question: str
    answer: str
    paraphrases: tuple[str, ...]
    lang: str
    category: str
    line: int  # line in the CSV file, for error messages and citations


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name_en: str
    name_zh: str
    category: str
    price: float
    colors: tuple[str, ...]
    stock: int
    description_en: str
    description_zh: str
    tags: tuple[str, ...]


def demo_dir() -> Path:
    """The demo folder: ``$KEFU_DEMO_DIR``, else ``demo/`` at the root of the source checkout."""
    env = os.environ.get("KEFU_DEMO_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "demo"
    if not (path / "faq" / "faq.csv").is_file():
        raise ConfigError(f"demo company folder not found at {path}",
                          hint="run from a kefu source checkout or set KEFU_DEMO_DIR to a copy of demo/")
    return path


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split("|") if p.strip())


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != columns:
            raise DataError(f"{path}: header must be {','.join(columns)}; got {','.join(reader.fieldnames or [])}")
        out = []
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise DataError(f"{path}:{reader.line_num}: expected {len(columns)} columns",
                                hint="quote fields that contain commas")
            out.append((reader.line_num, row))
        return out


def load_faq(path: str | Path | None = None) -> list[FaqEntry]:
    """Parse an FAQ CSV (question, answer, paraphrases separated by '|', lang, category)."""
    path = Path(path) if path else demo_dir() / "faq" / "faq.csv"
    entries = []
    for line, r in _rows(path, FAQ_COLUMNS):
        for field in ("question", "answer", "lang", "category"):
            if not r[field].strip():
                raise DataError(f"{path}:{line}: empty {field}")
        if r["lang"] not in LANGS:
            raise DataError(f"{path}:{line}: lang must be one of {', '.join(LANGS)}; got {r['lang']!r}")
        entries.append(FaqEntry(r["question"].strip(), r["answer"].strip(), _split(r["paraphrases"]),
                                r["lang"], r["category"].strip(), line))
    return entries


def load_catalog(path: str | Path | None = None) -> list[Product]:
    """Parse the product catalog CSV; colors and tags are '|'-separated."""
    path = Path(path) if path else demo_dir() / "catalog" / "products.csv"
    products = []
    for line, r in _rows(path, CATALOG_COLUMNS):
        try:
            price, stock = float(r["price"]), int(r["stock"])
        except ValueError as e:
            raise DataError(f"{path}:{line}: price and stock must be numbers ({e})") from e
        products.append(Product(r["sku"], r["name_en"], r["name_zh"], r["category"], price, _split(r["colors"]),
                                stock, r["description_en"], r["description_zh"], _split(r["tags"])))
    return products


def build_orders_db(out: str | Path) -> Path:
    """Build the demo orders SQLite database at ``out`` (replacing it) with demo/orders/seed.py."""
    seed = demo_dir() / "orders" / "seed.py"
    spec = importlib.util.spec_from_file_location("kefu_demo_orders_seed", seed)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(out, demo_dir() / "catalog" / "products.csv")


def orders_db(data_dir: str | Path | None = None) -> Path:
    """Path of the demo orders database under ``data_dir/demo`` (default ~/.kefu), built on first use
    and rebuilt when the seed script or catalog is newer."""
    base = Path(data_dir) if data_dir is not None else Path.home() / ".kefu"
    out = base.expanduser() / "demo" / "orders.db"
    sources = [demo_dir() / "orders" / "seed.py", demo_dir() / "catalog" / "products.csv"]
    if not out.is_file() or any(s.stat().st_mtime > out.stat().st_mtime for s in sources):
        build_orders_db(out)
    return out


def open_orders(data_dir: str | Path | None = None) -> sqlite3.Connection:
    """A read-only connection to the demo orders database (writes raise sqlite3.OperationalError)."""
    path = orders_db(data_dir)
    return sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True, check_same_thread=False)
