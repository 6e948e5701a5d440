"""The README's sample `cited ask` session is what `cited ask` prints today (#14 item 10: it had gone stale).

Each `$ cited ask "…"` of the README's first text block is run against the bundled articles; every line the README
shows must appear in the output, in order, where "…" in the README stands for any text (an elision).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import ui.cli
from index.settings import Settings

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_sessions() -> list[tuple[list[str], list[str]]]:
    """(argv, expected lines) for each `$ cited ask …` in the README's first ```text block that has one."""
    blocks = re.findall(r"```text\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    block = next(b for b in blocks if "$ cited ask" in b)
    sessions: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ cited "):
            sessions.append((shlex.split(line[len("$ cited ") :]), []))
        elif line.strip() and sessions:
            sessions[-1][1].append(line)
    return sessions


def as_pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in line.split("…")))


def test_the_readme_shows_at_least_an_answer_and_a_refusal() -> None:
    sessions = readme_sessions()
    assert len(sessions) >= 2 and all(argv[0] == "ask" for argv, _ in sessions)


@pytest.mark.parametrize("argv, expected", readme_sessions(), ids=lambda v: v[1] if isinstance(v, list) else "")
def test_each_readme_example_prints_what_the_readme_shows(
    capsys: pytest.CaptureFixture[str], articles_settings: Settings, argv: list[str], expected: list[str]
) -> None:
    code = ui.cli.main([*argv, "--index-dir", str(articles_settings.index_dir)])
    out = capsys.readouterr().out
    assert code == 0
    # The README wraps long lines; the output has one line per paragraph. Compare on the joined text, in order.
    text = " ".join(out.split())
    at = 0
    for line in expected:
        found = as_pattern(" ".join(line.split())).search(text, at)
        assert found is not None, f"README line not in the output (after position {at}): {line!r}\n{out}"
        at = found.end()
