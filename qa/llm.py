"""Optional LLM answerers (any llama-index LLM), whose output is checked before it is shown as fact.

A small local model cites the wrong source about half the time. So the reply is never trusted as is: markers
outside the numbered sources are dropped, the rest renumbered in order of first use, and every sentence is matched
against the paragraphs it cites. A sentence no cited paragraph supports is marked as unsupported; when nothing is
supported, the caller falls back to the extractive answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from index.models import Answer, AnswerPart, Citation, Passage
from index.sentences import split_sentences
from index.settings import Settings
from qa.citations import MARKER, make_citation, markers, renumber
from qa.prompts import (
    ANSWER_SYSTEM_PROMPT,
    ANSWER_USER_PROMPT,
    CONDENSE_PROMPT,
    DONT_KNOW,
    SOURCE_TEMPLATE,
)
from qa.terms import terms

SUPPORTED_AT = 0.55


class LLMUnavailableError(RuntimeError):
    """The configured LLM cannot be reached or used; the message names it and what to do."""


def build_llm(settings: Settings) -> Any:
    """The llama-index LLM for `settings.answerer` (never a default model download)."""
    kind = settings.answerer
    if kind == "openai-like":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url,
            api_key=settings.llm_api_key,
            is_chat_model=True,
            context_window=8192,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0.0,
        )
    if kind == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(model=settings.llm_model, base_url=settings.ollama_url, request_timeout=settings.llm_timeout_s)
    if kind == "llama-cpp":
        if settings.gguf_path is None or not settings.gguf_path.is_file():
            raise LLMUnavailableError(
                f"the llama-cpp answerer needs CITED_GGUF_PATH pointing to a .gguf file (got {settings.gguf_path})."
            )
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as err:
            raise LLMUnavailableError(
                "the llama-cpp answerer needs `pip install llama-index-llms-llama-cpp llama-cpp-python`."
            ) from err
        return LlamaCPP(model_path=str(settings.gguf_path), temperature=0.0, max_new_tokens=settings.llm_max_tokens)
    raise ValueError(f"no LLM for answerer {kind!r}")


def describe(settings: Settings) -> str:
    if settings.answerer == "openai-like":
        return f"openai-like:{settings.llm_model} @ {settings.llm_base_url}"
    if settings.answerer == "ollama":
        return f"ollama:{settings.llm_model} @ {settings.ollama_url}"
    if settings.answerer == "llama-cpp":
        return f"llama-cpp:{settings.gguf_path.name if settings.gguf_path else '?'}"
    return settings.answerer


def build_messages(question: str, passages: list[Passage]) -> list[Any]:
    from llama_index.core.llms import ChatMessage, MessageRole

    sources = "\n\n".join(
        SOURCE_TEMPLATE.format(
            n=i, title=p.paragraph.title, source=p.paragraph.source or p.paragraph.doc_id, text=p.text
        )
        for i, p in enumerate(passages, start=1)
    )
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=ANSWER_SYSTEM_PROMPT),
        ChatMessage(role=MessageRole.USER, content=ANSWER_USER_PROMPT.format(sources=sources, question=question)),
    ]


class LLMAnswerer:
    def __init__(self, settings: Settings, llm: Any | None = None, embedder: Any | None = None) -> None:
        self.settings = settings
        self.name = describe(settings)
        self._llm = llm
        self._embedder = embedder

    @property
    def llm(self) -> Any:
        if self._llm is None:
            self._llm = build_llm(self.settings)
        return self._llm

    def _unavailable(self, err: Exception) -> LLMUnavailableError:
        where = self.settings.ollama_url if self.settings.answerer == "ollama" else self.settings.llm_base_url
        return LLMUnavailableError(f"the LLM at {where} did not answer ({type(err).__name__}: {err})")

    def condense(self, question: str, history: list[str]) -> str:
        from llama_index.core.llms import ChatMessage, MessageRole

        prompt = CONDENSE_PROMPT.format(history="\n".join(f"User: {h}" for h in history), question=question)
        try:
            reply = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        except Exception as err:
            raise self._unavailable(err) from err
        text = (reply.message.content or "").strip().splitlines()
        return text[0].strip() if text and text[0].strip() else question

    def stream_text(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """Raw tokens as the LLM produces them (unchecked)."""
        try:
            for chunk in self.llm.stream_chat(build_messages(question, passages)):
                if chunk.delta:
                    yield chunk.delta
        except LLMUnavailableError:
            raise
        except Exception as err:
            raise self._unavailable(err) from err

    # --- checking ----------------------------------------------------------------------------------------------
    def check(
        self, reply: str, passages: list[Passage], snapshot: Any, embedder: Any
    ) -> tuple[list[AnswerPart], list[Citation], list[str]]:
        """The reply as parts (supported sentences with their citations, unsupported ones marked), the verified
        citations numbered in order of first use, and the unsupported sentences."""
        # "… in January. [1]" → "… in January [1]." so the marker stays with its sentence.
        reply = re.sub(r"([.!?])((?:\s*\[\d{1,3}\])+)", lambda m: m.group(2).rstrip() + m.group(1), reply.strip())
        text, order = renumber(reply, len(passages))
        cited = [passages[i - 1] for i in order]
        sentences = [text[s:e] for s, e in split_sentences(text)] or [text]
        claims = [_bare(s) for s in sentences]
        vecs = embedder.encode(claims) if claims else np.zeros((0, 1))
        citations: dict[int, Citation] = {}
        kept: list[tuple[str, list[int]]] = []  # (claim, source numbers), or no numbers for an unsupported claim
        for sentence, claim, vec in zip(sentences, claims, vecs, strict=True):
            best = self._best_support(claim, vec, markers(sentence), cited, snapshot)
            if best is not None and best[0] >= SUPPORTED_AT:
                support, n, start, end = best
                if n not in citations or support > citations[n].support:
                    citations[n] = make_citation(n, cited[n - 1].paragraph, start, end, support)
                kept.append((claim, markers(sentence)))
            elif claim and claim.lower().rstrip(".") != DONT_KNOW:
                kept.append((claim, []))
        # Only sources that ended up supporting something are cited, numbered densely in order of first use.
        final_order: list[int] = []
        for _, nums in kept:
            final_order += [n for n in nums if n in citations and n not in final_order]
        new_number = {old: new for new, old in enumerate(final_order, start=1)}
        parts = [
            AnswerPart(
                kind="sentence",
                text=claim,
                citations=list(dict.fromkeys(new_number[n] for n in nums if n in new_number)),
            )
            if nums
            else AnswerPart(kind="unsupported", text=claim)
            for claim, nums in kept
        ]
        final = [citations[old].model_copy(update={"n": new}) for old, new in new_number.items()]
        return parts, final, [p.text for p in parts if p.kind == "unsupported"]

    @staticmethod
    def _best_support(
        claim: str, vec: Any, numbers: list[int], cited: list[Passage], snapshot: Any
    ) -> tuple[float, int, int, int] | None:
        """(support, source number, start, end) of the cited sentence that best supports the claim."""
        best: tuple[float, int, int, int] | None = None
        for n in numbers:
            passage = cited[n - 1]
            row_of_paragraph = snapshot.by_id.get(passage.id)
            if row_of_paragraph is None:
                continue
            rows = snapshot.sentence_rows(row_of_paragraph)
            for span, row in zip(passage.paragraph.sentences, rows, strict=True):
                source = passage.paragraph.quote(span.start, span.end)
                similarity = float(np.asarray(snapshot.sentence_vectors[row], dtype=np.float32) @ vec)
                support = 0.5 * similarity + 0.5 * _overlap(claim, source)
                if best is None or support > best[0]:
                    best = (support, n, span.start, span.end)
        return best

    def answer_from_reply(
        self, asked: str, reply: str, passages: list[Passage], snapshot: Any, embedder: Any
    ) -> Answer | None:
        """The checked Answer, or None when nothing in the reply is supported (the caller falls back)."""
        if not reply.strip() or reply.strip().lower().startswith(DONT_KNOW):
            return None
        parts, citations, unsupported = self.check(reply, passages, snapshot, embedder)
        if not citations:
            return None
        notices = (
            [f"{len(unsupported)} sentence(s) of the LLM's answer are not supported by the sources and are marked."]
            if unsupported
            else []
        )
        return Answer(
            question=asked,
            parts=parts,
            citations=citations,
            passages=passages,
            answerer=self.name,
            unsupported=unsupported,
            notices=notices,
        )


def _bare(sentence: str) -> str:
    """A generated sentence without its [n] markers (and without the space they leave before punctuation)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence)).strip()


def _overlap(claim: str, source: str) -> float:
    c = set(terms(claim))
    if not c:
        return 0.0
    return len(c & set(terms(source))) / len(c)
