"""qa.question: the expected answer type of a question, and its content terms."""

from __future__ import annotations

import pytest

from qa.question import TYPE_LABELS, Question, answer_type, counted_terms, terms

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who retook eastern Mosul?", "person_group"),
        ("whom did the ministry quote?", "person_group"),
        ("Whose forces retook eastern Mosul?", "person_group"),
        ("WHO RETOOK EASTERN MOSUL?", "person_group"),
        ("Which spokesman named the targets of the offensive?", "person"),
        ("Who is the spokesman of the Popular Mobilization Forces?", "person"),
        ("Which Iraqi official said ISIS was at the edge of a psychological defeat?", "person"),
        ("When did they do it?", "date"),
        ("What year did ISIS capture Mosul?", "date"),
        ("On which day was Islamic State dealt several heavy blows?", "date"),
        ("How many bodies did ISIS leave in the field?", "number"),
        ("How much money did the repairs cost?", "money"),
        ("How much did the Mosul offensive cost the Iraqi government?", "money"),
        ("What is the population of Raqqa?", "number"),
        ("What was the name of the Baghdad restaurant hit by the suicide bomber?", "name"),
        ("What is Abu Bakr al-Baghdadi's real name?", "alias"),
        ("What is the Arabic name for the Popular Mobilization Forces?", "alias"),
        ("What percentage of its combat troops did Daesh lose?", "percent"),
        ("What percent of western Mosul do Iraqi forces control?", "percent"),
        ("Where is al-Qaim?", "place"),
        ("Which town did the popular forces move towards?", "place"),
        ("How far is al-Qaim from Baghdad?", "distance"),
        ("How close are the peshmerga fighters to Mosul?", "distance"),
        ("Which militia infiltrated Islamic State in al-Miqdadiya?", "org"),
        ("Which news agency did al-Hamdani speak to?", "org"),
        ("Why did ISIS execute its own militants?", "any"),
        ("Did the coalition help?", "any"),
    ],
)
def test_answer_type(question: str, kind: str) -> None:
    assert answer_type(question) == kind
    assert kind in TYPE_LABELS


def test_words_inside_other_words_do_not_type_a_question() -> None:
    assert answer_type("What happened somewhere near the dam?") == "any"  # "where" inside "somewhere"
    assert answer_type("What did the whole council decide?") == "any"  # "who" inside "whole"


def test_how_long_did_asks_for_a_duration() -> None:
    assert answer_type("How long did the fighting in eastern Mosul take?") == "duration"
    assert answer_type("How many months did it take them?") == "duration"  # spaCy tags "three months" a DATE


@pytest.mark.parametrize(
    "question, kind",
    [
        ("What does the beroe do when pursuing prey?", "any"),
        ("How did the Popular Mobilization forces learn where ISIS's defensive lines were?", "any"),
        ("How many people were injured when a bomb hit a commercial district?", "number"),
        ("In which town north of Baghdad did al-Baghdadi use to live?", "place"),
    ],
)
def test_the_first_wh_phrase_decides_not_a_later_one(question: str, kind: str) -> None:
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    "question, counted",
    [
        ("How many US soldiers died in the Mosul offensive?", ("us", "soldier")),
        ("How many bodies of its fighters did ISIS leave?", ("bodi",)),
        ("According to the minister, how many of its own fighters has ISIS put to death?", ("fighter",)),
        ("How many Peshmerga fighters were killed near the dam?", ("peshmerga", "fighter")),
        ("How many 2015 season interceptions did the defense get?", ("season", "intercept")),
        ("What was the death toll?", ()),
    ],
)
def test_counted_terms_name_what_a_how_many_question_counts(question: str, counted: tuple[str, ...]) -> None:
    assert counted_terms(question) == counted


@pytest.mark.parametrize(
    "question",
    ["Who said how many ISIS fighters were killed?", "Who announced when the offensive on western Mosul began?"],
)
def test_the_leading_wh_word_decides_the_type(question: str) -> None:
    assert answer_type(question) in ("person", "person_group")


def test_terms_are_stemmed_content_words_without_stop_or_question_words() -> None:
    got = terms("Who retook the eastern half of Mosul, and when did they do it?")
    assert "retook" in got and "mosul" in got and "eastern" in got
    assert not {"who", "the", "of", "and", "when", "did", "they", "do", "it"} & set(got)
    assert terms("Popular Mobilizations forces") == terms("popular mobilization force")  # stemming
    assert terms("Iraq’s al-Assadi") == ["iraq", "al", "assadi"]  # apostrophes and hyphens split words
    assert terms("") == [] and terms("who is the of?") == []


def test_question_parse_keeps_terms_once_in_order_and_types_by_the_focus() -> None:
    q = Question.parse("Mosul Mosul eastern Mosul retook")
    assert q.terms == tuple(dict.fromkeys(terms("Mosul eastern retook")))
    rewritten = "Where did they go? (context: How many bodies did ISIS leave in the field?)"
    assert Question.parse(rewritten).kind == "place"  # the first wh-phrase decides, not the appended context's
    focused = Question.parse(rewritten, focus="Where did they go?")
    assert focused.kind == "place"
    assert focused.text == rewritten and "bodi" in focused.terms  # the context still counts for overlap
