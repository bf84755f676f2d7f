"""The ``kefu`` command: one table from subcommand to function.

Own commands here: serve, chat, generate, models, config. Command groups of other packages
(kb, train, eval, tools, bench, ...) are listed in :data:`GROUPS` and mounted when their
module is installed; each module exposes ``app`` (a ``typer.Typer``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from kefu.errors import KefuError

console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    name="kefu",
    help="kefu (客服): self-hosted intelligent customer service on a local LLM.\n\n"
    "Quick start:\n\n"
    "  kefu serve                      # OpenAI-compatible server on 127.0.0.1:8000\n\n"
    "  kefu chat                       # talk to the model in the terminal\n\n"
    "  kefu generate 'Say hi'          # one answer, then exit\n\n"
    "  kefu serve --model openai:qwen2.5@http://localhost:11434/v1   # generate with Ollama\n\n"
    "Settings come from kefu.yaml (or --config), KEFU_* variables (e.g. KEFU_SERVER__PORT=9000) "
    "and options; `kefu config` shows them all.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)

# command group -> module holding `app`
GROUPS: dict[str, str] = {
    "kb": "kefu.cli.kb",
    "train": "kefu.cli.train",
    "eval": "kefu.cli.eval",
    "tools": "kefu.cli.tools",
    "bench": "kefu.cli.bench",
    "store": "kefu.cli.store",
}

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (default: ./kefu.yaml).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m",
    help="'default' (bundled SmolLM2-135M-Instruct), a .gguf file, an HF model or LoRA directory, "
         "or openai:MODEL@http://host:port/v1.")]
AdapterOpt = Annotated[str | None, typer.Option("--adapter", help="LoRA adapter directory on top of --model.")]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="auto | llamacpp | transformers | openai.")]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", "-t", help="CPU threads for local models.")]


def _settings(config: Path | None, **llm: Any) -> Any:
    from kefu.config import load_settings

    return load_settings(config, llm=llm)


def _run(fn: Any) -> Any:
    """Run a command body; a KefuError becomes a one-line message and exit code 2."""
    try:
        return fn()
    except KefuError as e:
        console.print(f"[bold red]error:[/] {e.message}")
        if e.hint:
            console.print(f"[yellow]hint:[/] {e.hint}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    config: ConfigOpt = None, model: ModelOpt = None, adapter: AdapterOpt = None, backend: BackendOpt = None,
    threads: ThreadsOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    api_key: Annotated[list[str] | None, typer.Option(
        "--api-key", help="Require this key on /v1 routes (repeat for several).")] = None,
) -> None:
    """Start the OpenAI-compatible server (and every installed add-on: knowledge base, assistant, console).

    Examples:

      kefu serve

      kefu serve --model ./out/sft-merged --port 9000

      kefu serve --model openai:meta-llama/Llama-3.1-8B-Instruct@http://gpu-box:8000/v1

    Then: `curl localhost:8000/v1/chat/completions -d '{"model":"default","messages":[{"role":"user","content":"hi"}]}'`
    """
    import uvicorn

    from kefu.config import load_settings
    from kefu.server.app import create_app

    def body() -> None:
        settings = load_settings(config, llm={"model": model, "adapter": adapter, "backend": backend,
                                              "threads": threads},
                                 server={"host": host, "port": port, "api_keys": api_key or None})
        from kefu.llm.factory import load_llm

        console.print(f"loading model [bold]{settings.llm.model}[/] ...")
        llm = load_llm(settings.llm)  # load before binding the port: a bad --model fails fast
        base = f"http://{settings.server.host}:{settings.server.port}"
        console.print(f"kefu serving [bold]{llm.model_id}[/] on {base}  (OpenAI base URL: {base}/v1)")
        if settings.dialog.enabled:
            console.print(f"  chat widget + demo shop: {base}/    agent console: {base}/console    "
                          f"assistant as a model: 'kefu-assistant'")
            console.print("  (the first start loads the demo company into the knowledge base: about a minute)")
        uvicorn.run(create_app(settings, llm), host=settings.server.host, port=settings.server.port,
                    log_level=os.environ.get("KEFU_LOG_LEVEL", "info"), timeout_graceful_shutdown=5)

    _run(body)


def _sampling(settings: Any, max_tokens: int | None, temperature: float | None, seed: int | None) -> Any:
    from kefu.llm.base import SamplingParams

    s = settings.sampling
    return SamplingParams(max_tokens=max_tokens or s.max_tokens,
                          temperature=s.temperature if temperature is None else temperature,
                          top_p=s.top_p, top_k=s.top_k, repetition_penalty=s.repetition_penalty, seed=seed)


MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", "-n", help="Maximum new tokens.")]
TempOpt = Annotated[float | None, typer.Option("--temperature", help="0 = greedy.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Same seed + settings = same output.")]


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="The message (use '-' to read standard input).")],
    config: ConfigOpt = None, model: ModelOpt = None, adapter: AdapterOpt = None, backend: BackendOpt = None,
    threads: ThreadsOpt = None, system: Annotated[str | None, typer.Option(help="System message.")] = None,
    max_tokens: MaxTokensOpt = None, temperature: TempOpt = None, seed: SeedOpt = None,
    raw: Annotated[bool, typer.Option("--raw", help="Plain completion of PROMPT, no chat template.")] = False,
) -> None:
    """Answer one message and exit (streams to standard output).

    Examples:

      kefu generate "What is a refund?"

      echo "Summarise: ..." | kefu generate - --max-tokens 100 --temperature 0
    """
    from kefu.llm.base import GenerationRequest, Message
    from kefu.llm.chat import chat
    from kefu.llm.factory import load_llm

    def body() -> None:
        text = sys.stdin.read() if prompt == "-" else prompt
        settings = _settings(config, model=model, adapter=adapter, backend=backend, threads=threads)
        llm = load_llm(settings.llm)
        params = _sampling(settings, max_tokens, temperature, seed)
        if raw:
            stream = llm.stream(GenerationRequest(prompt=text, params=params))
        else:
            msgs = ([Message("system", system)] if system else []) + [Message("user", text)]
            stream = iter(chat(llm, msgs, params))
        for c in stream:
            sys.stdout.write(c.text)
            sys.stdout.flush()
        sys.stdout.write("\n")

    _run(body)


@app.command("chat")
def chat_cmd(
    config: ConfigOpt = None, model: ModelOpt = None, adapter: AdapterOpt = None, backend: BackendOpt = None,
    threads: ThreadsOpt = None, system: Annotated[str | None, typer.Option(help="System message.")] = None,
    max_tokens: MaxTokensOpt = None, temperature: TempOpt = None, seed: SeedOpt = None,
) -> None:
    """Chat with the model in the terminal, with history and streaming.

    Commands inside the chat: /reset (forget the history), /system TEXT (set the system
    message and reset), /history, /exit. Ctrl-C stops the current answer; Ctrl-D exits.
    """
    from kefu.llm.chat import Conversation
    from kefu.llm.factory import load_llm

    def body() -> None:
        settings = _settings(config, model=model, adapter=adapter, backend=backend, threads=threads)
        llm = load_llm(settings.llm)
        conv = Conversation(llm, system)
        params = _sampling(settings, max_tokens, temperature, seed)
        console.print(f"[dim]chatting with {llm.model_id} (context {llm.context_length} tokens); "
                      "/reset, /system TEXT, /history, /exit[/]")
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                break
            if not line:
                continue
            if line in ("/exit", "/quit"):
                break
            if line == "/reset":
                conv.reset()
                console.print("[dim]history cleared[/]")
                continue
            if line.startswith("/system"):
                conv.system = line.removeprefix("/system").strip() or None
                conv.reset()
                console.print(f"[dim]system message set ({'none' if not conv.system else conv.system}); "
                              "history cleared[/]")
                continue
            if line == "/history":
                for m in conv.messages():
                    console.print(f"[bold]{m.role}[/]: {m.content}")
                continue
            try:
                reply = conv.say(line, params)
                sys.stdout.write("kefu> ")
                for c in reply:
                    sys.stdout.write(c.text)
                    sys.stdout.flush()
                sys.stdout.write("\n")
                if reply.fitted.dropped:
                    console.print(f"[dim](the {len(reply.fitted.dropped)} oldest messages no longer fit the "
                                  "context window and were left out)[/]")
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                console.print("[dim](stopped)[/]")
            except KefuError as e:
                console.print(f"[red]error:[/] {e}")

    _run(body)


@app.command()
def models(config: ConfigOpt = None) -> None:
    """Show which model kefu would use and how to choose another."""
    from kefu.llm.factory import bundled_gguf, describe

    def body() -> None:
        settings = _settings(config)
        try:
            default = str(bundled_gguf())
        except KefuError as e:
            default = f"(not installed: {e.message})"
        print(f"configured model : {settings.llm.model}  -> backend {describe(settings.llm.model)}")
        print(f"bundled default  : SmolLM2-135M-Instruct Q4_1 GGUF at {default}")
        print("other choices    : --model PATH.gguf | --model HF_DIR | --model LORA_DIR | "
              "--model openai:MODEL@http://host:port/v1")

    _run(body)


@app.command("config")
def config_cmd(config: ConfigOpt = None) -> None:
    """Print the effective settings (file + KEFU_* environment) as YAML."""
    import yaml

    def body() -> None:
        print(yaml.safe_dump(_settings(config).model_dump(mode="json"), sort_keys=False, allow_unicode=True))

    _run(body)


def _mount_groups() -> None:
    for name, module in GROUPS.items():
        if importlib.util.find_spec(module) is not None:
            app.add_typer(importlib.import_module(module).app, name=name)


_mount_groups()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
