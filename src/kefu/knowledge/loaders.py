"""Read files into :class:`Document` s: structured sections (text + heading path + page) or FAQ entries.

=========  ===============================================================================
suffix     what is read
=========  ===============================================================================
.txt       UTF-8 (BOM ok) or GB18030 text; paragraphs are separated by blank lines
.md        Markdown; ATX headings (``#`` .. ``######``) give each section its heading path
.html/.htm block elements (p, li, td, pre, ...) under h1..h6 headings; script/style dropped
.pdf       one section per page (pypdf text extraction; scanned pages have no text: OCR first)
.docx      paragraphs with "Heading N" styles, tables row by row (cells joined with " | ")
.csv/.xlsx FAQ table: a header row with question + answer columns, optional paraphrases column
           (aliases: q/问题, a/答案, paraphrase/similar/相似问题; paraphrases split on "|" or newlines);
           any other table (a catalog): one section per row of "column: value" lines
.jsonl     one JSON object a line: ``{"text", "title"?}`` or ``{"question", "answer", "paraphrases"?}``
=========  ===============================================================================

:func:`load_paths` takes files, directories (recursive) and globs and never stops at a bad file:
it returns the documents it could read plus one :class:`LoadError` (file + reason) per failure::

    docs, errors = load_paths(["docs/", "faq.xlsx"])
    for e in errors:
        print(e.source, e.reason)   # e.g. "broken.pdf", "not a readable PDF: EOF marker not found"
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.errors import DataError


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (and on one page, for PDFs)."""

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None


@dataclass(frozen=True)
class FAQEntry:
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()


@dataclass
class Document:
    source: str
    kind: str  # "text" or "faq"
    content_hash: str
    sections: list[Section] = field(default_factory=list)
    faqs: list[FAQEntry] = field(default_factory=list)


@dataclass(frozen=True)
class LoadError:
    source: str
    reason: str


SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".csv", ".xlsx", ".jsonl")


