"""The ONNX encoder: torch's vectors at fp32, close ones at int8, an export that is built once, rebuilt when stale
or damaged, a query path without torch, and an index that never mixes two encoders' vectors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from processes import heavy_imports_of

import index.embedder as embedder_module
from index.embedder import BF16_MIN_CHUNKS, bulk_embedder_for, default_model_path, embedder_for, get_embedder
from index.ingest import ingest
from index.onnx_encoder import OnnxEmbedder
from index.onnx_export import MANIFEST, MODEL_FILE, OnnxExportError, ensure_export, export_folder
from index.settings import Settings
from index.store import ENCODER_KEY, ChromaStore

pytestmark = pytest.mark.integration

TEXTS = [
    "Iraqi forces retook eastern Mosul in January 2017.",
    "The old stone bridge over the river reopened on Monday after two years of repairs. Traffic was light.",
    "Who retook eastern Mosul?",
    "x",
    "A much longer paragraph about the festival: " + "apples, pumpkins and fresh cider from stalls. " * 40,
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def test_fp32_onnx_gives_torchs_vectors_and_int8_close_ones() -> None:
    reference = get_embedder("", "torch").encode(TEXTS)
    fp32 = get_embedder("", "onnx").encode(TEXTS)
    int8 = get_embedder("", "onnx-int8").encode(TEXTS)
    assert fp32.shape == int8.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1.0, atol=1e-5)
    assert _cosines(fp32, reference).min() > 0.9999
    assert _cosines(int8, reference).min() > 0.95 and _cosines(int8, reference).mean() > 0.98
    # a text's vector is its own, whatever else is embedded with it (int8 scales activations per input)
    for encoder, vectors in (("onnx", fp32), ("onnx-int8", int8)):
        one_by_one = np.stack([get_embedder("", encoder).encode_one(t) for t in TEXTS])
        assert np.allclose(one_by_one, vectors, atol=1e-6), encoder
        assert np.allclose(get_embedder("", encoder).encode(TEXTS[::-1])[::-1], vectors, atol=1e-6), encoder


@pytest.fixture(scope="module")
def built_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One int8 export made into a private cache (int8: the smaller file), copied by the tests that damage it."""
    cache = tmp_path_factory.mktemp("encoders")
    ensure_export(default_model_path(), "int8", cache)
    return cache


