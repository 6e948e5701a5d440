"""Retrieval, answering, citations and chat.

`from qa import Retriever, Assistant` is all another application needs; the heavy parts load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.llama_retriever import CitedLlamaRetriever
    from qa.retriever import Retriever

__all__ = ["Assistant", "CitedLlamaRetriever", "Retriever"]

_LAZY = {
    "Retriever": "qa.retriever",
    "Assistant": "qa.assistant",
    "CitedLlamaRetriever": "qa.llama_retriever",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
