"""What runs the reader: the windows our tokenizer cuts are transformers' own, the three runtimes read the same
spans, int8 scores a passage the same whatever it is read with, a damaged export is replaced, and answering a
question imports neither torch nor transformers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from processes import heavy_imports_of

from index.ingest import ingest
from index.models import Paragraph
from index.onnx_export import MODEL_FILE, OnnxExportError, balanced_lanes, export_folder
from index.settings import Settings
from qa.reader.model import WEIGHTS_DIR, Reader
from qa.reader.runtimes import READER_EXPORT
from qa.reader.windows import WindowEncoder

pytestmark = pytest.mark.integration

PASSAGES = [
    "Iraqi forces retook eastern Mosul in January after a three-month battle with Islamic State fighters.",
    "The Mosul dam on the Tigris river holds back eleven billion cubic metres of water.",
    " ".join(f"Officials met on day {i} to discuss the reconstruction budget." for i in range(90))
    + " The new bridge over the river was designed by Zaha Hadid Architects.",
]
QUESTIONS = ["Who retook eastern Mosul?", "What river is the Mosul dam on?", "Who designed the new bridge?"]


def as_paragraphs(texts: list[str]) -> list[Paragraph]:
    return [Paragraph(id=f"d#{n}", doc_id="d", n=n, text=t, start=0, end=len(t)) for n, t in enumerate(texts)]


def test_windows_are_the_ones_transformers_cuts() -> None:
    """The reader was trained on windows from transformers' fast tokenizer; the `tokenizers`-only encoder used on
    the query path must cut exactly the same ones (ids and character spans), long passages and questions included."""
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(WEIGHTS_DIR), local_files_only=True)
    expected = reference(
        QUESTIONS,
        PASSAGES,
        truncation="only_second",
        max_length=128,
        stride=32,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_token_type_ids=False,
    )
    encode = WindowEncoder(WEIGHTS_DIR / "tokenizer.json", 128, 32)
    windows = encode(QUESTIONS, PASSAGES)
    assert len(windows) == len(expected["input_ids"]) > len(PASSAGES)  # the long passage gives several windows
    for i, window in enumerate(windows):
        assert window.input_ids == expected["input_ids"][i]
        sequence_ids = expected.sequence_ids(i)
        inside = [tuple(span) for t, span in enumerate(expected["offset_mapping"][i]) if sequence_ids[t] == 1]
        assert [span for span in window.char_spans if span is not None] == inside
        assert window.sample == expected["overflow_to_sample_mapping"][i]
    long_question = "Which " + " ".join(["very"] * 80) + " long question is this?"
    (window,) = encode([long_question], PASSAGES[:1])
    assert window.input_ids.index(reference.sep_token_id) == 1 + 64  # [CLS] + the question's first 64 tokens


@pytest.fixture(scope="module")
def readers() -> dict[str, Reader]:
    found = {}
    for runtime in ("torch", "onnx", "onnx-int8"):
        found[runtime] = Reader(runtime=runtime)
        found[runtime].warm_up()
    return found


def test_every_runtime_reads_the_same_spans(readers: dict[str, Reader]) -> None:
    paragraphs = as_paragraphs(PASSAGES)
    for question in QUESTIONS:
        by_runtime = {name: reader.read(question, paragraphs)[0] for name, reader in readers.items()}
        assert len({(span.paragraph_id, span.text) for span in by_runtime.values()}) == 1, by_runtime
        # fp32 ONNX computes torch's logits (torch may run in bf16 here: a looser bound)
        assert abs(by_runtime["onnx"].score - by_runtime["torch"].score) < 0.5
    assert readers["onnx-int8"].name == "onnx int8" and readers["onnx"].name == "onnx fp32"


def test_int8_scores_a_passage_the_same_alone_or_with_others(readers: dict[str, Reader]) -> None:
    """Dynamic quantization scales activations over a whole input; read one window at a time, a passage's score
    cannot depend on the other passages of the question (scores must compare across passages)."""
    reader = readers["onnx-int8"]
    paragraphs = as_paragraphs(PASSAGES)
    together = {span.paragraph_id: span for span in reader.read(QUESTIONS[1], paragraphs)}
    for paragraph in paragraphs:
        alone = reader.read(QUESTIONS[1], [paragraph])[0]
        assert alone.score == pytest.approx(together[paragraph.id].score, abs=1e-4)
        assert alone.no_answer_score == pytest.approx(together[paragraph.id].no_answer_score, abs=1e-4)


def test_a_damaged_export_is_removed_then_rebuilt(readers: dict[str, Reader], tmp_path: Path) -> None:
    cache = tmp_path / "exports"
    source = export_folder(WEIGHTS_DIR, "int8", readers["onnx-int8"].cache_dir, READER_EXPORT)
    shutil.copytree(source, cache / source.name)
    model = cache / source.name / MODEL_FILE
    model.write_bytes(b"\0" * model.stat().st_size)  # right size, garbage inside
    with pytest.raises(OnnxExportError, match="damaged and was removed; run again"):
        Reader(runtime="onnx-int8", cache_dir=cache).warm_up()
    assert not model.exists()
    again = Reader(runtime="onnx-int8", cache_dir=cache)
    assert again.read(QUESTIONS[0], as_paragraphs(PASSAGES[:1]))[0].text == "Iraqi forces"


def test_answering_imports_neither_torch_nor_transformers(fresh_settings: Callable[..., Settings]) -> None:
    """A cold `cited ask` and a server load only ONNX Runtime for both models (the default runtimes)."""
    settings = fresh_settings()
    ingest([settings.articles_dir], settings, progress=False)
    code = "from qa.assistant import Assistant\nanswer = Assistant.from_defaults().ask('Who retook eastern Mosul?')\n"
    assert heavy_imports_of(code + "assert answer.citations, answer", settings.index_dir, settings.articles_dir) == []


@pytest.mark.parametrize(
    ("lengths", "lanes", "slowest"),
    [([300, 40, 40, 40, 290], 2, 370), ([70, 70, 70, 70, 70], 2, 210), ([120], 2, 120), ([5, 9, 7], 4, 9)],
)
def test_lanes_get_about_equal_tokens(lengths: list[int], lanes: int, slowest: int) -> None:
    """Every window is read exactly once, by at most `lanes` lanes, and the slowest lane carries no more tokens
    than the longest-first deal allows (round-robin would put 630 of the first case's 710 on one lane)."""
    dealt = balanced_lanes(lengths, lanes)
    assert sorted(row for rows in dealt for row in rows) == list(range(len(lengths)))
    assert len(dealt) <= lanes
    assert max(sum(lengths[row] for row in rows) for rows in dealt) == slowest
