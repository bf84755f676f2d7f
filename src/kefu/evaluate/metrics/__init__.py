"""Metrics, grouped by task. Import from the submodules:

- :mod:`.classification` — accuracy, P/R/F1 (macro, micro, per class), confusion matrix,
  ROC-AUC, PR/ROC curves, MSE/MAE (scikit-learn)
- :mod:`.text` — ROUGE-1/2/L (rouge-score, Chinese-aware tokenizer), BLEU (sacrebleu),
  SQuAD exact match / token F1
- :mod:`.ner` — entity-level P/R/F1 (seqeval)
- :mod:`.ranking` — hit@k, MRR, nDCG for retrieval; pairwise preference accuracy
"""
