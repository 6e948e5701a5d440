"""qa.acronyms: short forms a question uses that the articles spell out."""

from __future__ import annotations

import pytest

from qa.acronyms import acronym_table, expand_acronyms
from qa.retriever import Retriever

pytestmark = pytest.mark.integration


def test_the_table_is_read_off_the_articles(retriever: Retriever) -> None:
    table = acronym_table(retriever.snapshot)
    assert table["PMF"] == "Popular Mobilization Forces"
    assert table["UN"] == "United Nations"  # from "The United Nations believes…": the sentence's first word is dropped
    assert "ISIS" not in table  # the articles use the short form themselves: it is a name in its own right


def test_a_question_keeps_its_words_and_gains_the_long_forms(retriever: Retriever) -> None:
    text = expand_acronyms("What did the PMF tell Syrian TV about ISIS?", retriever.snapshot)
    assert text == "What did the PMF (Popular Mobilization Forces) tell Syrian TV (television) about ISIS?"
    assert expand_acronyms("Who retook eastern Mosul?", retriever.snapshot) == "Who retook eastern Mosul?"


def test_keyword_search_finds_the_spelled_out_form(retriever: Retriever) -> None:
    """Without the expansion "PMF" matches one paragraph; the spokesman's are the ones that say
    "Popular Mobilization Forces"."""
    passages = retriever.retrieve("What did the PMF spokesman say about Daesh losing 80 percent?", k=3)
    assert any("Popular Mobilization Forces" in p.text and "80 percent" in p.text for p in passages)
