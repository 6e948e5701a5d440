"""`cited ask` (ui.cli): one question, answered with citations, as text or JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import ui.cli
from index.settings import Settings

pytestmark = pytest.mark.integration

ANSWER_FIELDS = {
    "question",
    "text",
    "short_answer",
    "refused",
    "citations",
    "passages",
    "answerer",
    "timings",
    "notices",
}
CITATION_FIELDS = {"n", "paragraph_id", "doc_id", "quote", "start", "end", "verified"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = ui.cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_prints_the_whole_answer(
    capsys: pytest.CaptureFixture[str], articles_settings: Settings, original: Callable[[str], str]
) -> None:
    code, out, _ = run(
        capsys, "ask", "Who retook eastern Mosul?", "--json", "--index-dir", str(articles_settings.index_dir)
    )
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    assert data.keys() >= ANSWER_FIELDS
    assert data["refused"] is False and "Iraqi forces" in data["short_answer"]
    assert data["answerer"] == "extractive"
    assert {"retrieve", "answer", "total"} <= data["timings"].keys()
    assert data["citations"] and [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    passages = {p["paragraph"]["id"]: p["paragraph"] for p in data["passages"]}
    assert len(passages) == articles_settings.top_k
    for c in data["citations"]:
        assert c.keys() >= CITATION_FIELDS and c["verified"] is True
        para = passages[c["paragraph_id"]]
        assert c["doc_id"] == para["doc_id"]
        assert original(para["path"])[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in data["text"]
    assert any(
        "retook eastern Mosul" in c["quote"] or "recaptured eastern Mosul" in c["quote"] for c in data["citations"]
    )
    cited = data["citations"][0]
    assert cited["paragraph_id"] == "001_6433af30963515e2#7"  # the example: its span and its paragraph
    assert data["short_answer"] == "Iraqi forces"
    assert cited["start"] <= cited["answer_start"] < cited["answer_end"] <= cited["end"]
    assert (
        original(passages[cited["paragraph_id"]]["path"])[cited["answer_start"] : cited["answer_end"]] == "Iraqi forces"
    )


def test_ask_json_refuses_what_the_articles_do_not_say(
    capsys: pytest.CaptureFixture[str], articles_settings: Settings
) -> None:
    code, out, _ = run(
        capsys,
        "ask",
        "Who won the 2018 Iraqi parliamentary election?",
        "--json",
        "--index-dir",
        str(articles_settings.index_dir),
    )
    assert code == 0
    data = json.loads(out)
    assert data["refused"] is True and data["citations"] == [] and data["short_answer"] is None


def test_ask_as_text_lists_the_sources(capsys: pytest.CaptureFixture[str], articles_settings: Settings) -> None:
    code, out, err = run(
        capsys,
        "ask",
        "How many bodies did ISIS leave in the field?",
        "--index-dir",
        str(articles_settings.index_dir),
        "--k",
        "4",
    )
    assert code == 0
    assert "200" in out and "[1]" in out
    source_lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(source_lines) >= 2 and all("UNVERIFIED" not in line for line in source_lines)
    assert "extractive" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "   "], r"empty"),
        (["ask", "Who retook eastern Mosul?", "--k", "0"], r"k must be between 1 and 50, got 0"),
        (["ask", "Who retook eastern Mosul?", "--k", "51"], r"k must be between 1 and 50, got 51"),
    ],
    ids=["empty-question", "k-zero", "k-too-large"],
)
def test_ask_reports_user_errors_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], articles_settings: Settings, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--index-dir", str(articles_settings.index_dir))
    assert code == ui.cli.EXIT_USER_ERROR == 2
    # argparse reports option errors after a usage line; the product's own errors are a single "error:" line
    assert re.search(r"(?m)^(?:cited ask: )?error:", err) and re.search(message, err) and out == ""


def test_ask_on_an_empty_index_says_to_ingest(capsys: pytest.CaptureFixture[str], fresh_settings: Settings) -> None:
    code, _, err = run(capsys, "ask", "Who retook eastern Mosul?", "--index-dir", str(fresh_settings.index_dir))
    assert code == 2 and "cited ingest" in err


def test_control_characters_from_an_article_never_reach_the_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """An article holding "\\e[2J" (clear screen) or "\\e]0;TITLE\\a" (retitle) is quoted with them made visible."""
    from index.ingest import ingest

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "tty.txt").write_text(
        "Terminal Story\n\nTown- The mayor \x1b[2Jopened the new library\x1b]0;PWNED\x07 on Monday, officials said.\n",
        encoding="utf-8",
    )
    settings = Settings(index_dir=tmp_path / "index", articles_dir=folder, chroma_url=None)
    ingest([folder], settings, progress=False)
    code, out, err = run(capsys, "ask", "Who opened the new library?", "--index-dir", str(settings.index_dir))
    assert code == 0
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b[2J" in out  # visible, not obeyed, and nothing of the article is dropped


def test_missing_reader_weights_are_a_clear_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str], articles_settings: Settings, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-weights"
    empty.mkdir()
    monkeypatch.setenv("CITED_READER_DIR", str(empty))
    code, _, err = run(capsys, "ask", "Who retook eastern Mosul?", "--index-dir", str(articles_settings.index_dir))
    assert code == 2
    assert err.startswith(f"error: reader weights file {empty / 'config.json'} is missing") and "git checkout" in err
    assert "Traceback" not in err


def test_ask_and_retrieve_take_a_date_range_and_an_as_of_day(
    capsys: pytest.CaptureFixture[str], dated_settings: Settings
) -> None:
    from eval.dated_corpus import EVENTS

    marathon, index = EVENTS[0], ["--index-dir", str(dated_settings.index_dir)]
    as_of = marathon.days[0].isoformat()
    code, out, _ = run(capsys, "ask", "Who won the Northfield Marathon this week?", "--as-of", as_of, *index)
    assert code == 0 and marathon.names[0] in out
    assert f"{marathon.outlet}, {as_of}" in out  # the citation line shows outlet and day
    code, out, _ = run(capsys, "ask", "Who won the Northfield Marathon?", "--since", "2024-01-01", "--json", *index)
    assert code == 0 and json.loads(out)["short_answer"] == marathon.names[1]
    code, out, _ = run(capsys, "retrieve", "Northfield Marathon", "--until", "2021-12-31", "--json", *index)
    days = [p["paragraph"]["published"] for p in json.loads(out)["passages"]]
    assert code == 0 and days and all(day <= "2021-12-31" for day in days)


@pytest.mark.parametrize("argv", [["--since", "March"], ["--as-of", "2024-02-30"]])
def test_a_bad_day_is_a_usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, "ask", "Who won?", *argv)
    assert code == 2 and "YYYY-MM-DD" in err and out == ""
