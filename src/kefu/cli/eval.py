"""``kefu eval``: measure intent classification, retrieval, answers and reward models on
labelled data; each command writes report.md, report.html, report.json and figures/ to --out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Evaluate kefu's components on your own labelled data; writes a report with plots.\n\n"
                       "  kefu eval intent --data test.csv --train train.csv --out reports/intent\n\n"
                       "  kefu eval retrieval --data queries.jsonl --docs docs.jsonl --out reports/retrieval\n\n"
                       "  kefu eval answer --data squad.json --out reports/answer\n\n"
                       "  kefu eval answer --data kb_qa.jsonl --kb default --out reports/kb-answer\n\n"
                       "  kefu eval reward --model out/reward --data pairs.jsonl --out reports/reward\n\n"
                       "  kefu eval dialogue --data scripts.yaml --out reports/dialogue",
                  no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", help="Evaluation data file (see the command's help for formats).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory for report.md, report.html, report.json, figures/.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="Use only the first N examples.")]
EmbedderOpt = Annotated[str, typer.Option("--embedder", help="Embedding model: default (multilingual-e5-small), "
                                                              "all-MiniLM-L6-v2, a directory, openai:M@URL.")]


def _run(fn: Any) -> Any:
    from kefu.cli.main import _run as run

    return run(fn)


def _finish(report: Any, out: Path, headline: dict[str, Any]) -> None:
    paths = report.write(out)
    for k, v in headline.items():
        typer.echo(f"{k:>28}: {v:.4f}" if isinstance(v, float) else f"{k:>28}: {v}")
    typer.echo(f"report: {paths['html']}  (also {paths['markdown'].name}, {paths['json'].name}, figures/)")


@app.command()
def intent(
    data: DataOpt, out: OutOpt,
    train: Annotated[Path | None, typer.Option("--train", help="Training data (same formats). Without it and "
                                                                 "without --classifier, 20% of --data is held out.")] = None,
    shots: Annotated[int | None, typer.Option("--shots", help="Train on N random examples per intent.")] = None,
    classifier: Annotated[Path | None, typer.Option("--classifier", help="Evaluate a saved classifier "
                                                                           "directory instead of training.")] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Save the fitted classifier here.")] = None,
    method: Annotated[str, typer.Option("--method", help="auto | logreg | centroid.")] = "auto",
    threshold: Annotated[float | None, typer.Option("--threshold", help="Out-of-scope threshold on the top "
                                                                          "probability (default: estimated).")] = None,
    oos_label: Annotated[str | None, typer.Option("--oos-label", help="Gold label meaning out of scope.")] = None,
    embedder: EmbedderOpt = "default",
    cache: Annotated[Path | None, typer.Option("--cache", help="Directory to cache embeddings (.npy).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --shots sampling and the hold-out split.")] = 0,
    limit: LimitOpt = None,
) -> None:
    """Intent classification accuracy, P/R/F1, confusion matrix and confidence plots.

    Data: CSV with a header holding `text` and `category` (or `label`) — e.g. BANKING77's
    train.csv/test.csv; JSONL {"text", "label"}; or a folder with `seq.in` and `label` (HWU64).

    Examples:

      kefu eval intent --data banking77/test.csv --train banking77/train.csv --out reports/b77

      kefu eval intent --data banking77/test.csv --train banking77/train.csv --shots 10 --out reports/b77-10shot

      kefu eval intent --data my_intents.csv --out reports/mine --save models/intents
    """
    def body() -> None:
        from kefu.dialog.intents import IntentClassifier
        from kefu.evaluate.datafiles import read_intents
        from kefu.evaluate.intent import evaluate_intents
        from kefu.knowledge.embeddings import load_embedder

        texts, labels = read_intents(data)
        if limit:
            texts, labels = texts[:limit], labels[:limit]
        emb = load_embedder(embedder)
        clf = IntentClassifier.load(classifier, embedder=emb) if classifier else None
        tr = read_intents(train) if train and not clf else None
        res = evaluate_intents(texts, labels, embedder=emb, train=tr, classifier=clf, shots=shots, method=method,
                               threshold=threshold, oos_label=oos_label, cache_dir=cache, seed=seed,
                               meta={"data": str(data), "train": str(train or classifier or "held out"),
                                     "shots per intent": shots or "all"})
        if save:
            res.classifier.save(save)
            typer.echo(f"classifier saved to {save}")
        s = res.scores["summary"]
        _finish(res.report, out, {"accuracy": s["accuracy"], "macro F1": s["macro F1"],
                                  "flagged out of scope": s["flagged out of scope"]})

    _run(body)


@app.command()
def retrieval(
    data: DataOpt, out: OutOpt,
    docs: Annotated[Path, typer.Option("--docs", help="JSONL {\"id\", \"text\"}: the collection to search.")],
    embedder: EmbedderOpt = "default",
    k: Annotated[int, typer.Option("--k", help="Retrieve this many documents per query.")] = 10,
    limit: LimitOpt = None,
) -> None:
    """hit@k, MRR and nDCG of dense retrieval over a document collection.

    Data: JSONL {"query": "...", "relevant": ["doc-id", ...]}; --docs: JSONL {"id", "text"}.
    Searches an in-memory cosine index built with --embedder (kefu.evaluate.retrieval has a
    Retriever protocol and an adapter for any search function, e.g. a knowledge base's).

    Example:

      kefu eval retrieval --data queries.jsonl --docs faq.jsonl --out reports/retrieval
    """
    def body() -> None:
        from kefu.evaluate.datafiles import read_documents, read_retrieval_queries
        from kefu.evaluate.retrieval import EmbeddingRetriever, evaluate_retrieval
        from kefu.knowledge.embeddings import load_embedder

        queries = read_retrieval_queries(data)[:limit] if limit else read_retrieval_queries(data)
        emb = load_embedder(embedder)
        res = evaluate_retrieval(EmbeddingRetriever(emb, read_documents(docs)), queries, k=k,
                                 meta={"data": str(data), "docs": str(docs), "embedder": emb.model_id})
        _finish(res.report, out, {m: res.scores[m] for m in ("hit@1", f"hit@{k}", "mrr") if m in res.scores})

    _run(body)


@app.command()
def answer(
    data: DataOpt, out: OutOpt,
    kb: Annotated[str | None, typer.Option("--kb", help="Answer from this knowledge base (the mode for a .jsonl "
                                                        "file; default there: dialog.knowledge_base).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="LLM: default (bundled), a .gguf, an HF dir, "
                                                                      "openai:M@URL, or fake.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file.")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Longest answer in tokens (default: 32 "
                                                                        "for SQuAD, dialog.max_tokens for a "
                                                                        "knowledge base).")] = None,
    limit: LimitOpt = None,
) -> None:
    """Answer quality, in one of two modes chosen by the data file.

    SQuAD JSON (1.1/2.0; unanswerable questions have is_impossible: true): the LLM answers from
    each given passage; exact match / F1, with abstention.

    JSONL questions about a knowledge base, one a line: {"question": "...", "answers": ["gold fact",
    ...], "lang": "en"} with "answers": [] when the knowledge base cannot answer it. Each goes
    through the assistant's grounded answer path (FAQ match, retrieval, numbered sources, the
    configured model and persona); scored for correctness, retrieval hits, citation precision
    (the cited source contains a gold fact), uncited answers and abstention. Without --kb it uses
    dialog.knowledge_base, loading the demo company into it first when it is empty and
    dialog.load_demo is on, as `kefu serve` does.

    Examples:

      kefu eval answer --data squad2-small.json --limit 100 --out reports/answer

      kefu eval answer --data demo/eval/kb_qa.jsonl --out reports/kb-answer

      kefu eval answer --data my_questions.jsonl --kb support --model openai:qwen@http://gpu:8000/v1 --out r/kb
    """
    kb_mode = kb is not None or data.name.endswith((".jsonl", ".jsonl.gz"))

    def squad() -> None:
        from kefu.config import load_settings
        from kefu.evaluate.answer import evaluate_answers
        from kefu.evaluate.datafiles import read_squad
        from kefu.llm.factory import load_llm

        items = read_squad(data)
        items = items[:limit] if limit else items
        llm = load_llm(load_settings(config, llm={"model": model}).llm)
        res = evaluate_answers(llm, items, max_tokens=max_tokens or 32, meta={"data": str(data)})
        _finish(res.report, out, {k: res.scores[k] for k in ("exact_match", "f1", "has_answer_f1",
                                                             "abstention_recall", "grounded")})

    def knowledge() -> None:
        from kefu.config import load_settings
        from kefu.dialog.setup import demo_paths
        from kefu.evaluate.datafiles import read_kb_questions
        from kefu.evaluate.kb_answer import evaluate_kb_answers
        from kefu.knowledge.answer import load_prompts
        from kefu.knowledge.registry import KnowledgeBaseRegistry
        from kefu.llm.base import SamplingParams
        from kefu.llm.factory import load_llm

        items = read_kb_questions(data)
        items = items[:limit] if limit else items
        settings = load_settings(config, llm={"model": model})
        ds = settings.dialog
        name = kb or ds.knowledge_base
        prompts = load_prompts(ds.prompts_file)  # a bad prompts file fails before the slow parts
        registry = KnowledgeBaseRegistry(settings)
        try:
            if name == ds.knowledge_base and ds.load_demo:
                base = registry.get_or_create(name)
                if base.stats()["documents"] == 0:
                    typer.echo(f"loading the demo company into knowledge base {name!r} (first run only)", err=True)
                    base.add(demo_paths(), progress=True)
            else:
                base = registry.open(name)
            # the assistant's sampling and prompt (kefu.dialog.assistant), a fixed seed so runs repeat
            params = SamplingParams(max_tokens=max_tokens or ds.max_tokens, temperature=ds.temperature,
                                    repetition_penalty=1.1, seed=0)
            res = evaluate_kb_answers(load_llm(settings.llm), base, items, params=params,
                                      personas={"zh": ds.persona_zh, "en": ds.persona_en},
                                      options={"prompts": prompts, "examples": ds.prompt_examples},
                                      meta={"data": str(data), "prompts file": ds.prompts_file or "built-in",
                                            "few-shot examples": ds.prompt_examples})
        finally:
            registry.close()
        _finish(res.report, out, {k: res.scores[k] for k in (
            "answer_correct", "correct_and_supported", "retrieval_hit", "citation_precision", "supported_answers", "uncited_answers",
            "abstention_precision", "abstention_recall", "faq_direct")})

    _run(knowledge if kb_mode else squad)


@app.command()
def reward(
    data: DataOpt, out: OutOpt,
    model: Annotated[Path, typer.Option("--model", "-m", help="Reward model directory (kefu train reward output).")],
    max_length: Annotated[int, typer.Option("--max-length", help="Truncate texts (from the left) to N tokens.")] = 512,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 8,
    limit: LimitOpt = None,
) -> None:
    """Pairwise accuracy of a reward model: share of pairs with reward(chosen) > reward(rejected).

    Data: JSONL or .jsonl.gz with {"chosen", "rejected"} and optional "prompt" (hh-rlhf layout).

    Example:

      kefu eval reward --model out/reward --data hh-rlhf-harmless-base-test.jsonl.gz --limit 500 --out reports/rm
    """
    def body() -> None:
        from kefu.evaluate.datafiles import read_preferences
        from kefu.evaluate.reward import evaluate_reward_model

        pairs = read_preferences(data)
        pairs = pairs[:limit] if limit else pairs
        res = evaluate_reward_model(model, pairs, max_length=max_length, batch_size=batch_size,
                                    meta={"data": str(data)})
        _finish(res.report, out, {k: res.scores[k] for k in ("accuracy", "ties", "margin")})

    _run(body)


@app.command()
def dialogue(
    data: DataOpt, out: OutOpt,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (model, knowledge "
                                                                      "base, dialog settings).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="LLM (default: the configured one).")] = None,
) -> None:
    """Replay scripted multi-turn conversations (YAML) through the assistant and check the expected
    intents, policies, slots, handoffs and answer content (format: kefu.evaluate.dialogue).

    Uses the deployment's knowledge base and settings, but records the conversations in a
    separate SQLite store inside --out, never in the production one.

    Example:

      kefu eval dialogue --data tests/fixtures/evaluate/dialogues.yaml --out reports/dialogue
    """
    def body() -> None:
        from kefu.config import load_settings
        from kefu.dialog.setup import build_services
        from kefu.evaluate.dialogue import evaluate_dialogues, read_scripts
        from kefu.llm.factory import load_llm

        scripts = read_scripts(data)
        out.mkdir(parents=True, exist_ok=True)
        settings = load_settings(config, llm={"model": model},
                                 store={"url": f"sqlite:///{(out / 'eval-conversations.db').resolve()}"})
        services = build_services(settings, load_llm(settings.llm))
        res = evaluate_dialogues(services.assistant, services.store, scripts, meta={"data": str(data)})
        _finish(res.report, out, res.scores)

    _run(body)
