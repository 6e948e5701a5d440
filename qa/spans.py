"""Whether a span of a sentence answers the question asked, beyond being of the right type.

A number is not an answer to "how many US soldiers" unless it counts US soldiers; a name is not "the Arabic name
for X" unless the sentence gives it as a name; a span is far likelier to answer when the question's own words sit
right around it. These checks are what let the extractive answerer refuse a question that merely shares words
with a sentence.
"""

from __future__ import annotations

import re

from qa.question import Question, terms, words

LOCAL_WORDS = 6  # words either side of a short answer that count as its context

# Nouns that count the same people, each mapped to one representative (stemmed, as `terms` gives them).
COUNT_SYNONYMS = {
    t: group[0]
    for group in (
        ("fighter", "milit", "terrorist", "jihadist", "insurg", "member", "gunmen", "gunman"),
        ("soldier", "troop", "servicemen", "personnel"),
        ("peopl", "civilian", "person", "resid", "individu", "inhabit"),
    )
    for t in group
}
# Counts given in words: "dozens of deaths", "several areas", "every front".
QUANTIFIER = re.compile(
    r"\b(several|dozens|hundreds|thousands|scores|numerous|a few|every)\b(?:\s+of)?\s+([A-Za-z][\w'’-]*)",
    re.IGNORECASE,
)
PREPOSITIONS = frozenset(
    [
        "among",
        "amongst",
        "between",
        "during",
        "after",
        "before",
        "across",
        "including",
        "near",
        "since",
        "against",
        "over",
        "under",
        "within",
        "without",
        "per",
        "along",
        "around",
        "toward",
        "towards",
        "inside",
        "outside",
    ]
)
RELATIVE_TIME = re.compile(
    r"\b(?:in\s+)?the\s+(?:near|foreseeable|coming|next|following)\s+(?:future|days|weeks|months|years)\b",
    re.IGNORECASE,
)
DURATION = re.compile(r"\b(?:second|minute|hour|day|week|month|year|decade)s?\b", re.IGNORECASE)


def local_overlap(sentence: str, s: int, e: int, qterms: tuple[str, ...], idf: dict[str, float]) -> float:
    """IDF-weighted share of the question's terms among the few words either side of a span.

    "400,000 of whom are in the Old City" answers "how many … in the Old City"; "half a million people remain in
    the area" earlier in the same sentence does not.
    """
    if not qterms:
        return 0.0
    near = set(terms(" ".join(words(sentence[:s])[-LOCAL_WORDS:]))) | set(
        terms(" ".join(words(sentence[e:])[:LOCAL_WORDS]))
    )
    unseen = max(idf.values(), default=1.0)
    total = sum(idf.get(t, unseen) for t in qterms)
    return sum(idf.get(t, unseen) for t in qterms if t in near) / total if total else 0.0


NAMING = re.compile(r"\b(?:name[ds]?|known as|called|dubbed|nicknamed|titled|a\.?k\.?a\.?)\b", re.IGNORECASE)
ALIAS_SPAN = re.compile(
    r"\b(?:known as|called|dubbed|nicknamed|a\.k\.a\.?)\s+(?:the\s+)?"
    r"([A-Z][\w’'-]*(?:\s+(?:al-|bin\s|of\s)?[A-Z][\w’'-]*){0,4})"
)
HEAD_KINDS = frozenset({"person", "person_group", "org", "place", "name"})


def named_by(sentence: str, s: int, e: int, text: str, label: str, question: Question) -> bool:
    """Whether the sentence itself says the span is the kind of thing asked for, by the question's own noun:
    "the Islah al-Zeraie district" for "which district", "Abu Ayoub al-Shami, Islamic State's military
    commander" or "Spokesman Karim al-Nouri" for "which commander/spokesman"."""
    head = question.head
    if head is None or question.kind not in HEAD_KINDS:
        return False
    if not (text[:1].isupper() or text.lower().startswith("the ")):
        return False
    if terms(text.split()[-1]) == [head]:  # "the Islah al-Zeraie district", "the Interior Ministry"
        name = re.sub(r"^(?:the|a|an|another|this|that|its|his|her|their)\s+", "", text, flags=re.IGNORECASE)
        qterms = set(question.terms)
        return any(w[:1].isupper() and not set(terms(w)) <= qterms for w in name.split()[:-1])
    if label.startswith("NP:") or question.kind not in ("person", "person_group"):
        return False
    after = sentence[e : e + 60]
    before = words(sentence[:s])[-1:]  # a title: "Spokesman Karim al-Nouri"
    return (after.startswith(",") and head in terms(" ".join(words(after)[:5]))) or head in terms(" ".join(before))


