"""qa.followup: deciding that a question is a follow-up, and rewriting it into a standalone question."""

from __future__ import annotations

import dataclasses

import pytest

from qa.followup import Turn, flatten, needs_context, rewrite, turn_kind
from qa.question import answer_type

pytestmark = pytest.mark.unit

WHO = Turn("Who retook eastern Mosul?", "Iraqi forces", "person_group")
WHEN = Turn("When did they do it?", "January", "date")


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
    assert rewrite(question, [WHO]) == question


def test_without_history_nothing_is_rewritten() -> None:
    assert rewrite("When did they do it?", []) == "When did they do it?"


def test_a_pronoun_for_the_previous_answer_becomes_that_answer_and_the_topic_is_kept() -> None:
    out = rewrite("When did they do it?", [WHO])
    assert out != "When did they do it?"
    assert out.startswith("When did Iraqi forces")  # the user's own words stay first: they decide the type
    assert "they" not in out.split(" (")[0].lower().split()
    assert "eastern Mosul" in out  # the topic the user no longer repeats
    assert answer_type(out.split(" (")[0]) == "date"


def test_possessive_pronouns_become_possessives() -> None:
    out = rewrite(
        "What was their goal?", [Turn("Which group's spokesman spoke to Syrian TV?", "Hashd al-Shaabi", "org")]
    )
    assert out.startswith("What was Hashd al-Shaabi's goal?")


def test_only_the_first_pronoun_is_replaced() -> None:
    out = rewrite("Did they say what they want?", [WHO]).split(" (")[0]
    assert out.count("Iraqi forces") == 1 and "they want" in out


def test_there_becomes_the_previous_place_and_then_the_previous_date() -> None:
    place = Turn("Where are the popular forces moving?", "al-Qaim town", "place")
    assert rewrite("What happened there?", [place]).startswith("What happened in al-Qaim town?")
    date = Turn("When did Iraqi forces retake eastern Mosul?", "January", "date")
    assert rewrite("What happened then?", [date]).startswith("What happened in January?")
    # a date does not stand in for a person, nor a place for "then"
    assert rewrite("Who did it then?", [place]).startswith("Who did it then?")


def test_without_a_previous_answer_the_pronoun_stays_and_the_context_is_added() -> None:
    out = rewrite("When did they do it?", [Turn("Who retook eastern Mosul?", None, "person_group")])
    assert out.startswith("When did they do it?") and "Who retook eastern Mosul?" in out


def test_a_chain_of_follow_ups_keeps_the_first_standalone_question() -> None:
    out = rewrite("How long did the fighting there take?", [WHO, WHEN])
    assert out.startswith("How long did the fighting there take?")
    assert "When did they do it?" in out and "Who retook eastern Mosul?" in out
    # only the most recent standalone question is added, not every earlier one
    older = Turn("How many bodies did ISIS leave in the field?", "more than 200", "number")
    out = rewrite("How long did the fighting there take?", [older, WHO, WHEN])
    assert "Who retook eastern Mosul?" in out and "bodies" not in out


def test_a_pronoun_two_turns_back_is_resolved() -> None:
    out = rewrite("How many months did it take them?", [WHO, WHEN])
    assert "Iraqi forces" in out


def test_turns_are_immutable_and_turn_kind_is_the_answer_type() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        WHO.short_answer = "someone"  # type: ignore[misc]
    for q in ("Who retook eastern Mosul?", "When did they do it?", "How far is al-Qaim from Baghdad?"):
        assert turn_kind(q) == answer_type(q)


def test_a_chain_carries_the_previous_turn_as_it_was_understood() -> None:
    understood = Turn(
        "Which TV channel was he speaking to?",
        "Syrian state television",
        "org",
        standalone="Which TV channel was Ahmed al-Assadi speaking to? (context: Which PMF spokesman said it?)",
    )
    out = rewrite("And on what day did that interview take place?", [understood])
    assert out == (
        "And on what day did that interview take place? (context: Which TV channel was Ahmed al-Assadi speaking to? "
        "Which PMF spokesman said it?)"
    )  # one level of context, with the name the earlier pronoun stood for


@pytest.mark.parametrize(
    "standalone, flat",
    [
        ("Q2? (context: Q1?)", "Q2? Q1?"),
        ("Q1?", "Q1?"),
        ("What (if anything) happened?", "What (if anything) happened?"),
    ],
)
def test_flatten_keeps_one_level(standalone: str, flat: str) -> None:
    assert flatten(standalone) == flat
