"""Evaluation: metrics, data-file readers, runners (intent, retrieval, answer, reward) and reports.

Everything here measures kefu's real components read-only. Metrics wrap the field's
libraries (scikit-learn, rouge-score, sacrebleu, seqeval) in :mod:`kefu.evaluate.metrics`;
runners in ``intent.py``, ``retrieval.py``, ``answer.py`` and ``reward.py`` each return a
:class:`kefu.evaluate.report.Report` that writes Markdown, HTML, PNG plots and JSON.
"""
