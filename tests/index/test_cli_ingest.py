"""`cited ingest` and `cited status`: summaries, JSON, and one clear error line instead of a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import ui.cli

pytestmark = pytest.mark.integration


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = ui.cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ingest_then_status(tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = ["--index-dir", str(tmp_path / "index")]
    code, out, err = run(["ingest", str(articles_dir), *index, "--quiet"], capsys)
    assert code == 0, err
    assert "5 files: 5 added, 0 updated, 0 removed, 0 unchanged" in out
    assert "index: 5 documents, 55 paragraphs" in out
    assert "error" not in err and "embedding" not in err  # --quiet: no progress bar

    code, out, _ = run(["status", *index, "--json"], capsys)
    assert code == 0
    status = json.loads(out)
    assert status["documents"] == 5 and status["paragraphs"] == 55 and status["chunks"] >= 55
    assert status["store"] == "embedded chroma"
    assert status["location"] == str((tmp_path / "index" / "chroma").resolve())
    assert status["version"].startswith("cited-v") and status["last_ingest"] != "never"

    code, out, _ = run(["status", *index], capsys)
    assert code == 0 and "documents: 5" in out and "embedded chroma" in out

    code, out, _ = run(["ingest", str(articles_dir), *index, "--quiet"], capsys)
    assert code == 0 and "0 added, 0 updated, 0 removed, 5 unchanged" in out


def test_status_of_an_index_never_ingested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["status", "--index-dir", str(tmp_path / "index"), "--json"], capsys)
    assert code == 0
    status = json.loads(out)
    assert (status["documents"], status["chunks"]) == (0, 0)
    assert (status["version"], status["last_ingest"]) == (None, "never")


def test_notes_and_skipped_files_go_to_stderr(
    tmp_path: Path, write_corpus: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_corpus(tmp_path / "news", ("bridge", "harvest"))
    (folder / "legacy.txt").write_bytes(b"Caf\xe9 Reopens\n\nThe caf\xe9 on the corner reopened on Monday.\n")
    (folder / "empty.txt").write_bytes(b"")
    argv = ["ingest", str(folder), "--index-dir", str(tmp_path / "i"), "--quiet", "--skip-bad"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "3 added" in out
    lines = err.splitlines()
    assert any(line.startswith("note: ") and "legacy.txt" in line and "cp1252" in line for line in lines)
    assert any(line.startswith("skipped: ") and "empty.txt" in line for line in lines)


def _missing(tmp: Path) -> tuple[list[str], str]:
    return [str(tmp / "no-such-folder")], "no-such-folder"


def _empty(tmp: Path) -> tuple[list[str], str]:
    (tmp / "empty.txt").write_bytes(b"")
    return [str(tmp / "empty.txt")], "empty.txt"


def _binary(tmp: Path) -> tuple[list[str], str]:
    (tmp / "image.html").write_bytes(b"GIF89a\x00\x00\x01\x00")
    return [str(tmp / "image.html")], "image.html"


def _unsupported(tmp: Path) -> tuple[list[str], str]:
    (tmp / "article.docx").write_bytes(b"PK\x03\x04")
    return [str(tmp / "article.docx")], "article.docx"


def _no_articles(tmp: Path) -> tuple[list[str], str]:
    (tmp / "pictures").mkdir()
    (tmp / "pictures" / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    return [str(tmp / "pictures")], "pictures"


def _too_big(tmp: Path) -> tuple[list[str], str]:
    with (tmp / "archive.txt").open("wb") as fh:
        fh.truncate(25_000_000)  # sparse: over the 20 MB default without writing 25 MB
    return [str(tmp / "archive.txt")], "archive.txt"


INPUT_ERRORS: dict[str, Callable[[Path], tuple[list[str], str]]] = {
    "missing path": _missing,
    "empty file": _empty,
    "binary file": _binary,
    "unsupported suffix": _unsupported,
    "folder without articles": _no_articles,
    "file over the size limit": _too_big,
}


@pytest.mark.parametrize("case", list(INPUT_ERRORS))
def test_input_errors_are_one_clear_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_dir = tmp_path / "index"
    paths, name = INPUT_ERRORS[case](tmp_path)
    code, out, err = run(["ingest", *paths, "--index-dir", str(index_dir), "--quiet"], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and name in err.splitlines()[0]
    assert [line for line in err.splitlines() if line.startswith("error:")] == [err.splitlines()[0]]
    assert "Traceback" not in err
    assert not index_dir.exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status", "--chroma-url", "localhost:8000"], "must start with http:// or https://"),
        (["ingest", "--chroma-url", "ftp://example.org"], "must start with http:// or https://"),
    ],
)
def test_bad_settings_are_one_clear_line(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([*argv, "--index-dir", str(tmp_path / "index")], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and expected in err
    assert "Traceback" not in err


def test_usage_errors_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert ui.cli.main(["ingest", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
