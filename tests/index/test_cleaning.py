"""From article text to body paragraphs: layouts, title and outlet, furniture, and exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import clean_article, to_paragraphs
from index.models import Paragraph
from index.readers import read_document

pytestmark = pytest.mark.unit

TITLE = "Iraqi Forces Push Into Western Mosul"
BODY = [
    "Iraqi forces retook eastern Mosul in January. They began a new push on Saturday.",
    "The U.S.-led coalition is providing air support, officials said on Jan. 21.",
    "“We will win,” said Lt. Gen. Abdul Ghani al-Assadi.",
]
FURNITURE = [
    "Skip to main content",
    "Popular Video",
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "Source: Yahoo Image via\u00a0SPC Ronald Shaw Jr./Wikimedia Commons",
    "Source: Yahoo Image via\u00a0Reuters",
    "Photo credit: Reuters",
    "(Photo by John Moore/Getty Images)",
    "Share this:",
    "Related Posts",
    "Comment *",
    "Save my name, email, and website in this browser for the next time I comment.",
]

# What the bundled articles must yield. The paragraph numbers are the citation ids ("{doc_id}#{n}"), so a
# change here changes every citation of an index built from them.
BUNDLED = {
    "000_c20eb52eafb48ab5": ("Alwaght", 11),
    "001_6433af30963515e2": ("", 9),
    "002_5ad74914a809d552": ("", 9),
    "003_c58f28e98a55fbe1": ("Tabnak", 11),
    "004_c9619ea8658885be": ("Mosul", 15),
}


def paragraphs_of(text: str, doc_id: str = "doc") -> tuple[str, str, list[Paragraph]]:
    return to_paragraphs(text, doc_id=doc_id, path=f"{doc_id}.txt", content_hash="h")


def assert_round_trip(original: str, paragraphs: list[Paragraph]) -> None:
    """Every paragraph and sentence is exactly the original text between its offsets."""
    previous_end = 0
    for n, p in enumerate(paragraphs, start=1):
        assert p.n == n and p.id == f"{p.doc_id}#{n}"
        assert original[p.start : p.end] == p.text, p.id
        assert p.text and p.text == p.text.strip(), p.id
        assert p.start >= previous_end, f"{p.id} overlaps the paragraph before it"
        previous_end = p.end
        assert p.sentences, f"{p.id} has no sentences"
        sentence_end = p.start
        for span in p.sentences:
            assert sentence_end <= span.start < span.end <= p.end, p.id
            sentence_end = span.end
            assert original[span.start : span.end] == p.quote(span.start, span.end)
            assert p.quote(span.start, span.end).strip() == p.quote(span.start, span.end)
        # Only whitespace lies between the sentences of a paragraph.
        joined = "".join("".join(s.split()) for s in p.sentence_texts())
        assert joined == "".join(p.text.split()), p.id


# --- layouts --------------------------------------------------------------------------------------


def _layouts() -> dict[str, str]:
    one_per_line = "\n".join([TITLE, "Mosul- " + BODY[0], *BODY[1:]]) + "\n"
    blank_lines = "\n\n".join([TITLE, "Mosul- " + BODY[0], *BODY[1:]]) + "\n"
    messy = "\n\n\n".join(["  " + TITLE + "  ", "\u00a0Mosul- " + BODY[0] + " \t", *BODY[1:]]) + "\n\n\n"
    return {
        "one paragraph per line": one_per_line,
        "blank lines between": blank_lines,
        "CRLF, one per line": one_per_line.replace("\n", "\r\n"),
        "CRLF, blank lines": blank_lines.replace("\n", "\r\n"),
        "extra blank lines and stray whitespace": messy,
        "no final newline": one_per_line.rstrip("\n"),
    }


@pytest.mark.parametrize("layout", list(_layouts()))
def test_every_layout_gives_the_same_paragraphs(layout: str) -> None:
    text = _layouts()[layout]
    title, source, paragraphs = paragraphs_of(text)
    assert title == TITLE
    assert source == "Mosul"
    assert [p.text for p in paragraphs] == BODY
    assert all(p.title == TITLE and p.source == "Mosul" for p in paragraphs)
    assert_round_trip(text, paragraphs)


# --- title and outlet -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "outlet"),
    [
        ("Alwaght- ", "Alwaght"),
        ("Tabnak – ", "Tabnak"),
        ("Mosul- ", "Mosul"),
        ("Press TV — ", "Press TV"),
        ("BAGHDAD (Reuters) - ", "BAGHDAD (Reuters)"),
    ],
)
@pytest.mark.parametrize("with_title", [True, False], ids=["after a title line", "on the first line"])
def test_outlet_prefix_becomes_the_source(prefix: str, outlet: str, with_title: bool) -> None:
    lines = [TITLE] if with_title else []
    text = "\n".join([*lines, prefix + BODY[0], *BODY[1:]])
    title, source, paragraphs = paragraphs_of(text)
    assert source == outlet
    assert paragraphs[0].text == BODY[0]
    assert paragraphs[0].start == text.index(BODY[0])
    assert all(p.source == outlet for p in paragraphs)
    if with_title:
        assert title == TITLE
    else:  # the title falls back to the start of the first paragraph
        assert title and BODY[0].startswith(title.rstrip("…"))
    assert_round_trip(text, paragraphs)


def test_furniture_before_the_title_does_not_hide_title_or_outlet() -> None:
    text = "\n\n".join(["Skip to main content", TITLE, "Popular Video", "Alwaght- " + BODY[0], *BODY[1:]])
    title, source, paragraphs = paragraphs_of(text)
    assert (title, source) == (TITLE, "Alwaght")
    assert [p.text for p in paragraphs] == BODY


@pytest.mark.parametrize(
    "text",
    [
        "Hyphenated al-Assadi - said the council. It met.",  # lower-case words before the dash
        "Iraqi-Syrian border talks resumed on Monday. They were short.",  # no space after the hyphen
        "The army moved - slowly - on Monday. Nobody knew why.",  # four words before the dash
    ],
)
def test_dashes_inside_a_sentence_are_not_an_outlet(text: str) -> None:
    _, source, paragraphs = paragraphs_of(TITLE + "\n" + text)
    assert source == ""
    assert paragraphs[0].text == text


def test_a_first_line_ending_like_a_sentence_is_body_not_title() -> None:
    text = "This opening line is a full sentence of the article.\nThe second paragraph follows."
    title, _, paragraphs = paragraphs_of(text)
    assert [p.text for p in paragraphs] == text.split("\n")
    assert title == "This opening line is a full sentence of the article."


def test_long_fallback_title_is_shortened_at_a_word() -> None:
    first = "Over the last few weeks, ISIS Takfiris have been defeated in every front in Iraq, they said."
    title, _, _ = paragraphs_of(first + "\nMore text here.")
    assert title.endswith("…") and len(title) <= 90
    assert first.startswith(title[:-1])


def test_fallback_title_and_source_are_used_when_the_text_has_none() -> None:
    text = BODY[0] + "\n" + BODY[1]
    article = clean_article(text, fallback_title="From the HTML head")
    assert article.title == "From the HTML head"
    _, source, _ = to_paragraphs(
        text, doc_id="d", path="d.html", content_hash="h", fallback_title="T", fallback_source="Example News"
    )
    assert source == "Example News"


# --- furniture ------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank_lines", [True, False], ids=["blank-line layout", "one-per-line layout"])
def test_furniture_lines_are_dropped(blank_lines: bool) -> None:
    sep = "\n\n" if blank_lines else "\n"
    lines = [FURNITURE[0], TITLE, BODY[0], FURNITURE[1], FURNITURE[4], BODY[1], *FURNITURE[5:], BODY[2]]
    lines += FURNITURE[2:4]
    text = sep.join(lines)
    title, _, paragraphs = paragraphs_of(text)
    assert title == TITLE
    assert [p.text for p in paragraphs] == BODY
    assert_round_trip(text, paragraphs)


def test_article_sentences_that_mention_furniture_words_are_kept() -> None:
    kept = [
        "Readers who leave a reply under the article are asked to be civil.",
        "The popular video showed the bridge collapsing.",
    ]
    _, _, paragraphs = paragraphs_of("\n".join([TITLE, *kept]))
    assert [p.text for p in paragraphs] == kept


# --- Markdown -------------------------------------------------------------------------------------


def test_hard_wrapped_markdown_paragraphs_are_joined() -> None:
    text = (
        "# Iraqi Forces Advance on the Old City\n"
        "\n"
        "Mosul- Iraqi government forces advanced on the Old City on Sunday, pushing\n"
        "militants into a shrinking pocket of narrow streets.\n"
        "\n"
        "## Civilians\n"
        "\n"
        "The United Nations estimates that\n"
        "400,000 civilians remain in the area, many of them\n"
        "without food or clean water.\n"
        "\n"
        "A second short paragraph.\n"
    )
    title, source, paragraphs = paragraphs_of(text)
    assert title == "Iraqi Forces Advance on the Old City"
    assert source == "Mosul"
    assert len(paragraphs) == 3  # the "## Civilians" heading is structure, not a citable paragraph
    assert paragraphs[0].text.startswith("Iraqi government forces")
    assert paragraphs[0].text.endswith("streets.")
    assert "\n" in paragraphs[0].text  # the original text is kept, newline included
    assert " ".join(paragraphs[1].text.split()) == (
        "The United Nations estimates that 400,000 civilians remain in the area, many of them "
        "without food or clean water."
    )
    assert paragraphs[2].text == "A second short paragraph."
    assert_round_trip(text, paragraphs)


def test_lines_that_end_a_sentence_are_not_joined() -> None:
    text = "Title Line\nFirst paragraph ends here.\nsecond starts in lower case but the first one ended."
    _, _, paragraphs = paragraphs_of(text)
    assert len(paragraphs) == 2


# --- edge cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "Skip to main content\nLeave a Reply\n"])
def test_nothing_citable_gives_no_paragraphs(text: str) -> None:
    assert paragraphs_of(text)[2] == []


def test_a_one_line_article_is_body_not_title() -> None:
    title, _, paragraphs = paragraphs_of("Only line without a full stop")
    assert [p.text for p in paragraphs] == ["Only line without a full stop"]
    assert title == "Only line without a full stop"


# --- the bundled articles -------------------------------------------------------------------------


def _bundled(articles_dir: Path) -> list[Path]:
    files = sorted(articles_dir.glob("*.txt"))
    assert [f.stem for f in files] == sorted(BUNDLED)
    return files


def test_bundled_articles_titles_sources_and_counts(articles_dir: Path) -> None:
    for path in _bundled(articles_dir):
        raw = read_document(path, max_bytes=10**7)
        title, source, paragraphs = paragraphs_of(raw.text, raw.doc_id)
        expected_source, expected_count = BUNDLED[path.stem]
        assert source == expected_source, path.name
        assert len(paragraphs) == expected_count, path.name
        assert title, path.name
        assert not any(p.text.startswith(f"{expected_source}-") for p in paragraphs if expected_source)
    raw = read_document(articles_dir / "001_6433af30963515e2.txt", max_bytes=10**7)
    assert paragraphs_of(raw.text)[0] == "Daesh Losing Ground, Troops: Iraq’s Popular Mobilization Forces"
    raw = read_document(articles_dir / "002_5ad74914a809d552.txt", max_bytes=10**7)
    assert paragraphs_of(raw.text)[0] == "Islamic State Suffers Heavy Blows In Iraq"


def test_bundled_articles_round_trip(articles_dir: Path) -> None:
    for path in _bundled(articles_dir):
        original = path.read_bytes().decode("utf-8")
        raw = read_document(path, max_bytes=10**7)
        assert raw.text == original
        _, _, paragraphs = paragraphs_of(raw.text, raw.doc_id)
        assert_round_trip(original, paragraphs)


def test_bundled_articles_lose_their_furniture(articles_dir: Path) -> None:
    junk = ["Skip to main content", "Popular Video", "Leave a Reply", "Your email address", "Image via"]
    texts = []
    for path in _bundled(articles_dir):
        texts += [p.text for p in paragraphs_of(path.read_text(encoding="utf-8"), path.stem)[2]]
    for phrase in junk:
        assert not [t for t in texts if phrase.lower() in t.lower()], phrase


def test_bundled_sentence_splits_keep_abbreviations(articles_dir: Path) -> None:
    path = articles_dir / "002_5ad74914a809d552.txt"
    _, _, paragraphs = paragraphs_of(path.read_text(encoding="utf-8"), path.stem)
    sentences = [s for p in paragraphs for s in p.sentence_texts()]
    assert "On Jan. 21, Islamic State was dealt several heavy blows in Iraq." in sentences
    assert any(s.startswith("Islamic State has been steadily") and "U.S.-led" in s for s in sentences)
    assert not any(s.endswith(("Jan.", "U.S.")) for s in sentences)
