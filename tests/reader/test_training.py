"""`cited train-reader` on a tiny SQuAD-shaped file: the loss goes down, it resumes, and the export answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.embedder import default_model_path
from index.models import Paragraph
from qa.reader.model import Reader
from qa.reader.train import TrainConfig, train

pytestmark = pytest.mark.integration

CONTEXTS = [
    "Iraqi forces retook eastern Mosul in January after a long battle.",
    "The Mosul dam holds back the waters of the Tigris river north of the city.",
    "Haider al-Abadi was the prime minister of Iraq when the offensive began.",
    "The coalition carried out air strikes from bases in Kuwait and Jordan.",
]
QAS = [
    (0, "Who retook eastern Mosul?", "Iraqi forces"),
    (0, "When was eastern Mosul retaken?", "January"),
    (1, "Which river does the Mosul dam hold back?", "Tigris"),
    (2, "Who was the prime minister of Iraq?", "Haider al-Abadi"),
    (3, "Where were the air strikes flown from?", "Kuwait and Jordan"),
]


def tiny_squad(path: Path) -> Path:
    paragraphs = [{"context": c, "qas": []} for c in CONTEXTS]
    for i, (p, question, answer) in enumerate(QAS):
        start = CONTEXTS[p].index(answer)
        paragraphs[p]["qas"].append(
            {"id": f"q{i}", "question": question, "answers": [{"text": answer, "answer_start": start}]}
        )  # type: ignore[attr-defined]
    path.write_text(json.dumps({"data": [{"title": "Tiny", "paragraphs": paragraphs}]}), encoding="utf-8")
    return path


def test_a_tiny_run_learns_resumes_and_exports_a_model_that_answers(tmp_path: Path) -> None:
    data = tiny_squad(tmp_path / "train.json")
    cfg = TrainConfig(train_file=data, out_dir=tmp_path / "run", base_model=default_model_path(), positives=5,
                      negative_ratio=0.4, epochs=40, batch_size=4, learning_rate=3e-4, max_steps=20,
                      checkpoint_every=10, warmup_fraction=0.0)  # fmt: skip
    first = train(cfg, progress=False)
    assert first["steps"] == 20 and first["last_loss"] < first["first_loss"] * 0.7, first
    log = [json.loads(line) for line in (tmp_path / "run" / "train-log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == [10, 20]

    cfg.max_steps = 30  # the same run, longer: it resumes at step 20 from the checkpoint
    resumed = train(cfg, progress=False)
    log = [json.loads(line) for line in (tmp_path / "run" / "train-log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == [10, 20, 30] and resumed["steps"] == 30

    model = tmp_path / "run" / "model"
    assert (model / "model.safetensors").stat().st_size < 50_000_000  # fp16
    reader = Reader(model, cache_dir=tmp_path / "exports")  # the default runtime: exported as it would be in use
    context = CONTEXTS[0]
    span = reader.read("Who retook eastern Mosul?", [Paragraph(id="t#1", doc_id="t", n=1, text=context, start=0,
                                                               end=len(context))])[0]  # fmt: skip
    assert span.text == "Iraqi forces"
