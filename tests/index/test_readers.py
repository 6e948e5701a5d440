"""Files on disk to decoded text, and the refusals: every one an InputError that names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import to_paragraphs
from index.readers import InputError, decode, discover, read_document
from index.settings import Settings

pytestmark = pytest.mark.unit

MB = 1_000_000
ARTICLE = "A Title Line\nMosul- Iraqi forces retook eastern Mosul in January. They pushed on.\n"

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Iraqi Forces Advance on Old City | Example News</title>
<meta property="og:site_name" content="Example News">
</head>
<body>
<header>
<a href="#main">Skip to main content</a>
<nav><ul>
<li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/subscribe">Subscribe to our newsletter</a></li>
</ul></nav>
</header>
<main id="main">
<article>
<h1>Iraqi Forces Advance on Old City</h1>
<p class="byline">By Jane Reporter</p>
<p>Iraqi government forces advanced on the Old City of Mosul on Sunday, pushing Islamic State fighters into a
shrinking pocket of narrow streets along the western bank of the Tigris river.</p>
<p>Commanders said the Counter-Terrorism Service had retaken two districts overnight and that engineers were
clearing roadside bombs left behind by the retreating militants.</p>
<p>The United Nations estimates that several hundred thousand civilians remain trapped in the area, many
of them without reliable access to food, clean water or medicine.</p>
<p>A U.S.-led coalition is providing air support for the offensive, which began in October and has taken
longer than military planners had expected.</p>
</article>
<section class="comments" id="comments">
<h3>Leave a Reply</h3>
<form action="/comment" method="post">
<p>Your email address will not be published. Required fields are marked *</p>
<label for="c">Comment</label><textarea id="c" name="comment"></textarea>
<label for="n">Name *</label><input id="n" name="author">
<label for="e">Email *</label><input id="e" name="email">
<p><input type="checkbox"> Save my name, email, and website in this browser for the next time I comment.</p>
<input type="submit" value="Post Comment">
</form>
</section>
</main>
<footer>
<p>Copyright 2017 Example News. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/contact">Contact us</a></li></ul>
</footer>
</body>
</html>
"""


def read(path: Path, max_mb: float = 20.0):  # noqa: ANN201 - a RawDocument
    return read_document(path, max_bytes=int(max_mb * MB))


# --- good input -----------------------------------------------------------------------------------


def test_utf8_text_is_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE + "“Quotes” and Iraq’s apostrophes.\n", encoding="utf-8")
    doc = read(path)
    assert doc.text == path.read_bytes().decode("utf-8")
    assert doc.doc_id == "article" and doc.notes == [] and not doc.is_html
    assert len(doc.content_hash) == 64


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode())
    assert read(path).text == ARTICLE


def test_cp1252_bytes_are_decoded_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"Caf\xe9 Society Reopens\nThe caf\xe9 on the corner reopened \x93today\x94.\n")
    doc = read(path)
    assert "café on the corner reopened “today”." in doc.text
    assert len(doc.notes) == 1
    note = doc.notes[0]
    assert "legacy.txt" in note and "not valid UTF-8" in note and "cp1252" in note


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    text, notes = decode(b"abc \x81 def", tmp_path / "odd.txt")
    assert text == "abc \x81 def"
    assert "latin-1" in notes[0] and "odd.txt" in notes[0]


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text("# Heading\n\nBody text of the story.\n", encoding="utf-8")
    doc = read(path)
    assert doc.text.startswith("# Heading") and not doc.is_html


