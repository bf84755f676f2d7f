import json

import numpy as np

from kefu.evaluate import plots
from kefu.evaluate.report import Report


def test_report_writes_markdown_html_json_and_pngs(tmp_path):
    rep = Report("Demo", meta={"data": "x.csv"})
    rep.metrics("Summary", {"accuracy": 0.5, "n": 2})
    rep.table("Rows", ["a", "b"], [["x|y", 1.0], ["z", 2]], max_rows=1)
    rep.figure("cm", "Confusion", plots.confusion_matrix_figure(np.array([[1, 0], [1, 1]]), ["p", "q"]),
               {"matrix": [[1, 0], [1, 1]]})
    rep.figure("roc", "ROC", plots.curve_figure("roc", {"m": {"fpr": [0, 1], "tpr": [0, 1], "auc": 0.5}}), {})
    rep.figure("hist", "Hist", plots.histogram_figure({"a": [0.1, 0.2], "b": []}, threshold=0.15), {})
    paths = rep.write(tmp_path)
    md = paths["markdown"].read_text()
    assert "| accuracy | 0.5000 |" in md and "x\\|y" in md and "![Confusion](figures/cm.png)" in md
    assert "(1 more rows in report.json)" in md
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") == 3 and "<td>x|y</td>" in html
    data = json.loads(paths["json"].read_text())
    assert data["metrics"]["Summary"]["accuracy"] == 0.5
    assert len(data["tables"]["Rows"]["rows"]) == 2
    assert data["figures"]["cm"]["data"]["matrix"] == [[1, 0], [1, 1]]
    for name in ("cm", "roc", "hist"):
        assert (tmp_path / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
