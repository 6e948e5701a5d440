"""Whom "he said" refers to: the person an article named before a quote that names nobody.

"…he said, “Daesh have lost more than 80 percent of its elements”" answers "Which PMF spokesman said…" only
together with the sentence that named him; both are cited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.models import Paragraph
from index.snapshot import Snapshot
from qa.question import Question

_SPEAKER_PRONOUN = re.compile(
    r"\b(?P<p1>he|she)\s+(?:also\s+|further\s+)?(?:said|says|added|told|stressed|noted|claimed|stated|explained|"
    r"announced|warned|described)\b|\b(?:said|added|told|stressed|noted)\s+(?P<p2>he|she)\b",
    re.IGNORECASE,
)
_SPEECH_QUESTION = re.compile(
    r"\b(?:said|say|says|claimed|claim|told|tell|stated|announced|added|stressed|noted|warned|described|spoke|"
    r"speaking|spokes(?:man|person|woman))\b",
    re.IGNORECASE,
)
SPEAKER_LOOKBACK = 3  # paragraphs back through the article to look for whom "he said" refers to


@dataclass
class Speaker:
    name: str
    pronoun: str
    paragraph: Paragraph
    start: int
    end: int


def find_speaker(
    question: Question,
    sentence: str,
    spans: list[tuple[int, int, str]],
    paragraph_id: str,
    start: int,
    snapshot: Snapshot,
) -> Speaker | None:
    """Whom "he said" refers to, when a who-question asks for a speaker and the quoted sentence names none.

    "…he said, “Daesh have lost more than 80 percent of its elements”" answers "Which PMF spokesman said…" only
    with the person the article named before: the last one named in the sentences above it, in the same
    paragraph or the few before it, which is then cited as well.
    """
    if question.kind not in ("person", "person_group") or not _SPEECH_QUESTION.search(question.text):
        return None
    if any(label == "PERSON" for _, _, label in spans):
        return None
    match = _SPEAKER_PRONOUN.search(sentence)
    if match is None:
        return None
    pronoun = match.group("p1") or match.group("p2")
    pi = snapshot.by_id.get(paragraph_id)
    if pi is None:
        return None
    found: Speaker | None = None
    for paragraph, s, e, name in _people_before(snapshot, pi, start):
        if found is None:
            found = Speaker(name, pronoun, paragraph, s, e)
        elif len(name) > len(found.name) and name.lower().endswith(found.name.lower()):
            # "Al-Assadi further stressed…" names him again; "Ahmed al-Assadi said…" is where he is introduced.
            found = Speaker(name, pronoun, paragraph, s, e)
    return found


def _people_before(snapshot: Snapshot, pi: int, before: int) -> Iterator[tuple[Paragraph, int, int, str]]:
    """(paragraph, sentence start, sentence end, name) of people named above a point of an article, nearest first."""
    doc = snapshot.paragraphs[pi].doc_id
    for back in range(SPEAKER_LOOKBACK + 1):
        qi = pi - back
        if qi < 0 or snapshot.paragraphs[qi].doc_id != doc:
            return
        paragraph = snapshot.paragraphs[qi]
        for row in reversed(snapshot.sentence_rows(qi).tolist()):
            sentence = paragraph.sentences[int(snapshot.sentence_owner[row, 1])]
            if back == 0 and sentence.start >= before:
                continue
            people = [(s, e) for s, e, label in snapshot.sentence_spans[row] if label == "PERSON"]
            for s, e in reversed(people):
                name = paragraph.quote(sentence.start + s, sentence.start + e)
                yield paragraph, sentence.start, sentence.end, name
