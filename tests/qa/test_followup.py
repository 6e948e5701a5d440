"""qa.followup: deciding that a question is a follow-up, and rewriting it into a standalone question."""

from __future__ import annotations

import dataclasses

import pytest

from qa.followup import Query, Turn, needs_context, rewrite, turn_kind

pytestmark = pytest.mark.unit

WHO = Turn("Who retook eastern Mosul?", "Iraqi forces", "who")
WHEN = Turn("When did they do it?", "January", "when")


@pytest.mark.parametrize(
    "question",
    [
        "When did they do it?",
        "What did he say?",
        "What was their goal?",
        "How long did it take?",
        "What happened there?",
        "And Tikrit?",
        "what about Fallujah?",
        "Why?",
        "Where exactly?",
    ],
)
def test_follow_ups_need_context(question: str) -> None:
    assert needs_context(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who retook eastern Mosul?",
        "How many bodies did ISIS leave in the field?",
        "What percentage of territory in western Mosul do Iraqi commanders control?",
        "Where is the Mosul dam located?",
    ],
)
def test_standalone_questions_do_not(question: str) -> None:
    assert not needs_context(question)
    assert rewrite(question, [WHO]) == Query(question)


def test_without_history_nothing_is_rewritten() -> None:
    assert rewrite("When did they do it?", []) == Query("When did they do it?")


def test_a_pronoun_for_the_previous_answer_becomes_that_answer_and_the_topic_travels_as_context() -> None:
    out = rewrite("When did they do it?", [WHO])
    assert out.text == "When did Iraqi forces do it?"  # what the reader reads: the user's words, resolved
    assert out.context == "Who retook eastern Mosul?"  # the topic the user no longer repeats, as its own field
    assert out.search_text == "When did Iraqi forces do it? Who retook eastern Mosul?"


def test_possessive_pronouns_become_possessives() -> None:
    out = rewrite(
        "What was their goal?", [Turn("Which group's spokesman spoke to Syrian TV?", "Hashd al-Shaabi", "which")]
    )
    assert out.text == "What was Hashd al-Shaabi's goal?"


def test_only_the_first_pronoun_is_replaced() -> None:
    out = rewrite("Did they say what they want?", [WHO]).text
    assert out.count("Iraqi forces") == 1 and "they want" in out


def test_there_becomes_the_previous_place_and_then_the_previous_date() -> None:
    place = Turn("Where are the popular forces moving?", "al-Qaim town", "where")
    assert rewrite("What happened there?", [place]).text == "What happened in al-Qaim town?"
    date = Turn("When did Iraqi forces retake eastern Mosul?", "January", "when")
    assert rewrite("What happened then?", [date]).text == "What happened in January?"
    # a date does not stand in for a person, nor a place for "then"
    assert rewrite("Who did it then?", [place]).text == "Who did it then?"


def test_without_a_previous_answer_the_pronoun_stays_and_the_context_is_added() -> None:
    out = rewrite("When did they do it?", [Turn("Who retook eastern Mosul?", None, "who")])
    assert out == Query("When did they do it?", "Who retook eastern Mosul?")


def test_a_chain_of_follow_ups_keeps_the_first_standalone_question() -> None:
    out = rewrite("How long did the fighting there take?", [WHO, WHEN])
    assert out.text == "How long did the fighting there take?"
    assert out.context == "When did they do it? Who retook eastern Mosul?"
    # only the most recent standalone question is added, not every earlier one
    older = Turn("How many bodies did ISIS leave in the field?", "more than 200", "any")
    out = rewrite("How long did the fighting there take?", [older, WHO, WHEN])
    assert "Who retook eastern Mosul?" in out.context and "bodies" not in out.context


def test_a_pronoun_two_turns_back_is_resolved() -> None:
    assert "Iraqi forces" in rewrite("How many months did it take them?", [WHO, WHEN]).text


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who retook eastern Mosul?", "who"),
        ("Whose forces retook it?", "who"),
        ("Which group's spokesman spoke?", "which"),
        ("When did they do it?", "when"),
        ("In which town did they meet?", "which"),
        ("Where is al-Qaim?", "where"),
        ("How far is al-Qaim from Baghdad?", "any"),
        ("What did they find?", "any"),
    ],
)
def test_turn_kind_is_what_the_answer_can_stand_for(question: str, kind: str) -> None:
    assert turn_kind(question) == kind


def test_turns_and_queries_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        WHO.short_answer = "someone"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Query("q").context = "c"  # type: ignore[misc]


def test_a_chain_carries_the_previous_turn_as_it_was_understood() -> None:
    understood = Turn(
        "Which TV channel was he speaking to?",
        "Syrian state television",
        "which",
        standalone=Query("Which TV channel was Ahmed al-Assadi speaking to?", "Which PMF spokesman said it?"),
    )
    out = rewrite("And on what day did that interview take place?", [understood])
    # one level of context, with the name the earlier pronoun stood for
    assert out == Query(
        "And on what day did that interview take place?",
        "Which TV channel was Ahmed al-Assadi speaking to? Which PMF spokesman said it?",
    )