AKA_BEFORE = re.compile(r"\b(?:known as|called|dubbed|nicknamed|a\.k\.a\.?)\s+(?:the\s+)?$")
_CLAUSE_END = re.compile(r"[,;:()“”\"]|\s[–—-]\s")


def window(sentence: str, s: int, e: int) -> str:
    left = " ".join(words(sentence[:s])[-LOCAL_WORDS:])
    right = " ".join(words(sentence[e:])[:LOCAL_WORDS])
    return f"{left} {sentence[s:e]} {right}"


def counts_the_same(sentence: str, s: int, e: int, counted: tuple[str, ...]) -> bool:
    """Whether a number can count what the question counts.

    The noun right after the number, when there is one, must be a counted one ("200 bodies", not "seven
    villages"); and when it comes with qualifiers of its own ("30 Islamic State fighters"), the question's
    qualifiers ("Peshmerga fighters") must be there too, or just before the number.
    """
    head, modifiers = counted[-1], counted[:-1]
    after = _counted_after(sentence, e)
    around = words(sentence[:s])[-LOCAL_WORDS:] + words(sentence[e:])[: 2 * LOCAL_WORDS]
    near = after | set(terms(" ".join(around))) | {w.lower() for w in around}

    if after and not any(_counts_as(t, after) for t in counted):
        return False
    if not after and _counts_other_people(sentence[:s], head):
        return False  # "the number of people displaced … is close to 400,000" does not count soldiers
    qualifiers = {t for t in after if not _counts_as(t, {head}) and t not in counted}
    return not qualifiers or all(_counts_as(m, near) for m in modifiers)


def _counts_as(term: str, pool: set[str]) -> bool:
    """`term` or a word counting the same people ("fighter" for "militant") is in `pool`."""
    return term in pool or COUNT_SYNONYMS.get(term, term) in {COUNT_SYNONYMS.get(t) for t in pool}


def _counts_other_people(before: str, head: str) -> bool:
    """Whether the clause leading up to a bare number names people of another kind than the question counts."""
    group = COUNT_SYNONYMS.get(head)
    if group is None:
        return False
    clause = _CLAUSE_END.split(before)[-1]
    return any(COUNT_SYNONYMS.get(t, group) != group for t in terms(" ".join(words(clause)[-15:])))


def _counted_after(sentence: str, e: int) -> set[str]:
    """The noun phrase a number counts: "200 bodies of its fighters" → {bodi}; "1000 of its own militants" →
    {militant}: words after the number up to the first stop word that follows a content word."""
    found: set[str] = set()
    clause = _CLAUSE_END.split(sentence[e:], maxsplit=1)[0]
    if re.match(r"\s*of (?:whom|which|them|those)\b", clause):
        return found  # "half a million people …, 400,000 of whom": it counts the noun before it
    for word in words(clause)[:5]:
        if found and word.lower() in PREPOSITIONS:
            break  # "dozens of deaths among Islamic State militants": the count is of deaths
        # An upper-case "US" or "UN" is a name, though its lower case is a stop word.
        content = [word.lower()] if word.isupper() and len(word) > 1 else terms(word)
        if not content:
            if found:
                break
            continue
        found.update(content)
    return found


def count_match(sentence: str, e: int, counted: tuple[str, ...]) -> float:
    """Share of the counted words ("US soldiers") that the number really counts, synonyms allowed."""
    after = _counted_after(sentence, e)
    return sum(_counts_as(t, after) for t in counted) / len(counted)
