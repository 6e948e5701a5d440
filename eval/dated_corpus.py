"""A dated test corpus the project writes itself, and what the date rule does on it.

Eight kinds of news event (a marathon, an award, an election…) each happen twice, three years apart, with a
different winner. The articles come as HTML (date in its metadata), Markdown (front matter), plain text (a
dateline) and JSON Lines records (a `published` field), so every way of reading a date is exercised. Questions ask
"this week" as of a day after one of the two events, and "in {year}": the right answer is the one of that period,
and the other article is a look-alike that must not be quoted.

    python -m eval.dated_corpus [--out reports/dated]

ingests the corpus into a temporary index and reports, with the date rule (`qa.timeframe`) and without it, how often
the top passage and the short answer come from the article of the period asked about.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eval.plots import DATED_METRICS, plot_dated

FORMATS = ("html", "md", "txt", "jsonl")
ARCHIVE = "wire.jsonl"  # every JSON Lines record goes into this one archive


@dataclass(frozen=True)
class Event:
    key: str
    headline: str
    sentence: str  # "{name}" is the winner
    question: str  # "{when}" is the time phrase
    names: tuple[str, str]  # the older and the newer winner
    days: tuple[date, date]  # their articles' dates
    outlet: str


EVENTS = (
    Event("marathon", "Northfield Marathon ends in a sprint finish",
          "{name} won the Northfield Marathon on Sunday, pulling clear in the last kilometre.",
          "Who won the Northfield Marathon {when}?", ("Amara Okafor", "Jonas Lindqvist"),
          (date(2021, 4, 18), date(2024, 4, 14)), "Northfield Courier"),
    Event("director", "Harbour Film Guild names its director of the year",
          "The Harbour Film Guild named {name} director of the year at its winter gala.",
          "Who did the Harbour Film Guild name director of the year {when}?", ("Mira Castellanos", "Tomasz Wren"),
          (date(2021, 1, 12), date(2024, 1, 9)), "Harbour Post"),
    Event("premier", "Veloria's parliament chooses a prime minister",
          "Parliament elected {name} as prime minister of Veloria after a late-night vote.",
          "Who was elected prime minister of Veloria {when}?", ("Elena Varga", "Piotr Anand"),
          (date(2019, 6, 3), date(2024, 3, 5)), "Veloria Today"),
    Event("chess", "Baltic Chess Open decided in the final round",
          "{name} won the Baltic Chess Open with a draw in the final round.",
          "Who won the Baltic Chess Open {when}?", ("Ilse Marten", "Dario Quinn"),
          (date(2020, 8, 21), date(2023, 8, 18)), "Board Weekly"),
    Event("mayor", "Port Alden swears in a new mayor",
          "{name} was sworn in as mayor of Port Alden at the town hall on Monday.",
          "Who was sworn in as mayor of Port Alden {when}?", ("Ruth Calloway", "Samir Haddad"),
          (date(2020, 11, 9), date(2024, 11, 11)), "Alden Gazette"),
    Event("book", "Meridian Book Prize goes to a debut novel",
          "The Meridian Book Prize went to {name} for a debut novel about a lighthouse keeper.",
          "Who won the Meridian Book Prize {when}?", ("Oskar Brandt", "Lena Sorensen"),
          (date(2019, 10, 2), date(2022, 10, 5)), "Meridian Review"),
    Event("cup", "Coastal Cup final goes to the wire",
          "{name} beat their rivals 2-1 to lift the Coastal Cup in front of a full stadium.",
          "Which team lifted the Coastal Cup {when}?", ("Bayside Rovers", "Kestrel Town"),
          (date(2021, 5, 30), date(2024, 5, 26)), "Coastal Sport"),
    Event("bridge", "Corvin bridge named after a local engineer",
          "The rebuilt Corvin River bridge was named after {name}, the engineer who designed it.",
          "Who was the Corvin River bridge named after {when}?", ("Hana Kovac", "Milos Petrov"),
          (date(2018, 7, 4), date(2023, 7, 6)), "Corvin Herald"),
)  # fmt: skip
# A headline cut short by the feed and a question-shaped sub-head: the title, and no paragraph to quote.
PREVIEW_ID = "marathon-preview-2024"
PREVIEW_TITLE = "Lindqvist and Okafor set for Northfield rematch after…"
PREVIEW_SUBHEAD = "Who will Lindqvist face in the final kilometres?"
PREVIEW = (
    f"{PREVIEW_TITLE}\n\nNORTHFIELD, April 10, 2024 (Northfield Courier) — Both runners confirmed their entries on "
    f"Wednesday.\n\n{PREVIEW_SUBHEAD}\n\nOrganisers expect a fast race if the wind stays low.\n"
)
FILLER = (
    "Officials said preparations had taken months and that attendance was higher than expected.",
    "Local businesses reported a busy weekend, and several roads were closed for the event.",
)


@dataclass(frozen=True)
class DatedQuestion:
    id: str
    question: str
    as_of: date
    answer: str  # the winner of the period asked about
    doc_id: str  # the article that reports it
    other_doc_id: str  # the look-alike from the other year
    outside: bool = False  # no article of the period exists: the answer must say when its source was reported


def doc_id(event: Event, which: int) -> str:
    """The document id of one of the event's two articles (a JSON Lines record's ids are `{archive}-{id}`)."""
    fmt = FORMATS[(EVENTS.index(event) + which) % len(FORMATS)]
    name = f"{event.key}-{event.days[which].year}"
    return f"{Path(ARCHIVE).stem}-{name}" if fmt == "jsonl" else name


def write_corpus(folder: Path) -> list[DatedQuestion]:
    """The articles under `folder` (one file each, and one JSON Lines archive), and the questions about them."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for event in EVENTS:
        for which in (0, 1):
            record = _article(event, which, folder)
            if record is not None:
                records.append(json.dumps(record))
    (folder / ARCHIVE).write_text("\n".join(records) + "\n", encoding="utf-8")
    (folder / f"{PREVIEW_ID}.txt").write_text(PREVIEW, encoding="utf-8")
    return questions()