def test_a_current_export_is_reused_and_a_damaged_one_rebuilt(built_export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "encoders"
    shutil.copytree(built_export, cache)
    model = ensure_export(default_model_path(), "int8", cache)
    built_at = model.stat().st_mtime_ns
    assert ensure_export(default_model_path(), "int8", cache).stat().st_mtime_ns == built_at  # reused
    with model.open("r+b") as handle:  # a killed copy: half the file
        handle.truncate(model.stat().st_size // 2)
    rebuilt = ensure_export(default_model_path(), "int8", cache)
    assert rebuilt == model and rebuilt.stat().st_size > 10_000_000
    (model.parent / MANIFEST).write_text("{not json", encoding="utf-8")
    assert ensure_export(default_model_path(), "int8", cache).stat().st_size > 10_000_000
    assert not list(cache.glob(".export-*")), "no half-built folder is left behind"


def test_a_damaged_file_of_the_right_size_is_removed_with_a_clear_error(built_export: Path, tmp_path: Path) -> None:
    cache = tmp_path / "encoders"
    shutil.copytree(built_export, cache)
    model = export_folder(default_model_path(), "int8", cache) / MODEL_FILE
    size = model.stat().st_size
    model.write_bytes(b"\0" * size)
    with pytest.raises(OnnxExportError, match="damaged and was removed; run again"):
        OnnxEmbedder(default_model_path(), "int8", cache, threads=1)
    assert not model.exists()
    assert OnnxEmbedder(default_model_path(), "int8", cache, threads=1).encode_one("again").shape == (384,)


def test_a_changed_model_file_makes_the_export_stale(tmp_path: Path) -> None:
    """The export is named by what it was made from: touching a source file names another one."""
    source = default_model_path()
    model = tmp_path / "model"
    model.mkdir()
    for item in source.iterdir():
        if item.is_file():
            (model / item.name).symlink_to(item)
    (model / "config.json").unlink()
    shutil.copy(source / "config.json", model / "config.json")
    before = export_folder(model, "int8", tmp_path)
    stat = (model / "config.json").stat()
    os.utime(model / "config.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert export_folder(model, "int8", tmp_path) != before
    assert export_folder(model, "fp32", tmp_path) != export_folder(model, "int8", tmp_path)


def test_the_query_path_does_not_import_torch(fresh_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = fresh_settings()
    ingest([settings.articles_dir], settings, progress=False)
    code = "from qa.retriever import Retriever\nassert Retriever.from_defaults().retrieve('bridge repairs', k=2)"
    assert heavy_imports_of(code, settings.index_dir, settings.articles_dir) == []


def test_an_index_keeps_the_encoder_it_was_made_with(fresh_settings: Callable[..., Settings], tmp_path: Path) -> None:
    """Unchanged documents keep their vectors and queries must embed like the index did, so CITED_ENCODER only
    chooses the encoder of a new index."""
    from qa.retriever import Retriever

    folder = tmp_path / "news"
    shutil.copytree(fresh_settings().articles_dir, folder)
    settings = fresh_settings(encoder="onnx", articles_dir=folder)
    ingest([settings.articles_dir], settings, progress=False)
    as_int8 = settings.model_copy(update={"encoder": "onnx-int8"})
    retriever = Retriever.from_defaults(as_int8)
    assert retriever._handle.get().encoder == "onnx"
    assert retriever.embedder() is embedder_for(settings)
    (settings.articles_dir / "extra.txt").write_text("A Note\n\nThe bridge has a new lamp post.\n", encoding="utf-8")
    ingest([settings.articles_dir], as_int8, progress=False)
    assert ChromaStore(settings).current().metadata[ENCODER_KEY] == "onnx"
    new_index = fresh_settings(encoder="onnx-int8")
    ingest([new_index.articles_dir], new_index, progress=False)
    assert Retriever.from_defaults(new_index).embedder().name.endswith("(onnx int8)")


def test_torch_bf16_vectors_are_in_the_fp32_vector_space() -> None:
    """Wherever bf16 runs (natively or emulated), its vectors are fp32's to within rounding."""
    bf16 = get_embedder("", "torch", bf16=True)
    fp32 = get_embedder("", "onnx")
    assert bf16.vector_space == fp32.vector_space and bf16.name.endswith("(torch bf16)")
    assert _cosines(bf16.encode(TEXTS), fp32.encode(TEXTS)).min() > 0.999
    spans = [[], [], [], [], []]
    with_spans, _ = bf16.encode_with_spans(TEXTS, spans)
    assert _cosines(with_spans, fp32.encode_with_spans(TEXTS, spans)[0]).min() > 0.999


def test_a_big_job_embeds_in_bf16_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    onnx, int8 = embedder_for(settings, "onnx"), embedder_for(settings, "onnx-int8")
    monkeypatch.setattr(embedder_module, "cpu_has_bf16", lambda: True)
    assert bulk_embedder_for(settings, "onnx", BF16_MIN_CHUNKS - 1) is onnx  # loading torch would cost more
    assert bulk_embedder_for(settings, "onnx", BF16_MIN_CHUNKS).name.endswith("(torch bf16)")
    assert bulk_embedder_for(settings, "torch", BF16_MIN_CHUNKS).name.endswith("(torch bf16)")
    assert bulk_embedder_for(settings, "onnx-int8", 10**6) is int8  # another vector space
    assert bulk_embedder_for(settings.model_copy(update={"ingest_bf16": False}), "onnx", 10**6) is onnx
    monkeypatch.setattr(embedder_module, "cpu_has_bf16", lambda: False)
    assert bulk_embedder_for(settings, "onnx", 10**6) is onnx  # emulated bf16 is slower than fp32


def test_a_bf16_ingest_is_queried_with_fp32_onnx(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: Callable[..., Settings]
) -> None:
    from qa.retriever import Retriever

    monkeypatch.setattr(embedder_module, "BF16_MIN_CHUNKS", 1)
    monkeypatch.setattr(embedder_module, "cpu_has_bf16", lambda: True)
    settings = fresh_settings()
    ingest([settings.articles_dir], settings, progress=False)
    store = ChromaStore(settings)
    current = store.current()
    assert current.metadata[ENCODER_KEY] == "onnx"
    assert store.pointer()["embed_model"].endswith("(torch bf16)")
    records = list(store.iter_records(current))
    stored = np.asarray([r["embedding"] for r in records], dtype=np.float32)
    assert _cosines(stored, embedder_for(settings).encode([r["document"] for r in records])).min() > 0.999
    retriever = Retriever.from_defaults(settings)
    assert retriever.embedder() is embedder_for(settings, "onnx")
    assert "Mosul" in retriever.retrieve("Who retook eastern Mosul?", k=1)[0].text
