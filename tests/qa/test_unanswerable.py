"""qa.unanswerable: names and offices a question uses that the articles never mention."""

from __future__ import annotations

import pytest

from qa.unanswerable import missing_names, unmentioned_focus

pytestmark = pytest.mark.unit

ARTICLE = "Iraqi special forces Lieutenant General Sami al-Arathi spoke in Karamah on Thursday; Syria was mentioned."


@pytest.mark.parametrize(
    "question, missing",
    [
        ("Who won the 2018 Iraqi parliamentary election?", ["2018"]),
        ("What did Lt. Gen. Sami al-Arathi say on Thursday?", []),  # abbreviated titles are not names
        ("How many were killed in the Jan. 21 attack on al-Ramadi?", ["Ramadi"]),  # "rama" is not "Karamah"
        ("What do Syrian officials say?", []),  # "Syrian" matches "Syria"
        ("What is the Arabic name for the Popular Mobilization Forces?", ["Popular", "Mobilization"]),  # not "Arabic"
    ],
)
def test_missing_names(question: str, missing: list[str]) -> None:
    assert missing_names(question, [], ARTICLE) == missing


@pytest.mark.parametrize(
    "question, phrase",
    [
        ("Who was Iraq's prime minister during the battle for Mosul?", "prime minister"),
        ("Who is the interior minister?", None),  # "interior" is a word the articles use
        ("Which officer told Basnews about the sweep?", None),  # the role noun itself may be paraphrased
        ("Who retook eastern Mosul?", None),
    ],
)
def test_unmentioned_focus(question: str, phrase: str | None) -> None:
    vocabulary = {"interior": 1.0, "minist": 1.0, "offic": 1.0}
    assert unmentioned_focus(question, vocabulary) == phrase


def test_glosses_added_for_acronyms_are_not_names_the_user_asked_about() -> None:
    """qa.acronyms writes "PP (Paramount Pictures)"; only the user's own "PP" may count as a name."""
    question = "Where can the complexity classes RP, PP (Paramount Pictures) and MA (Middle Ages) be located?"
    assert missing_names(question, [], "complexity classes RP, PP and MA") == []