def test_html_page_keeps_the_article_and_drops_the_page_furniture(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    doc = read(path)
    assert doc.is_html
    assert doc.meta.title == "Iraqi Forces Advance on Old City"
    assert doc.meta.source == "Example News"
    assert any("page.html" in n and "extracted main text" in n for n in doc.notes)
    for kept in [
        "Iraqi government forces advanced on the Old City",
        "Counter-Terrorism Service",
        "several hundred thousand civilians",
        "A U.S.-led coalition is providing air support",
    ]:
        assert kept in doc.text
    for junk in [
        "Skip to main content",
        "Home",
        "Politics",
        "Subscribe",
        "Leave a Reply",
        "Your email address",
        "Save my name",
        "Post Comment",
        "Copyright 2017",
        "Privacy policy",
        "Contact us",
        "<p>",
    ]:
        assert junk not in doc.text, junk

    title, source, paragraphs = to_paragraphs(
        doc.text,
        doc_id=doc.doc_id,
        path=str(path),
        content_hash=doc.content_hash,
        fallback_title=doc.meta.title,
        fallback_source=doc.meta.source,
    )
    assert title == "Iraqi Forces Advance on Old City"
    assert source == "Example News"
    assert len(paragraphs) == 4
    assert paragraphs[0].text.startswith("Iraqi government forces advanced")
    assert paragraphs[3].text.endswith("than military planners had expected.")
    for p in paragraphs:  # offsets refer to the extracted text
        assert doc.text[p.start : p.end] == p.text


def test_html_without_article_text_is_refused(tmp_path: Path) -> None:
    # A page whose text is rendered by JavaScript: nothing to extract.
    path = tmp_path / "empty-page.htm"
    path.write_text(
        '<html><head><title>App</title><script>render();</script></head><body><div id="app"></div></body></html>'
    )
    with pytest.raises(InputError, match=r"empty-page\.htm: found no article text"):
        read(path)


# --- refusals -------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "missing.txt"
    with pytest.raises(InputError, match="missing.txt") as err:
        discover([missing])
    assert "no such file or folder" in str(err.value)
    with pytest.raises(InputError, match="missing.txt"):
        read(missing)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.txt: the file is empty"):
        read(path)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_bytes(b" \n\r\n\t \n")
    with pytest.raises(InputError, match=r"blank\.md: the file is empty"):
        read(path)


def test_punctuation_only_file(tmp_path: Path) -> None:
    path = tmp_path / "dashes.txt"
    path.write_text("---\n***\n")
    with pytest.raises(InputError, match=r"dashes\.txt: no readable text"):
        read(path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"photo\.txt: looks like a binary file") as err:
        read(path)
    assert "NUL" in str(err.value)


def test_file_over_the_configured_limit(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", max_file_mb=0.01)
    path = tmp_path / "long.txt"
    path.write_text(ARTICLE * 200)  # ~16 kB
    with pytest.raises(InputError, match=r"long\.txt: .*over the .*limit") as err:
        read_document(path, max_bytes=int(settings.max_file_mb * MB))
    assert "CITED_MAX_FILE_MB" in str(err.value)
    assert read_document(path, max_bytes=int(1 * MB)).text  # under a larger limit it is fine


def test_a_real_50_mb_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge-dump.txt"
    line = b"Iraqi forces retook eastern Mosul in January and began a new push on Saturday.\n"
    with path.open("wb") as fh:
        for _ in range(50 * MB // len(line) + 1):
            fh.write(line)
    assert path.stat().st_size >= 50 * MB
    default_limit = Settings(index_dir=tmp_path / "index").max_file_mb
    assert default_limit < 50

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} was read; the size must be checked before reading")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(InputError) as err:
        read_document(path, max_bytes=int(default_limit * MB))
    message = str(err.value)
    assert "huge-dump.txt" in message and "50.0 MB" in message and "limit" in message


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 ...")
    with pytest.raises(InputError, match=r"report\.pdf: unsupported file type '\.pdf'") as err:
        discover([path])
    assert ".txt" in str(err.value) and ".html" in str(err.value)
    no_suffix = tmp_path / "README"
    no_suffix.write_text("text")
    with pytest.raises(InputError, match=r"README: unsupported file type '\(none\)'"):
        discover([no_suffix])


def test_folder_without_supported_files(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF")
    (folder / "notes.docx").write_bytes(b"PK")
    (folder / ".hidden.txt").write_text("hidden text")  # hidden files do not count
    hidden_dir = folder / ".git"
    hidden_dir.mkdir()
    (hidden_dir / "COMMIT_EDITMSG.txt").write_text("a commit message")
    with pytest.raises(InputError, match=r"downloads: the folder holds no supported files"):
        discover([folder])


# --- discovery ------------------------------------------------------------------------------------


def test_discover_recurses_sorts_and_deduplicates(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    for name in ["b.txt", "a.md", "sub/c.html", "sub/d.HTM", "skip.pdf", ".draft.txt"]:
        (folder / name).write_text("x")
    found = discover([folder, folder / "a.md", folder / "sub"])
    assert found == [(folder / n).resolve() for n in ["a.md", "b.txt", "sub/c.html", "sub/d.HTM"]]


def test_binary_file_without_nul_bytes_is_refused(tmp_path: Path) -> None:
    """Random bytes with every 0x00 removed decode as latin-1; their control characters give them away."""
    import random

    noise = bytes(b for b in random.Random(7).randbytes(20_000) if b != 0)
    path = tmp_path / "noise.txt"
    path.write_bytes(noise)
    with pytest.raises(InputError, match=r"noise\.txt: looks like a binary file \(\d+% of its first characters"):
        read(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_text_with_a_byte_order_mark_is_decoded_by_it(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "wide.txt"
    data = ARTICLE.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # the -be codec writes no mark of its own
    path.write_bytes(data)
    doc = read(path)
    assert doc.text == ARTICLE
    assert any("byte-order mark" in note for note in doc.notes), doc.notes


def test_a_few_control_characters_do_not_make_an_article_binary(tmp_path: Path) -> None:
    path = tmp_path / "escape.txt"
    path.write_text(ARTICLE + "\x1b[2J one stray escape sequence.\n", encoding="utf-8")
    assert "\x1b[2J" in read(path).text
