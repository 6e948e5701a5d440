"""Acronyms a question uses that the articles spell out: "PMF" → "Popular Mobilization Forces".

Readers ask in the short form and reporters write the long one, so without this a keyword match on "PMF" finds
nothing and a question about the PMF looks like one the articles cannot answer. The table is read off the
articles themselves (runs of capitalised words and their initials), once per index version.
"""

from __future__ import annotations

import re
from collections import Counter

from index.snapshot import Snapshot

_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:[-\s](?:(?:of|and|the|for)\s)?[A-Z][a-z]+){1,5}\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_SMALL = frozenset({"of", "and", "the", "for"})
# Short forms common enough that articles rarely spell them out, used when the articles give no long form.
COMMON = {"TV": "television", "US": "United States", "UK": "United Kingdom", "EU": "European Union"}


def acronym_table(snapshot: Snapshot) -> dict[str, str]:
    """Initials → the most frequent capitalised phrase with those initials ("UN" → "United Nations"), for short
    forms the articles themselves use less often than the long form."""
    return snapshot.derived("acronyms", _build_table)


def _build_table(snapshot: Snapshot) -> dict[str, str]:
    counts: Counter[tuple[str, str]] = Counter()
    used: Counter[str] = Counter()  # how often the articles use each short form themselves
    for paragraph in snapshot.paragraphs:
        used.update(_ACRONYM.findall(paragraph.text))
        for match in _PHRASE.finditer(paragraph.text):
            parts = match.group().split()
            # Every tail too: a sentence's first word is capitalised anyway ("The United Nations" → "UN").
            for i in range(len(parts) - 1):
                if parts[i] in _SMALL:
                    continue
                phrase = " ".join(parts[i:])
                initials = "".join(w[0] for w in re.split(r"[-\s]", phrase) if w and w not in _SMALL)
                if len(initials) >= 2:
                    counts[(initials.upper(), phrase)] += 1
    table: dict[str, str] = {}
    for (initials, phrase), n in counts.most_common():
        # A short form the articles use more than the long one is a name in its own right ("NP", "CBS").
        if initials not in table and n > used[initials]:
            table[initials] = phrase
    for initials, phrase in COMMON.items():
        table.setdefault(initials, phrase)
    return table


def expand_acronyms(text: str, snapshot: Snapshot) -> str:
    """`text` with each known acronym followed by its long form in brackets (unchanged when there is none)."""
    table = acronym_table(snapshot)
    return _ACRONYM.sub(lambda m: f"{m.group()} ({table[m.group()]})" if m.group() in table else m.group(), text)
