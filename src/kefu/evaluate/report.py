"""Evaluation reports: Markdown + self-contained HTML + PNG plots + one JSON of every number
and every figure's data.

A runner builds a :class:`Report` block by block and calls :meth:`Report.write`::

    rep = Report("Intent evaluation", meta={"data": "test.csv"})
    rep.metrics("Summary", {"accuracy": 0.93, "macro F1": 0.92})
    rep.table("Per class", ["intent", "F1"], [["refund", 0.9]])
    rep.figure("confusion", "Confusion matrix", fig, data={"labels": [...], "matrix": [...]})
    paths = rep.write("out/")   # report.md, report.html, report.json, figures/confusion.png

The HTML embeds the PNGs (base64), so it can be mailed as one file; the Markdown links the
PNGs in ``figures/`` beside it. ``report.json`` holds ``meta``, ``metrics``, ``tables`` and
``figures`` (each figure's underlying data, so it can be re-plotted elsewhere).
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def _md_cell(v: Any) -> str:
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


@dataclass
class Report:
    title: str
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    _pngs: dict[str, bytes] = field(default_factory=dict)

    def text(self, markdown: str) -> None:
        """A paragraph (plain text; shown as-is in HTML)."""
        self.blocks.append(("text", markdown))

    def metrics(self, title: str, values: dict[str, Any]) -> None:
        """A two-column table of headline numbers; also stored under ``metrics[title]`` in JSON."""
        self.results[title] = values
        self.blocks.append(("table", (title, ["metric", "value"], [[k, v] for k, v in values.items()])))

    def table(self, title: str, headers: list[str], rows: list[list[Any]], *, max_rows: int | None = None) -> None:
        """A table; JSON keeps every row even when ``max_rows`` shortens the displayed one."""
        self.tables[title] = {"headers": headers, "rows": rows}
        shown = rows if max_rows is None else rows[:max_rows]
        self.blocks.append(("table", (title, headers, shown)))
        if max_rows is not None and len(rows) > max_rows:
            self.text(f"({len(rows) - max_rows} more rows in report.json)")

    def figure(self, name: str, title: str, fig: Figure, data: dict[str, Any]) -> None:
        """A plot saved as ``figures/<name>.png``; ``data`` (JSON-ready) goes to report.json."""
        import io

        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        self._pngs[name] = buf.getvalue()
        self.figures[name] = {"title": title, "file": f"figures/{name}.png", "data": data}
        self.blocks.append(("figure", (name, title)))

    # -- writers ---------------------------------------------------------------------------
    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        out += [f"- **{k}**: {_md_cell(v)}" for k, v in self.meta.items()] + [""]
        for kind, b in self.blocks:
            if kind == "text":
                out += [b, ""]
            elif kind == "table":
                title, headers, rows = b
                out += [f"## {title}", "", "| " + " | ".join(headers) + " |",
                        "|" + "---|" * len(headers)]
                out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows] + [""]
            else:
                name, title = b
                out += [f"## {title}", "", f"![{title}](figures/{name}.png)", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        e = html.escape
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(self.title)}</title><style>"
                 "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
                 "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
                 "text-align:left;font-size:14px}th{background:#f3f3f3}img{max-width:100%}"
                 "</style></head><body>", f"<h1>{e(self.title)}</h1><ul>"]
        parts += [f"<li><b>{e(str(k))}</b>: {e(_fmt(v))}</li>" for k, v in self.meta.items()]
        parts.append("</ul>")
        for kind, b in self.blocks:
            if kind == "text":
                parts.append(f"<p>{e(b)}</p>")
            elif kind == "table":
                title, headers, rows = b
                parts.append(f"<h2>{e(title)}</h2><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr>")
                parts += ["<tr>" + "".join(f"<td>{e(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows]
                parts.append("</table>")
            else:
                name, title = b
                b64 = base64.b64encode(self._pngs[name]).decode()
                parts.append(f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{b64}'>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "meta": self.meta, "metrics": self.results, "tables": self.tables,
                "figures": self.figures}

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write report.md, report.html, report.json and figures/*.png into ``out_dir``."""
        out = Path(out_dir)
        (out / "figures").mkdir(parents=True, exist_ok=True)
        for name, png in self._pngs.items():
            (out / "figures" / f"{name}.png").write_bytes(png)
        paths = {"markdown": out / "report.md", "html": out / "report.html", "json": out / "report.json"}
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        paths["html"].write_text(self.to_html(), encoding="utf-8")
        paths["json"].write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1, default=_jsonable),
                                 encoding="utf-8")
        return paths


def _jsonable(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")
