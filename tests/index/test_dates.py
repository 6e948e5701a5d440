"""Article dates: read from front matter, meta lines, bylines, datelines and HTML metadata, never invented; titles
cut short with an ellipsis; question-shaped sub-heads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from index.cleaning import ArticleMeta, clean_article, to_paragraphs
from index.dates import day_iso, day_number, find_date, parse_date
from index.readers import read_document

pytestmark = pytest.mark.unit

BODY = "Iraqi forces retook eastern Mosul in January.\n\nThey began a new push on Saturday, officials said."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05T10:14:00Z", date(2024, 3, 5)),
        ("March 5, 2024", date(2024, 3, 5)),
        ("5 March 2024", date(2024, 3, 5)),
        (1709596800, date(2024, 3, 5)),
        ("March 5", None),  # no year: not a publication date
        ("yesterday", None),
        ("0001-01-01", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_day_numbers_round_trip_and_sort_like_days() -> None:
    days = [date(2019, 12, 31), date(2020, 1, 1), date(2024, 3, 5)]
    assert [day_iso(day_number(d)) for d in days] == [d.isoformat() for d in days]
    assert sorted(days, key=day_number) == days
    assert day_iso(None) == ""


def test_find_date_gives_offsets() -> None:
    text = "By Jane Doe | March 3, 2017"
    found = find_date(text)
    assert found is not None and found[0] == date(2017, 3, 3)
    assert text[found[1] : found[2]] == "March 3, 2017"


def test_front_matter_gives_title_date_and_outlet_and_is_not_a_paragraph() -> None:
    text = "---\ntitle: Mosul push resumes\ndate: 2017-02-19\nsource: Example Wire\n---\n\n" + BODY
    article = clean_article(text)
    assert article.title == "Mosul push resumes"
    assert article.source == "Example Wire"
    assert (article.meta.published, article.meta.published_from) == (date(2017, 2, 19), "front matter")
    assert [text[s:e] for s, e in article.spans] == BODY.split("\n\n")


def test_meta_lines_at_the_top_date_the_article() -> None:
    text = "Mosul push resumes\n\nDate: 19 February 2017\n\n" + BODY
    article = clean_article(text)
    assert article.title == "Mosul push resumes"
    assert article.meta.published == date(2017, 2, 19)
    assert [text[s:e] for s, e in article.spans] == BODY.split("\n\n")


def test_a_byline_with_a_date_is_the_date_not_a_paragraph() -> None:
    text = "Mosul push resumes\n\nPublished: February 19, 2017 10:14 GMT\n\n" + BODY
    article = clean_article(text)
    assert (article.meta.published, article.meta.published_from) == (date(2017, 2, 19), "dateline")
    assert len(article.spans) == 2


@pytest.mark.parametrize(
    "line",
    [
        "Carden- The new Carden history museum opened on 12 March 2016, the curator said.",
        "The museum opened on 12 March 2016.",
    ],
)
def test_a_short_sentence_with_a_date_stays_a_paragraph(line: str) -> None:
    article = clean_article("Museum Opening\n\n" + line)
    assert len(article.spans) == 1
    assert article.meta.published_from != "dateline" or article.meta.published is None


def test_a_dateline_prefix_gives_date_and_outlet_and_is_cut_from_the_paragraph() -> None:
    text = "Mosul push resumes\n\nBAGHDAD, Feb. 19, 2017 (Example Wire) — " + BODY
    title, source, paragraphs = to_paragraphs(text, doc_id="d", path="d.txt", content_hash="h")
    assert source == "Example Wire"
    assert paragraphs[0].text.startswith("Iraqi forces retook")
    assert (paragraphs[0].published, paragraphs[0].published_from) == (date(2017, 2, 19), "dateline")
    assert all(p.published == date(2017, 2, 19) for p in paragraphs)


def test_an_undated_article_stays_undated() -> None:
    text = "Alwaght- Iraqi forces retook eastern Mosul in January 2017.\n\nThe push went on."
    _, _, paragraphs = to_paragraphs(text, doc_id="d", path="d.txt", content_hash="h")
    assert {p.published for p in paragraphs} == {None}
    assert {p.published_from for p in paragraphs} == {""}


def test_a_given_date_beats_one_in_the_text() -> None:
    known = ArticleMeta(title="Wire story", published=date(2024, 1, 2), published_from="record")
    article = clean_article("Date: 2017-02-19\n\n" + BODY, known=known)
    assert (article.meta.published, article.meta.published_from) == (date(2024, 1, 2), "record")


@pytest.mark.parametrize("ending", ["…", "...", " […]"])
def test_a_headline_cut_short_with_an_ellipsis_is_the_title(ending: str) -> None:
    headline = "Littler beats Humphries to reach the final after" + ending
    article = clean_article(f"{headline}\n\n{BODY}")
    assert article.title == headline
    assert len(article.spans) == 2


def test_a_known_title_repeated_as_the_first_line_is_dropped() -> None:
    known = ArticleMeta(title="Littler beats Humphries to reach the final after…")
    text = "Littler beats Humphries to reach the final after a late comeback\n\n" + BODY
    article = clean_article(text, known=known)
    assert article.title == known.title
    assert len(article.spans) == 2


def test_question_shaped_subheads_are_not_paragraphs() -> None:
    text = f"Darts final preview\n\n{BODY}\n\nWho will Littler face in the final?\n\nHumphries won his semi-final."
    article = clean_article(text)
    kept = [text[s:e] for s, e in article.spans]
    assert "Who will Littler face in the final?" not in kept
    assert kept[-1] == "Humphries won his semi-final."
    # A quoted question inside a paragraph is text, and stays.
    quoted = "Darts\n\n“Who will stop him?” the coach asked after the match.\n\nHe won again."
    assert len(clean_article(quoted).spans) == 2


def test_html_date_comes_from_the_page_metadata(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        '<html><head><title>Story</title><meta property="article:published_time" content="2023-08-18">'
        "</head><body><article><h1>Story</h1><p>Dario Quinn won the Baltic Chess Open with a draw in the final "
        "round, officials said.</p><p>It was his first title.</p></article></body></html>",
        encoding="utf-8",
    )
    doc = read_document(page, max_bytes=10**6)
    assert (doc.meta.published, doc.meta.published_from) == (date(2023, 8, 18), "html")


def test_html_without_a_date_stays_undated(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Story</title></head><body><article><p>Dario Quinn won the Baltic Chess Open with a "
        "draw in the final round, officials said.</p><p>It was his first title.</p></article></body></html>",
        encoding="utf-8",
    )
    assert read_document(page, max_bytes=10**6).meta.published is None
