"""`cited eval` end to end: with a stand-in qa (unit) and with the real index and answerer (integration)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from eval.cli import main
from eval.datasets import DEFAULT_DATASET
from index.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "data" / "articles"
REPORT_FILES = ("report.json", "report.md", "hit_at_k.png", "categories.png", "latency.png")

RECORDS = [
    {"id": "q1", "question": "who retook eastern mosul", "answers": ["Iraqi forces"],
     "evidence": ["Iraqi forces retook eastern Mosul"], "answerable": True, "category": "who"},
    {"id": "q2", "question": "how many villages were liberated", "answers": ["seven"],
     "evidence": ["Seven villages were liberated"], "answerable": True, "category": "how-many"},
    {"id": "q3", "question": "and when?", "answers": ["January"], "evidence": ["eastern Mosul in January"],
     "answerable": True, "history": ["who retook eastern mosul"], "category": "follow-up"},
    {"id": "q4", "question": "the unknowable budget of the dam", "answers": [], "evidence": [],
     "answerable": False, "category": "unanswerable"},
]  # fmt: skip

TINY_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Super_Bowl_50",
            "paragraphs": [
                {
                    "context": "Super Bowl 50 was an American football game. The Denver Broncos defeated the "
                    "Carolina Panthers 24–10 to earn their third Super Bowl title. The game was played at "
                    "Levi's Stadium in Santa Clara, California.",
                    "qas": [
                        {"id": "s1", "question": "Which team won Super Bowl 50?",
                         "answers": [{"text": "Denver Broncos", "answer_start": 49}]},
                        {"id": "s2", "question": "Where was Super Bowl 50 played?",
                         "answers": [{"text": "Levi's Stadium", "answer_start": 144}]},
                    ],
                }
            ],
        },
        {
            "title": "Steam_engine",
            "paragraphs": [
                {
                    "context": "A steam engine is a heat engine that performs mechanical work using steam as "
                    "its working fluid. James Watt improved the design in 1769.",
                    "qas": [
                        {"id": "e1", "question": "Who improved the steam engine?",
                         "answers": [{"text": "James Watt", "answer_start": 105}]},
                    ],
                }
            ],
        },
    ],
}  # fmt: skip


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "mosul.txt").write_text(
        "Mosul Offensive\nIraqi forces retook eastern Mosul in January.\nThe battle lasted months.\n",
        encoding="utf-8",
    )
    (folder / "dam.txt").write_text(
        "Dam Report\nPeshmerga forces retook an area near the Mosul dam.\nSeven villages were liberated.\n",
        encoding="utf-8",
    )
    return folder


def write_dataset(path: Path, records: list[dict[str, Any]] = RECORDS) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "mini.jsonl")


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    return path


def load_report(folder: Path) -> dict[str, Any]:
    for name in REPORT_FILES:
        assert (folder / name).is_file(), name
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


# --- unit: a stand-in qa package
@pytest.fixture
def fake_qa(monkeypatch: pytest.MonkeyPatch, corpus: Path, fake_retriever, fake_assistant) -> list[tuple[Any, ...]]:
    """Replace `qa` with fakes reading the article files of the settings they get; record what is built."""
    built: list[tuple[Any, ...]] = []

    def paragraphs(settings: Any) -> list[tuple[str, str]]:
        items = []
        for file in sorted(Path(settings.articles_dir).glob("*.txt")):
            lines = [line for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
            items += [(f"{file.stem}#{n}", line) for n, line in enumerate(lines[1:], start=1)]
        return items

    class Retriever:
        @classmethod
        def from_defaults(cls, settings: Any = None, mode: str = "fused") -> Any:
            built.append(("retriever", mode, settings.index_dir))
            return fake_retriever(paragraphs(settings), mode)

    class Assistant:
        @classmethod
        def from_defaults(cls, settings: Any = None, answerer: str | None = None, retriever: Any = None) -> Any:
            built.append(("assistant", answerer))
            return fake_assistant(retriever)

    module = types.ModuleType("qa")
    module.__path__ = importlib.import_module("qa").__path__  # its light submodules (qa.citations…) stay real
    module.Retriever = Retriever  # type: ignore[attr-defined]
    module.Assistant = Assistant  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "qa", module)
    monkeypatch.setenv("CITED_ARTICLES_DIR", str(corpus))
    monkeypatch.setenv("CITED_INDEX_DIR", str(corpus.parent / "no-index"))  # the fakes read the article files
    monkeypatch.delenv("CITED_ANSWERER", raising=False)
    monkeypatch.delenv("CITED_TOP_K", raising=False)
    import index.status

    monkeypatch.setattr(index.status, "index_status", lambda settings: {"documents": 2, "paragraphs": 4})
    return built


@pytest.mark.unit
def test_importing_the_cli_loads_nothing_heavy() -> None:
    # qa.answer_text (the shared answer normalisation) is light; the answerer, the reader and the stores are not.
    heavy = "('qa.assistant', 'qa.retriever', 'qa.reader.model', 'matplotlib', 'torch', 'chromadb', 'transformers')"
    code = f"import sys, eval.cli; print([m for m in {heavy} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.unit
def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--dataset", "--answerer", "--k", "--out", "--limit", "--compare", "--squad"):
        assert option in text


@pytest.mark.unit
@pytest.mark.parametrize("argv", [["--limit", "0"], ["--k", "x"], ["--answerer", "nonsense"]])
def test_bad_arguments_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


@pytest.mark.unit
def test_run_writes_the_report_and_prints_a_summary(
    fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["--dataset", str(dataset), "--index-dir", str(tmp_path / "idx"), "--out", str(out), "--k", "2"]
    assert main([*argv, "--no-progress"]) == 0
    report = load_report(out)
    assert report["counts"] == {"questions": 4, "answerable": 3, "unanswerable": 1}
    assert report["k"] == 2 and report["answerer"] == "extractive"
    assert report["dataset"]["path"] == str(dataset) and report["dataset"]["kind"] == "jsonl"
    assert report["corpus"]["paragraphs"] == 4
    assert report["settings"]["index_dir"] == str(tmp_path / "idx")
    assert [q["id"] for q in report["questions"]] == ["q1", "q2", "q3", "q4"]
    assert 0.0 <= report["retrieval"]["hit@5"] <= 1.0
    assert report["refusal"]["unanswerable_refused"] == 1.0  # the stand-in refuses "unknowable" questions
    assert report["compare"] is None
    assert ("assistant", "extractive") in fake_qa
    assert ("retriever", "fused", tmp_path / "idx") in fake_qa
    printed = capsys.readouterr().out
    assert "hit@5" in printed and "report.md" in printed


@pytest.mark.unit
def test_follow_ups_are_scored_on_their_rewritten_question(
    fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path
) -> None:
    assert main(["--dataset", str(dataset), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    follow_up = load_report(tmp_path / "o")["questions"][2]
    assert follow_up["standalone_question"] == "who retook eastern mosul and when?"


@pytest.mark.unit
def test_limit_takes_a_spread_out_sample(fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path) -> None:
    assert main(["--dataset", str(dataset), "--out", str(tmp_path / "o"), "--limit", "2", "--no-progress"]) == 0
    report = load_report(tmp_path / "o")
    assert [q["id"] for q in report["questions"]] == ["q1", "q3"]
    assert report["dataset"]["total"] == 4 and report["dataset"]["limit"] == 2


@pytest.mark.unit
def test_compare_runs_every_mode_and_answerer(fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path) -> None:
    assert main(["--dataset", str(dataset), "--out", str(tmp_path / "o"), "--compare", "--no-progress"]) == 0
    report = load_report(tmp_path / "o")
    assert (tmp_path / "o" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert list(report["compare"]["retrieval"]) == ["dense", "keyword", "fused"]
    assert list(report["compare"]["answerers"]) == ["extractive", "first-sentence"]
    assert {mode for kind, mode, *_ in fake_qa if kind == "retriever"} == {"dense", "keyword", "fused"}
    assert report["compare"]["answerers"]["first-sentence"]["answer"]["short_f1"] == 0.0


@pytest.mark.unit
def test_the_baseline_can_be_evaluated_on_its_own(
    fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path
) -> None:
    argv = ["--dataset", str(dataset), "--out", str(tmp_path / "o"), "--answerer", "first-sentence"]
    assert main([*argv, "--no-progress"]) == 0
    report = load_report(tmp_path / "o")
    assert report["answerer"] == "first-sentence"
    assert not [b for b in fake_qa if b[0] == "assistant"]
    assert all(q["short_answer"] is None for q in report["questions"])


@pytest.mark.unit
def test_default_dataset_and_out_dir(
    fake_qa: list[tuple[Any, ...]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not DEFAULT_DATASET.exists() or not ARTICLES.exists():
        pytest.skip("the bundled gold set or articles are not there")
    monkeypatch.setenv("CITED_ARTICLES_DIR", str(ARTICLES))
    monkeypatch.chdir(tmp_path)
    assert main(["--limit", "3", "--no-progress"]) == 0
    report = load_report(tmp_path / "reports" / f"eval-{DEFAULT_DATASET.stem}")
    assert report["dataset"]["path"] == str(DEFAULT_DATASET)
    assert report["counts"]["questions"] == 3


@pytest.mark.unit
def test_several_datasets_get_a_folder_each(fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path) -> None:
    other = write_dataset(tmp_path / "other.jsonl", RECORDS[:1])
    assert main(["--dataset", str(dataset), str(other), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert load_report(tmp_path / "o" / "mini")["counts"]["questions"] == 4
    assert load_report(tmp_path / "o" / "other")["counts"]["questions"] == 1


@pytest.mark.unit
def test_invalid_dataset_exits_2_naming_file_and_line(
    fake_qa: list[tuple[Any, ...]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_dataset(tmp_path / "bad.jsonl", [RECORDS[0], {**RECORDS[1], "evidence": ["Eight villages"]}])
    assert main(["--dataset", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: evidence not found in the corpus" in err
    assert not (tmp_path / "o").exists()
    (tmp_path / "broken.jsonl").write_text("{oops\n", encoding="utf-8")
    assert main(["--dataset", str(tmp_path / "broken.jsonl")]) == 2
    assert ":1: bad JSON" in capsys.readouterr().err


@pytest.mark.unit
def test_a_failing_index_exits_1_with_its_message(
    fake_qa: list[tuple[Any, ...]], dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    def broken(settings: Any = None, mode: str = "fused") -> Any:
        raise RuntimeError("the index is empty; run `cited ingest`")

    monkeypatch.setattr(sys.modules["qa"].Retriever, "from_defaults", broken)
    assert main(["--dataset", str(dataset), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "run `cited ingest`" in capsys.readouterr().err


@pytest.mark.unit
def test_squad_run_uses_its_own_corpus_and_index(
    fake_qa: list[tuple[Any, ...]], squad_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.ingest

    ingested: list[Any] = []
    monkeypatch.setattr(index.ingest, "ingest", lambda paths, settings, progress=True: ingested.append(settings))
    argv = ["--squad", str(squad_file), "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "o")]
    assert main([*argv, "--no-progress"]) == 0
    report = load_report(tmp_path / "o")
    assert report["dataset"]["kind"] == "squad" and report["counts"]["questions"] == 3
    assert report["corpus"]["documents"] == 2 and report["corpus"]["paragraphs"] == 2
    (settings,) = ingested
    assert Path(settings.index_dir).is_relative_to(tmp_path / "cache" / "squad")
    assert {b[2] for b in fake_qa if b[0] == "retriever"} == {settings.index_dir}
    assert report["retrieval"]["hit@1"] == 1.0  # one paragraph per article: the right one shares most words


# --- integration: the real index and answerer
needs_qa = pytest.mark.skipif(
    importlib.util.find_spec("qa.assistant") is None, reason="waiting for qa.assistant (Assistant)"
)


@pytest.fixture
def gold_index(articles_settings: Any) -> Path:
    """The session index of the bundled articles (tests/conftest.py): `ingest([data/articles], ...)`."""
    return Path(articles_settings.index_dir)


def _in_unit_interval(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and 0.0 <= value <= 1.0)


@pytest.mark.integration
@needs_qa
def test_gold_set_with_limit_8(gold_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITED_ARTICLES_DIR", str(ARTICLES))
    out = tmp_path / "report"
    assert main(["--limit", "8", "--index-dir", str(gold_index), "--out", str(out), "--no-progress"]) == 0
    report = load_report(out)
    hit5 = report["retrieval"]["hit@5"]
    assert isinstance(hit5, float) and 0.0 <= hit5 <= 1.0
    assert report["counts"]["questions"] == 8 == len(report["questions"])
    assert report["corpus"]["documents"] == len(list(ARTICLES.glob("*.txt")))
    assert report["corpus"]["paragraphs"] > 0
    for section in ("retrieval", "answer", "citations", "refusal"):
        assert all(_in_unit_interval(v) for v in report[section].values()), section
    assert all(v is None or v >= 0 for v in report["latency_ms"].values())
    for question in report["questions"]:
        assert question["answer_text"] and question["latency_ms"]["total"] is not None
        assert len(question["retrieved"]) <= 10
    # Quality floors well under what these 8 gold questions measure (2026-12-04: hit@5 1.00, contains 1.00, citation
    # precision 1.00, false refusals 0.00), so an answerer that refuses, or a retriever that misses, fails here.
    assert hit5 >= 0.85 and report["answer"]["contains"] >= 0.7, report["answer"]
    assert report["citations"]["precision"] >= 0.7 and report["refusal"]["false_refusal_rate"] <= 0.15


@pytest.mark.integration
@needs_qa
def test_gold_set_compare(gold_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITED_ARTICLES_DIR", str(ARTICLES))
    out = tmp_path / "report"
    argv = ["--limit", "8", "--index-dir", str(gold_index), "--out", str(out), "--compare", "--no-progress"]
    assert main(argv) == 0
    report = load_report(out)
    assert (out / "compare.png").is_file()
    compare = report["compare"]
    assert compare["retrieval"]["fused"] == report["retrieval"]
    for metrics in compare["retrieval"].values():
        assert all(_in_unit_interval(v) for v in metrics.values())
    assert compare["answerers"]["first-sentence"]["answer"]["short_em"] == 0.0


@pytest.mark.integration
@needs_qa
def test_tiny_squad_end_to_end(
    squad_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    argv = ["--squad", str(squad_file), "--cache", str(cache), "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "first")]) == 0
    report = load_report(tmp_path / "first")
    assert report["dataset"]["kind"] == "squad" and report["counts"]["questions"] == 3
    assert 0.0 <= report["retrieval"]["hit@5"] <= 1.0
    (root,) = (cache / "squad").iterdir()
    assert len(list((root / "articles").glob("*.txt"))) == 2 and (root / "index").is_dir()

    import index.ingest

    def no_second_ingest(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the SQuAD index must be reused")

    monkeypatch.setattr(index.ingest, "ingest", no_second_ingest)
    assert main([*argv, "--out", str(tmp_path / "second")]) == 0
    again = load_report(tmp_path / "second")
    assert again["retrieval"] == report["retrieval"]  # the same index answers the same way


# CI clones the project beside shared/, as the developers' checkouts are.
SQUAD_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "squad-v1.1-dev.json"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(3600)
@needs_qa
@pytest.mark.skipif(not SQUAD_DEV.exists(), reason="SQuAD v1.1 dev set not available")
def test_squad_dev_sample_of_300(tmp_path: Path) -> None:
    """The real benchmark at the suite's budget: 300 questions spread over all 48 articles.

    The first run indexes the 2,067 contexts into .cache/squad/ (many minutes on a small CPU); later runs
    reuse that index.
    """
    out = tmp_path / "squad"
    assert main(["--squad", str(SQUAD_DEV), "--limit", "300", "--out", str(out), "--no-progress"]) == 0
    report = load_report(out)
    assert report["counts"]["questions"] == 300
    assert report["corpus"]["documents"] == 48 and report["corpus"]["paragraphs"] == 2067
    assert len(report["by_category"]) == 48
    assert 0.0 <= report["retrieval"]["hit@10"] <= 1.0


@pytest.mark.integration
def test_evidence_is_checked_against_the_index_under_evaluation_and_named(
    articles_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """#14 item 11: the articles directory may hold other files than the index; the index is what is evaluated."""
    elsewhere = tmp_path / "other-articles"
    elsewhere.mkdir()
    (elsewhere / "ferry.txt").write_text("Ferry\n\nLakeport- Seven villages were liberated by a ferry.\n")
    monkeypatch.setenv("CITED_ARTICLES_DIR", str(elsewhere))  # holds the evidence, but it is not the index
    bad = write_dataset(tmp_path / "mine.jsonl", RECORDS[:2])
    assert main(["--dataset", str(bad), "--index-dir", str(articles_settings.index_dir), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"evidence not found in the corpus (the index at {articles_settings.index_dir}: 55 paragraphs)" in err