def _decode(data: bytes, name: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{name}: not UTF-8 or GB18030 text", hint="save the file as UTF-8")


def _paragraph_sections(text: str, heading_path: tuple[str, ...] = (), page: int | None = None) -> list[Section]:
    text = text.replace("\r\n", "\n").strip()
    return [Section(text, heading_path, page)] if text else []


def _load_txt(data: bytes, name: str) -> Document:
    return Document(name, "text", "", _paragraph_sections(_decode(data, name)))


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _load_md(data: bytes, name: str) -> Document:
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []
    in_code = False

    def flush() -> None:
        sections.extend(_paragraph_sections("\n".join(buf), tuple(t for _, t in path)))
        buf.clear()

    for line in _decode(data, name).replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _MD_HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            path = [(lv, t) for lv, t in path if lv < level] + [(level, m.group(2))]
        else:
            buf.append(line)
    flush()
    return Document(name, "text", "", sections)


_BLOCKS = ("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption", "caption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _load_html(data: bytes, name: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        sections.extend(_paragraph_sections("\n\n".join(buf), tuple(t for _, t in path)))
        buf.clear()

    for el in soup.find_all([*_HEADINGS, *_BLOCKS]):
        if el.name in _HEADINGS:
            flush()
            level = int(el.name[1])
            path = [(lv, t) for lv, t in path if lv < level] + [(level, el.get_text(" ", strip=True))]
        elif not el.find(_BLOCKS) and not el.find_parent(_BLOCKS):  # innermost blocks only: no duplicates
            text = el.get_text(" ", strip=True)
            if text:
                buf.append(text)
    flush()
    if not sections:  # no block markup at all: fall back to the visible text
        sections = _paragraph_sections(soup.get_text("\n", strip=True))
    return Document(name, "text", "", sections)


def _load_pdf(data: bytes, name: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [p.extract_text() or "" for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DataError(f"{name}: not a readable PDF: {e}", hint="re-export the PDF or check the download") from e
    sections = [s for i, t in enumerate(pages) for s in _paragraph_sections(t, (), i + 1)]
    if not sections:
        raise DataError(f"{name}: the PDF has no extractable text (scanned images?)", hint="run OCR on it first")
    return Document(name, "text", "", sections)


def _load_docx(data: bytes, name: str) -> Document:
    import docx
    from docx.table import Table

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises zipfile/KeyError/lxml errors for broken files
        raise DataError(f"{name}: not a readable .docx: {type(e).__name__}: {e}") from e
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        sections.extend(_paragraph_sections("\n\n".join(buf), tuple(t for _, t in path)))
        buf.clear()

    for item in d.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells]
                if any(cells):
                    buf.append(" | ".join(cells))
            continue
        style = (item.style.name if item.style is not None else "") or ""
        m = re.match(r"(?:Heading|标题)\s*(\d)", style)
        if m and item.text.strip():
            flush()
            level = int(m.group(1))
            path = [(lv, t) for lv, t in path if lv < level] + [(level, item.text.strip())]
        elif style == "Title" and item.text.strip():
            flush()
            path = [(0, item.text.strip())]
        elif item.text.strip():
            buf.append(item.text.strip())
    flush()
    return Document(name, "text", "", sections)


_Q = ("question", "questions", "q", "问题", "标准问题", "问")
_A = ("answer", "answers", "a", "答案", "回答", "答")
_P = ("paraphrase", "paraphrases", "similar", "similar_questions", "相似问题", "相似问", "同义问")


def _faq_rows(rows: list[list[str]], name: str) -> list[FAQEntry]:
    if not rows:
        raise DataError(f"{name}: empty FAQ table")
    header = [str(h or "").strip().lower() for h in rows[0]]

    def col(names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    qi, ai, pi = col(_Q), col(_A), col(_P)
    if qi is None or ai is None:
        raise DataError(f"{name}: a FAQ table needs 'question' and 'answer' columns; found {header}",
                        hint="put a header row first: question,answer[,paraphrases]")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if not any(cells):
            continue
        def get(i: int | None, cells: list[str] = cells) -> str:
            return cells[i] if i is not None and i < len(cells) else ""

        q, a = get(qi), get(ai)
        if not q or not a:
            raise DataError(f"{name}: line {n}: the {'question' if not q else 'answer'} is empty",
                            hint="fill it in or delete the row")
        paras = tuple(p.strip() for p in re.split(r"[|\n]", get(pi)) if p.strip())
        out.append(FAQEntry(q, a, paras))
    if not out:
        raise DataError(f"{name}: the FAQ table has a header but no rows")
    return out


def _is_faq_table(rows: list[list[Any]]) -> bool:
    header = {str(h or "").strip().lower() for h in (rows[0] if rows else [])}
    return bool(header & set(_Q)) and bool(header & set(_A))


def _table_rows(rows: list[list[Any]], name: str) -> Document:
    """A table that is not an FAQ (a product catalog, a price list): one section per row,
    ``column: value`` lines, titled by the first column's value."""
    header = [str(h or "").strip() for h in rows[0]]
    if not any(header):
        raise DataError(f"{name}: the first row must name the columns")
    doc = Document(name, "text", "")
    for row in rows[1:]:
        cells = [str(c).strip() if c is not None else "" for c in row]
        lines = [f"{h}: {v}" for h, v in zip(header, cells, strict=False) if h and v]
        if lines:
            doc.sections.append(Section("\n".join(lines), (cells[0],) if cells and cells[0] else ()))
    return doc


def _load_table(rows: list[list[Any]], name: str) -> Document:
    if not rows:
        raise DataError(f"{name}: empty table")
    if _is_faq_table(rows):
        return Document(name, "faq", "", faqs=_faq_rows(rows, name))
    return _table_rows(rows, name)


def _load_csv(data: bytes, name: str) -> Document:
    return _load_table(list(csv.reader(io.StringIO(_decode(data, name)))), name)


def _load_xlsx(data: bytes, name: str) -> Document:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException
        raise DataError(f"{name}: not a readable .xlsx: {type(e).__name__}: {e}") from e
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    return _load_table(rows, name)


def _load_jsonl(data: bytes, name: str) -> Document:
    doc = Document(name, "text", "")
    for n, line in enumerate(_decode(data, name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{name}: line {n}: invalid JSON: {e.msg}") from e
        if not isinstance(obj, dict):
            raise DataError(f"{name}: line {n}: expected a JSON object")
        if "question" in obj and "answer" in obj:
            paras = obj.get("paraphrases") or []
            doc.faqs.append(FAQEntry(str(obj["question"]), str(obj["answer"]),
                                     tuple(str(p) for p in (paras if isinstance(paras, list) else [paras]))))
        elif isinstance(obj.get("text"), str):
            title = obj.get("title")
            doc.sections += _paragraph_sections(obj["text"], (str(title),) if title else ())
        else:
            raise DataError(f"{name}: line {n}: needs a 'text' field or 'question' + 'answer' fields")
    doc.kind = "faq" if doc.faqs and not doc.sections else "text"
    return doc


LOADERS: dict[str, Callable[[bytes, str], Document]] = {
    ".txt": _load_txt, ".md": _load_md, ".markdown": _load_md, ".html": _load_html, ".htm": _load_html,
    ".pdf": _load_pdf, ".docx": _load_docx, ".csv": _load_csv, ".xlsx": _load_xlsx, ".jsonl": _load_jsonl,
}


def load_file(path: str | Path) -> Document:
    """Load one file; raises :class:`DataError` naming the file and the reason."""
    p = Path(path)
    name = str(p)
    loader = LOADERS.get(p.suffix.lower())
    if loader is None:
        raise DataError(f"{name}: unsupported file type {p.suffix or '(none)'!r}",
                        hint=f"supported: {' '.join(SUPPORTED)}")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise DataError(f"{name}: cannot read: {e.strerror or e}") from e
    if not data.strip():
        raise DataError(f"{name}: the file is empty")
    doc = loader(data, name)
    if not doc.sections and not doc.faqs:
        raise DataError(f"{name}: no text found in the file")
    doc.content_hash = hashlib.sha256(data).hexdigest()
    return doc


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[LoadError]]:
    """Files named by ``paths`` (files, directories searched recursively, globs), sorted, unique."""
    files: list[Path] = []
    errors: list[LoadError] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(p).parts) and f.suffix.lower() in SUPPORTED)
        elif p.is_file():
            files.append(p)
        elif glob.has_magic(str(raw)):
            matched = sorted(Path(m) for m in glob.glob(str(p), recursive=True) if Path(m).is_file())
            if not matched:
                errors.append(LoadError(str(raw), "the pattern matches no files"))
            files += matched
        else:
            errors.append(LoadError(str(raw), "no such file or directory"))
    seen: set[Path] = set()
    unique = [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]  # type: ignore[func-returns-value]
    return unique, errors


def load_paths(paths: Iterable[str | Path]) -> tuple[list[Document], list[LoadError]]:
    """Load every file under ``paths``; failures become :class:`LoadError` s, the rest still load."""
    files, errors = expand_paths(paths)
    docs: list[Document] = []
    for f in files:
        try:
            docs.append(load_file(f))
        except DataError as e:
            errors.append(LoadError(str(f), e.message.removeprefix(f"{f}: ")))
    return docs, errors
