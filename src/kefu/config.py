"""Typed settings: one object for the CLI and the server.

Sources, later ones win: defaults here < ``kefu.yaml`` (or the file named by ``--config`` /
``KEFU_CONFIG``) < environment variables (``KEFU_`` prefix, ``__`` between levels, e.g.
``KEFU_SERVER__PORT=9000``, ``KEFU_LLM__MODEL=/models/qwen.gguf``) < command-line options.

Each package owns one section; every field has a description, which ``kefu config`` prints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kefu.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def default_threads() -> int:
    """Physical cores are what matters for llama.cpp / torch on CPU; hyper-threads hurt.
    Measured on the 2-core reference machine (bench/llm_speed.py): threads = cores."""
    return max(1, min(os.cpu_count() or 1, 8))


class LLMSettings(Section):
    model: str = Field(
        "default",
        description="What to generate with: 'default' (bundled SmolLM2-135M-Instruct GGUF), a .gguf "
        "file, a Hugging Face model directory (a LoRA adapter directory works too), or "
        "'openai:MODEL@BASE_URL' for any OpenAI-compatible server (vLLM, Ollama, llama-server, OpenAI).",
    )
    backend: str = Field(
        "auto", description="Force a backend: auto | llamacpp | transformers | openai | fake."
    )
    adapter: str | None = Field(None, description="A LoRA adapter directory applied on top of an HF model.")
    api_key: str | None = Field(
        None, description="API key for the openai backend (else OPENAI_API_KEY is used)."
    )
    context_length: int | None = Field(
        None, description="Override the context window (tokens); default: what the model declares."
    )
    threads: int = Field(default_factory=default_threads, description="CPU threads for local backends.")
    device: str = Field("auto", description="transformers backend device: auto | cpu | cuda | cuda:N.")
    gpu_layers: int = Field(0, description="llama.cpp layers to offload to the GPU (-1 = all).")
    timeout_s: float = Field(120.0, description="Timeout for a remote backend's requests, seconds.")


class SamplingDefaults(Section):
    max_tokens: int = Field(256, description="Default maximum new tokens per answer.")
    temperature: float = Field(0.7, description="Default temperature (0 = greedy).")
    top_p: float = Field(0.95, description="Default nucleus sampling mass.")
    top_k: int = Field(40, description="Default top-k (0 = off).")
    repetition_penalty: float = Field(1.1, description="Default repetition penalty (1 = off).")


class ServerSettings(Section):
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, description="Port to listen on.")
    api_keys: list[str] = Field(
        default_factory=list,
        description="If set, /v1/* routes (except /v1/models) require 'Authorization: Bearer KEY'.",
    )
    max_concurrent: int = Field(
        1, description="Generations running at once (local CPU models: 1; remote backends: more)."
    )
    max_queue: int = Field(32, description="Requests allowed to wait; beyond that the server answers 429.")
    queue_timeout_s: float = Field(60.0, description="How long a request may wait in the queue (then 503).")
    max_request_bytes: int = Field(1_000_000, description="Largest request body accepted (413 beyond).")
    cors_origins: list[str] = Field(default_factory=lambda: ["*"], description="Allowed CORS origins.")
    rate_limit_per_minute: int = Field(30, description="Customer messages allowed per client (IP) per minute; "
                                       "0 = unlimited.")

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 0 <= v <= 65535:
            raise ValueError("port must be 0..65535")
        return v


class KnowledgeSettings(Section):
    """The knowledge base (kefu.knowledge). Data lives under ``data_dir / "kb"``."""

    embedder: str = Field("default", description="Embedding model: default (multilingual-e5-small), "
                          "all-MiniLM-L6-v2, a sentence-transformers directory, openai:MODEL@URL, or hash-N (tests).")
    store: str = Field("chroma", description="Vector store: chroma (embedded, in data_dir) | chroma-http | milvus.")
    store_url: str | None = Field(None, description="chroma-http: http://host:port; milvus: a .db file (milvus-lite) "
                                  "or http://host:19530 (a Milvus server). Default: a file under data_dir/kb.")
    chunk_tokens: int = Field(256, description="Largest chunk, in kefu tokens (a CJK character or a word = 1).")
    chunk_overlap: int = Field(32, description="Tokens repeated between consecutive chunks of a section.")
    top_k: int = Field(5, description="Hits returned by a search.")
    candidates: int = Field(30, description="Hits each retriever (dense, BM25) contributes before fusion.")
    dense_weight: float = Field(1.0, description="Weight of the dense ranking in reciprocal rank fusion.")
    bm25_weight: float = Field(1.0, description="Weight of the BM25 ranking in reciprocal rank fusion.")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant k in 1/(k + rank).")
    reranker: str = Field("none", description="Rerank step after fusion: none | embedding.")
    faq_threshold: float = Field(0.8, description="FAQ direct answer when a question/paraphrase matches at least "
                                 "this well: 0.5 * cosine + 0.5 * keyword Dice overlap, 0..1 (docs/knowledge.md).")
    min_overlap: float = Field(0.3, description="A hit counts as relevant (else answer() abstains) only if it holds "
                               "this fraction of the question's keywords ...")
    relevant_dense_rank: int = Field(10, description="... and the embedder ranks it within this many places.")
    batch_size: int = Field(32, description="Chunks embedded per batch during ingest.")


class StoreSettings(Section):
    """The conversation store (kefu.store): SQLite in data_dir by default, PostgreSQL by URL."""

    url: str | None = Field(
        None, description="Database URL for conversations, tickets, accounts: sqlite:///PATH.db or "
        "postgresql+psycopg://USER:PASS@HOST:5432/DB. Default: SQLite at DATA_DIR/kefu.db.",
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging).")
    pool_size: int = Field(5, description="PostgreSQL: connections kept open per process.")
    max_overflow: int = Field(10, description="PostgreSQL: extra connections allowed under load.")
    pool_timeout_s: float = Field(30.0, description="PostgreSQL: seconds to wait for a free connection.")
    pool_recycle_s: int = Field(1800, description="PostgreSQL: reopen connections older than this.")
    sqlite_busy_timeout_ms: int = Field(5000, description="SQLite: how long a writer waits for the lock.")
    auto_migrate: bool = Field(True, description="Upgrade the schema to the newest revision at startup.")

    def resolved_url(self, data_dir: Path | None) -> str:
        """``url``, or SQLite in ``data_dir`` when unset."""
        if self.url:
            return self.url
        base = Path(data_dir) if data_dir is not None else Path.home() / ".kefu"
        return f"sqlite:///{(base.expanduser() / 'kefu.db').as_posix()}"


def _default_sql_allow() -> dict[str, list[str]]:
    # the demo orders/catalog schema (demo/orders); customer contact details stay out of
    # free-form questions (the parameterised lookups in kefu.tools.lookups handle those)
    return {
        "products": ["sku", "name_en", "name_zh", "category", "price", "colors", "stock"],
        "orders": ["order_no", "customer_id", "status", "created_at", "paid_at", "shipped_at", "delivered_at",
                   "carrier", "tracking_no", "payment_method", "subtotal", "shipping_fee", "total", "refund_amount"],
        "order_items": ["id", "order_no", "sku", "color", "qty", "unit_price"],
        "customers": ["id", "province", "city", "member_tier", "joined_at"],
    }


class ToolsSettings(Section):
    """Tools (kefu.tools): web search (off by default) and read-only SQL over a business database."""

    search_provider: str = Field("none", description="Web search: none (off) | ddgs (DuckDuckGo via the ddgs "
                                 "package) | searxng (a self-hosted SearXNG instance, JSON API).")
    searxng_url: str = Field("http://127.0.0.1:8888", description="SearXNG base URL (its settings.yml must "
                             "enable the json format).")
    search_timeout_s: float = Field(8.0, description="Seconds before a web search gives up.")
    search_max_results: int = Field(5, description="Web results turned into numbered sources.")
    sql_url: str | None = Field(None, description="Business database for questions and lookups: a SQLite file "
                                "path / sqlite:///PATH, or postgresql://USER:PASS@HOST/DB (opened read-only).")
    sql_allow: dict[str, list[str]] = Field(default_factory=_default_sql_allow, description="Tables and "
                                            "columns generated SQL may read: {table: [column, ...]}, '*' = all.")
    sql_row_limit: int = Field(50, description="Most rows a generated query returns (LIMIT added or capped).")
    sql_timeout_s: float = Field(5.0, description="Seconds a query may run before it is stopped.")

    @field_validator("search_provider")
    @classmethod
    def _provider(cls, v: str) -> str:
        if v not in ("none", "ddgs", "searxng"):
            raise ValueError("search_provider must be none, ddgs or searxng")
        return v

    @field_validator("search_max_results", "sql_row_limit")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v


class DialogSettings(Section):
    """The assistant (kefu.dialog): persona, policy thresholds, rules."""

    enabled: bool = Field(True, description="Run the customer-service assistant (conversation routes, widget, "
                          "console). Off: kefu is a plain OpenAI-compatible model server.")

    persona_en: str = Field(
        "You are the friendly customer service assistant of Lumo Home, an online home-appliance shop. "
        "Be concise and polite.", description="Persona (system prompt opening) for English conversations.")
    persona_zh: str = Field("你是鹿鸣家居（一家家电网店）的智能客服，回答简洁、礼貌。",
                            description="Persona for Chinese conversations.")
    prompts_file: str | None = Field(None, description="A YAML file of prompt templates whose fields override "
                                     "the built-in ones (kefu/knowledge/prompts.yaml; docs/knowledge.md, "
                                     "'Prompts'). None: the built-ins.")
    prompt_examples: bool = Field(False, description="Show the answer prompt's worked examples (a cited answer "
                                  "and an abstention) to the model as few-shot turns. Off: shorter prompts.")
    knowledge_base: str = Field("default", description="Name of the knowledge base the assistant answers from.")
    load_demo: bool = Field(True, description="Load the bundled demo company (demo/) into an empty knowledge "
                            "base and use its orders database on first start.")
    orders_db: str | None = Field(None, description="Orders/catalog database (SQLite path or URL) for order lookups "
                                  "and recommendations; default: the demo's, built under data_dir.")
    intent_threshold: float | None = Field(None, description="Out-of-scope threshold on the intent score "
                                           "(None: estimated by cross-validation when the classifier is fitted).")
    intent_llm: bool = Field(False, description="Ask the LLM for the intent when the embedding classifier is "
                             "not sure (score below the threshold), with retrieved intent examples as few-shot "
                             "demonstrations; an answer naming no intent keeps the embedding prediction.")
    intent_llm_shots: int = Field(8, ge=0, description="Intent examples shown to the LLM (0 = zero-shot).")
    max_unresolved: int = Field(2, description="Hand off to a human after this many unanswered turns in a row.")
    handoff_on_complaint: bool = Field(True, description="Hand complaints to a human at once.")
    forbidden_words: list[str] = Field(default_factory=list, description="Words masked in answers (***).")
    spelling: dict[str, list[str]] = Field(default_factory=dict, description="Extra spelling fixes: "
                                           "{right: [wrong, ...]} on top of the catalog's product names.")
    max_answer_chars: int = Field(800, description="Answers are cut at the last sentence end within this length.")
    candidates: int = Field(1, description="Generate this many answers and keep the best by the scorer (1 = off).")
    reward_model: str | None = Field(None, description="A reward model directory (kefu train reward) used as the "
                                     "scorer when candidates > 1; default scorer: relevance to the sources.")
    history_turns: int = Field(6, description="Most recent messages given to the model as history.")
    max_tokens: int = Field(200, description="Maximum new tokens per generated answer.")
    temperature: float = Field(0.2, description="Sampling temperature for answers.")


class ConsoleSettings(Section):
    """The agent console (``/console``) and webhook delivery (``kefu.server.console_routes``)."""

    admin_username: str = Field("admin", description="Admin account created on first start when no account exists.")
    admin_password: str | None = Field(None, description="Its password; unset: one is generated once, logged and "
                                       "saved to data_dir/admin-password.txt.")
    session_secret: str | None = Field(None, description="Key that signs console session cookies (HMAC-SHA256); "
                                       "unset: generated once and kept in data_dir/console-secret.txt.")
    session_hours: float = Field(12.0, description="A console login stays valid this long.")
    secure_cookie: bool = Field(False, description="Send the session cookie only over HTTPS (set behind TLS).")
    webhook_timeout_s: float = Field(5.0, description="Seconds a webhook receiver has to answer.")
    webhook_max_attempts: int = Field(6, ge=1, description="Attempts per delivery before it is marked failed.")
    webhook_backoff_s: float = Field(2.0, gt=0, description="First retry delay; doubles after every failure.")
    webhook_poll_s: float = Field(1.0, gt=0, description="How often the delivery worker looks for due deliveries.")


class Settings(BaseSettings):
    """All of kefu's settings."""

    model_config = SettingsConfigDict(
        env_prefix="KEFU_", env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    data_dir: Path = Field(
        Path.home() / ".kefu", description="Where kefu keeps its databases, indexes and models."
    )
    llm: LLMSettings = Field(default_factory=LLMSettings)
    sampling: SamplingDefaults = Field(default_factory=SamplingDefaults)
    server: ServerSettings = Field(default_factory=ServerSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    dialog: DialogSettings = Field(default_factory=DialogSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):  # type: ignore[override]
        # explicit arguments (the YAML file and CLI options, merged by load_settings) win over env
        return (init_settings, env_settings)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from a YAML file (if any), the environment and ``overrides``.

    ``overrides`` use nested dicts, e.g. ``load_settings(llm={"model": "x.gguf"})``; ``None``
    values are ignored so CLI options left unset don't clobber the file or the environment.
    Raises :class:`ConfigError` naming the file and field on any problem.
    """
    path = config_file or os.environ.get("KEFU_CONFIG")
    if path is None and Path("kefu.yaml").is_file():
        path = "kefu.yaml"
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} not found", hint="check the path given to --config/KEFU_CONFIG")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {p} is not valid YAML: {e}") from e
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {p} must hold a mapping at the top level")
        data = loaded
    env_data = _env_values()
    clean = _drop_none(overrides)
    merged = _deep_merge(_deep_merge(data, env_data), clean)
    try:
        return Settings(**merged)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid settings{where}: {problems}") from e


def _env_values() -> dict[str, Any]:
    """Environment overrides as nested dicts (pydantic-settings does the parsing of values)."""
    try:
        return Settings().model_dump(exclude_unset=True)  # only what the environment set
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"invalid KEFU_* environment variable: {problems}") from e


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            sub = _drop_none(v)
            if sub:
                out[k] = sub
        elif v is not None:
            out[k] = v
    return out
