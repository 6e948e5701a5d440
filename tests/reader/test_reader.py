"""The shipped reader (qa/reader/weights): spans, offsets, comparable scores, long passages, no-answer, bad weights."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.models import Paragraph
from qa.reader.model import WEIGHTS_DIR, Reader, ReaderModelError

pytestmark = pytest.mark.integration

FILE_TEXT = (
    "Headline line\n"
    "Iraqi forces retook eastern Mosul in January after a three-month battle with Islamic State fighters.\n"
    "The Mosul dam on the Tigris river holds back eleven billion cubic metres of water.\n"
    "The city's football team trained at a stadium near the university, its coach said on Tuesday.\n"
)


def paragraphs_of(text: str) -> list[Paragraph]:
    """Body lines as paragraphs with offsets into the whole file, as the index stores them."""
    found, offset = [], 0
    for n, line in enumerate(text.split("\n")):
        if n > 0 and line:
            found.append(Paragraph(id=f"doc#{n}", doc_id="doc", n=n, text=line, start=offset, end=offset + len(line)))
        offset += len(line) + 1
    return found


@pytest.fixture(scope="module")
def reader() -> Reader:
    r = Reader()
    r.warm_up()
    return r


def test_every_span_slices_the_original_file_exactly(reader: Reader) -> None:
    paragraphs = paragraphs_of(FILE_TEXT)
    for question in ("Who retook eastern Mosul?", "How much water does the dam hold?", "When did the coach speak?"):
        spans = reader.read(question, paragraphs)
        assert len(spans) == len(paragraphs)
        for span in spans:
            assert FILE_TEXT[span.start : span.end] == span.text and span.text


def test_the_answering_paragraph_wins_among_distractors(reader: Reader) -> None:
    paragraphs = paragraphs_of(FILE_TEXT)
    best = reader.read("Who retook eastern Mosul?", paragraphs)[0]
    assert best.paragraph_id == "doc#1" and best.text == "Iraqi forces"
    best = reader.read("What river is the Mosul dam on?", paragraphs)[0]
    assert best.paragraph_id == "doc#2" and "Tigris" in best.text


def test_a_passage_longer_than_the_window_is_read_whole(reader: Reader) -> None:
    filler = " ".join(f"Officials met on day {i} to discuss the reconstruction budget." for i in range(90))
    text = filler + " The new bridge over the river was designed by Zaha Hadid Architects."
    paragraph = Paragraph(id="long#1", doc_id="long", n=1, text=text, start=100, end=100 + len(text))
    assert reader.token_count(text) > 2 * reader.max_length
    span = reader.read("Who designed the new bridge?", [paragraph])[0]
    assert "Zaha Hadid" in span.text and span.start - 100 > len(filler)


def test_an_unanswerable_paragraph_scores_no_answer_above_its_span(reader: Reader) -> None:
    paragraphs = paragraphs_of(FILE_TEXT)
    off_topic = reader.read("What is the capital of Australia?", paragraphs[2:3])[0]
    on_topic = reader.read("Who retook eastern Mosul?", paragraphs[0:1])[0]
    assert off_topic.margin < 0 < on_topic.margin


def test_missing_weights_are_named(tmp_path: Path) -> None:
    shutil.copytree(WEIGHTS_DIR, tmp_path / "w")
    (tmp_path / "w" / "model.safetensors").unlink()
    with pytest.raises(ReaderModelError, match=r"model\.safetensors is missing"):
        Reader(tmp_path / "w")


def test_truncated_weights_give_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    shutil.copytree(WEIGHTS_DIR, tmp_path / "w")
    weights = tmp_path / "w" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100_000])
    with pytest.raises(ReaderModelError, match=r"model\.safetensors may be truncated or corrupt"):
        Reader(tmp_path / "w").warm_up()


def test_questions_that_arrive_together_share_one_load() -> None:
    """`cited serve`'s first questions come at once; each used to import transformers in its own thread, and its
    lazy `__init__` raised ImportError for all but one (5 of 550 answers in the soak were 500s). A fresh interpreter:
    nothing is imported yet."""
    script = (
        "import threading\n"
        "from qa.reader.model import shared_reader\n"
        "barrier, errors, readers = threading.Barrier(8), [], []\n"
        "def ask():\n"
        "    barrier.wait()\n"
        "    try:\n"
        "        reader = shared_reader()\n"
        "        reader.warm_up()\n"
        "        readers.append(reader)\n"
        "    except Exception as err:\n"
        "        errors.append(repr(err))\n"
        "threads = [threading.Thread(target=ask) for _ in range(8)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print(errors[:1], len(errors), len({id(r) for r in readers}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "[] 0 1", done.stdout
