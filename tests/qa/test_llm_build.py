"""The LLM test server's build: portable CPU code only, and a dead server reported as such."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from processes import server_death

REPO_ROOT = Path(__file__).resolve().parents[2]
LLM_VENV = REPO_ROOT / ".cache" / "llm-venv"


@pytest.mark.unit
def test_a_server_killed_by_a_signal_is_reported_with_the_signal_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("POST /v1/chat/completions 200 OK\n")
    proc = subprocess.Popen(["sleep", "30"])
    assert server_death(proc, log) is None
    proc.send_signal(signal.SIGSEGV)
    proc.wait(timeout=10)
    death = server_death(proc, log)
    assert death is not None and f"signal {int(signal.SIGSEGV)}" in death and "200 OK" in death


@pytest.mark.integration
def test_the_llama_cpp_cpu_library_has_no_amx_or_avx512_instructions() -> None:
    """A native build on an AMX Xeon emits `ldtilecfg`, which traps in these VMs; zmm registers mean AVX-512."""
    libraries = sorted(LLM_VENV.glob("lib/python3.11/site-packages/**/libggml-cpu*.so*"))
    if not libraries or shutil.which("objdump") is None:
        pytest.skip("the LLM venv (make llm-assets) or objdump is missing")
    disassembly = subprocess.run(
        ["objdump", "-d", str(libraries[0])], capture_output=True, text=True, check=True
    ).stdout
    assert "ldtilecfg" not in disassembly and "tdpbssd" not in disassembly
    assert "%zmm" not in disassembly
    assert "%ymm" in disassembly  # AVX2 is kept: the build is portable, not slow