def _article(event: Event, which: int, folder: Path) -> dict[str, Any] | None:
    """Writes one article file, or returns it as a JSON Lines record."""
    fmt = FORMATS[(EVENTS.index(event) + which) % len(FORMATS)]
    day, name = event.days[which], f"{event.key}-{event.days[which].year}"
    body = [event.sentence.format(name=event.names[which]), *FILLER]
    if fmt == "jsonl":
        return {"id": name, "title": event.headline, "text": "\n\n".join(body), "published": day.isoformat(),
                "source": event.outlet, "url": f"https://news.example/{name}"}  # fmt: skip
    if fmt == "html":
        paragraphs = "".join(f"<p>{p}</p>" for p in body)
        page = (
            f'<html><head><title>{event.headline}</title><meta property="article:published_time" '
            f'content="{day.isoformat()}"><meta property="og:site_name" content="{event.outlet}"></head>'
            f"<body><article><h1>{event.headline}</h1>{paragraphs}</article></body></html>"
        )
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
    elif fmt == "md":
        front = f"---\ntitle: {event.headline}\ndate: {day.isoformat()}\nsource: {event.outlet}\n---\n\n"
        (folder / f"{name}.md").write_text(front + "\n\n".join(body) + "\n", encoding="utf-8")
    else:
        dateline = f"PORTSMOUTH, {day.strftime('%B')} {day.day}, {day.year} ({event.outlet}) — "
        text = event.headline + "\n\n" + dateline + "\n\n".join(body) + "\n"
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return None


def questions() -> list[DatedQuestion]:
    """Per event: "this week" as of two days after each article, "in {year}" for each, and "this week" a year
    after the newer one (no article of that week: the answer must say when it was reported)."""
    out = []
    for event in EVENTS:
        ids = (doc_id(event, 0), doc_id(event, 1))
        for which in (0, 1):
            other = ids[1 - which]
            day = event.days[which]
            week = event.question.format(when="this week")
            year = event.question.format(when=f"in {day.year}")
            later = event.days[1] + timedelta(days=2)
            out.append(DatedQuestion(f"{event.key}-week-{which}", week, day + timedelta(days=2),
                                     event.names[which], ids[which], other))  # fmt: skip
            out.append(DatedQuestion(f"{event.key}-year-{which}", year, later, event.names[which], ids[which], other))
        a_year_on = event.days[1] + timedelta(days=365)
        week = event.question.format(when="this week")
        out.append(DatedQuestion(f"{event.key}-later", week, a_year_on, event.names[1], ids[1], ids[0], outside=True))
    return out


def measure(assistant: Any, items: list[DatedQuestion]) -> dict[str, Any]:
    """Top passage from the article of the period, short answer naming its winner, look-alike quoted, and (for
    questions with no article of the period) a dated notice, over `items`."""
    rows = []
    for item in items:
        answer = assistant.ask(item.question, as_of=item.as_of)
        cited = [c.doc_id for c in answer.citations]
        rows.append({
            "id": item.id,
            "top_passage": bool(answer.passages) and answer.passages[0].paragraph.doc_id == item.doc_id,
            "answer": bool(answer.short_answer) and item.answer.lower() in (answer.short_answer or "").lower(),
            "look_alike_cited": item.other_doc_id in cited,
            "dated": any(part.kind == "dated" for part in answer.parts),
            "outside": item.outside,
        })  # fmt: skip

    def share(key: str, outside: bool) -> float:
        chosen = [r for r in rows if r["outside"] == outside]
        return sum(bool(r[key]) for r in chosen) / max(len(chosen), 1)

    return {
        "questions": len(rows),
        "top_passage": share("top_passage", False),
        "answer": share("answer", False),
        "look_alike_cited": share("look_alike_cited", False),
        "outside_dated": share("dated", True),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.dated_corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports/dated"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        results = run(Path(tmp))
    write_report(results, args.out)
    for name, result in results.items():
        print(f"{name}: " + ", ".join(f"{label} {result[key]:.2f}" for key, label in DATED_METRICS))
    print(f"report: {args.out / 'dated.md'}")
    return 0


def run(folder: Path) -> dict[str, dict[str, Any]]:
    """Writes the corpus under `folder`, ingests it into an index there, and measures with and without the rule."""
    from index.ingest import ingest
    from index.settings import Settings
    from qa.assistant import Assistant
    from qa.index_handle import IndexHandle
    from qa.retriever import Retriever

    items = write_corpus(folder / "articles")
    results = {}
    for name, prefer in (("date rule", True), ("no date rule", False)):
        settings = Settings(index_dir=folder / "index", date_preference=prefer)
        if name == "date rule":
            ingest([folder / "articles"], settings, progress=False)
        retriever = Retriever(settings, IndexHandle(settings))
        results[name] = measure(Assistant(settings, retriever), items)
    return results


def write_report(results: dict[str, dict[str, Any]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "dated.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    plot_dated(results, out / "dated.png")
    header = "| run | " + " | ".join(label for _, label in DATED_METRICS) + " |"
    lines = [f"# Dated corpus ({date.today().isoformat()}, `python -m eval.dated_corpus`)", "", header,
             "|" + "---|" * (len(DATED_METRICS) + 1)]  # fmt: skip
    lines += [f"| {n} | " + " | ".join(f"{r[k]:.2f}" for k, _ in DATED_METRICS) + " |" for n, r in results.items()]
    lines += ["", "![dated corpus](dated.png)", ""]
    (out / "dated.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
