# Two commands for a fresh machine:  `make run` (the chat on the bundled articles)  and  `make test`.
# Both set up what they need first and are quick the second time.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CACHE ?= .cache
STAMP := $(VENV)/.cited-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup system-deps llm-assets lint bench eval clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	$(PY) -m index.onnx_encoder
	$(PY) -m qa.reader.runtimes
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/cited serve

# System packages the tests need (Chromium for the browser test), and the LLM server for the LLM tests.
system-deps:
	@bash scripts/install-system-deps.sh

llm-assets: setup
	@bash scripts/llm-assets.sh $(CACHE)

test: setup system-deps llm-assets
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/cited bench

# The gold set (with the retrieval-mode and baseline comparison) and the two held-out sets, one report each.
eval: setup
	$(VENV)/bin/cited ingest data/articles
	$(VENV)/bin/cited eval --compare --out reports/gold
	$(VENV)/bin/cited eval --dataset eval/datasets/articles-heldout.jsonl --out reports/heldout
	$(VENV)/bin/cited eval --dataset eval/datasets/articles-heldout2.jsonl --out reports/heldout2

clean:
	rm -rf .cited reports
