"""`cited eval`: run a question set (or SQuAD) through the assistant and write a report.

Heavy modules (qa, matplotlib, torch behind them) are imported inside functions, so `cited eval --help` and a
bad dataset are answered in a blink.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.datasets import DEFAULT_DATASET, DatasetError, EvalRecord, load_dataset, read_corpus, spread_sample
from index.cli_options import EXIT_USER_ERROR, add_index_options
from qa.reader.training_data import CALIBRATION_FRACTION

if TYPE_CHECKING:
    from eval.protocols import AnswererLike
    from index.settings import Settings

BASELINE = "first-sentence"
EXIT_FAILED = 1  # the evaluation itself failed (EXIT_USER_ERROR: the input was refused)


@dataclass
class Job:
    """One dataset to evaluate, with the index it is to be evaluated against."""

    name: str
    records: list[EvalRecord]
    settings: Settings
    dataset: dict[str, Any]
    corpus: dict[str, Any] | None = None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cited eval",
        description="Evaluate retrieval, answers, citations and refusals on a question set or on SQuAD v1.1.",
    )
    _add_inputs(parser)
    _add_run_options(parser)
    add_index_options(parser)
    return parser


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    """What is evaluated: question sets, SQuAD files, and which answerer answers them."""
    from typing import get_args

    from index.settings import AnswererName

    parser.add_argument(
        "--dataset",
        type=Path,
        nargs="+",
        action="extend",
        metavar="FILE",
        help=f"JSON Lines question set(s); default: the bundled {DEFAULT_DATASET.name}",
    )
    parser.add_argument(
        "--squad",
        type=Path,
        metavar="FILE",
        help="a SQuAD v1.1 JSON file; its contexts are indexed once into --cache",
    )
    parser.add_argument(
        "--counterfactual",
        type=Path,
        metavar="FILE",
        help="a SQuAD JSON file: ask questions whose paragraph has a twin with the answer swapped (conflict test)",
    )
    parser.add_argument(
        "--answerer",
        choices=[*get_args(AnswererName), BASELINE],
        help="default: the configured answerer (CITED_ANSWERER)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """How the run goes: passages per question, sampling, comparisons, caches, reports."""
    parser.add_argument("--k", type=_positive_int, metavar="N", help="passages given to the answerer (default: top_k)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="default: reports/eval-<dataset name>")
    parser.add_argument(
        "--limit", type=_positive_int, metavar="N", help="evaluate N questions spread evenly over the set"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also compare dense/keyword/fused retrieval and extractive/first-sentence answering",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(".cache"),
        metavar="DIR",
        help="where SQuAD corpora and their indexes are kept (default: .cache)",
    )
    parser.add_argument(
        "--given-paragraph",
        action="store_true",
        help="with --squad: the reader alone on each question's own paragraph (official SQuAD EM/F1)",
    )
    parser.add_argument(
        "--calibration-fraction",
        type=float,
        default=CALIBRATION_FRACTION,
        help="with --given-paragraph on SQuAD v2.0: share of articles the no-answer threshold is fitted on",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def dataset_job(path: Path, settings: Settings, limit: int | None) -> Job:
    """A JSON Lines set, its evidence checked against the paragraphs of the index it is evaluated on (the article
    files of CITED_ARTICLES_DIR when there is no index yet)."""
    corpus, name = _evidence_corpus(settings)
    if corpus is None:
        print(f"warning: {name}; evidence strings are not checked", file=sys.stderr)
    records = load_dataset(path, corpus=corpus, corpus_name=name)
    info = {"path": str(path), "name": path.stem, "kind": "jsonl", "total": len(records), "limit": limit}
    return Job(path.stem, spread_sample(records, limit), settings, info)


def _evidence_corpus(settings: Settings) -> tuple[list[str] | None, str]:
    """The texts evidence must occur in, and a name for them."""
    from index.opening import open_index

    try:
        paragraphs = open_index(settings).snapshot.paragraphs
    except Exception:  # no index yet, or it cannot be opened: the run itself will say so
        paragraphs = []
    if paragraphs:
        where = settings.chroma_url or settings.index_dir
        return [p.text for p in paragraphs], f"the index at {where}: {len(paragraphs)} paragraphs"
    if settings.articles_dir.exists():
        return read_corpus([settings.articles_dir]), f"the article files in {settings.articles_dir}"
    return None, f"no index and no {settings.articles_dir}"


def squad_job(path: Path, settings: Settings, limit: int | None, cache: Path, progress: bool) -> Job:
    from eval.squad_index import prepare

    started = time.perf_counter()
    bench = prepare(path, settings, cache_root=cache, progress=progress)
    corpus = {**bench.corpus, "prepare_s": round(time.perf_counter() - started, 3), "folder": str(bench.root)}
    info = {
        "path": str(path),
        "name": path.stem,
        "kind": "squad",
        "total": len(bench.records),
        "limit": limit,
    }
    return Job(path.stem, spread_sample(bench.records, limit), bench.settings, info, corpus)


def make_answerer(name: str, settings: Settings, retriever: Any, k: int) -> AnswererLike:
    if name == BASELINE:
        from eval.baselines import FirstSentenceAnswerer

        return FirstSentenceAnswerer(retriever, k=k)
    from qa import Assistant

    return Assistant.from_defaults(settings, answerer=name, retriever=retriever)


def corpus_stats(retriever: Any, settings: Settings) -> dict[str, Any]:
    """Documents and paragraphs in the index (loaded snapshot, else pointer), else counted from the files."""
    snapshot = getattr(retriever, "snapshot", None)
    if snapshot is not None and hasattr(snapshot, "paragraphs"):
        docs = {p.doc_id for p in snapshot.paragraphs}
        return {"documents": len(docs), "paragraphs": len(snapshot.paragraphs), "source": "index"}
    try:
        from index.status import index_status

        status = index_status(settings)
        if status.get("paragraphs"):
            return {
                "documents": status.get("documents"),
                "paragraphs": status["paragraphs"],
                "source": "index",
            }
    except Exception:  # a count is nice to have, never worth failing a finished run for
        pass
    texts = read_corpus([settings.articles_dir]) if settings.articles_dir.exists() else []
    return {"documents": len(texts), "paragraphs": None, "source": str(settings.articles_dir)}


def evaluate(job: Job, answerer: str, k: int, compare: bool, progress: bool) -> dict[str, Any]:
    from eval.compare import run_comparison
    from eval.report import build_report
    from eval.runner import run_questions
    from qa import Retriever

    started = time.perf_counter()
    retriever = Retriever.from_defaults(job.settings, mode="fused")
    scores = run_questions(
        job.records,
        make_answerer(answerer, job.settings, retriever, k),
        retriever,
        k=k,
        progress=progress,
        desc=job.name,
        warm_up=True,
    )
    comparison = None
    if compare:
        comparison = run_comparison(
            job.records,
            scores,
            answerer,
            k,
            make_retriever=lambda mode: Retriever.from_defaults(job.settings, mode=mode),
            make_assistant=lambda name, r: make_answerer(name, job.settings, r, k),
            progress=progress,
            dataset_file="" if job.dataset.get("limit") else str(job.dataset.get("path", "")),  # recorded: full sets
        )
    return build_report(
        scores=scores,
        dataset=job.dataset,
        answerer=answerer,
        k=k,
        settings=job.settings,
        corpus=job.corpus or corpus_stats(retriever, job.settings),
        wall_clock_s=time.perf_counter() - started,
        compare=comparison,
    )


def output_dir(job: Job, out: Path | None, several: bool) -> Path:
    """--out DIR for one dataset, DIR/<name> for several; reports/eval-<name> without --out."""
    if out is None:
        return Path("reports") / f"eval-{job.name}"
    return out / job.name if several else out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from index.readers import InputError
    from index.settings import Settings

    overrides = {"index_dir": args.index_dir, "chroma_url": args.chroma_url}
    settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    answerer = args.answerer or settings.answerer
    k = args.k or settings.top_k
    progress = not args.no_progress
    failures = (RuntimeError, OSError, ValueError, InputError)
    if args.given_paragraph:
        return _given_paragraph(args, settings, progress)
    if args.counterfactual:
        return _counterfactual(args, settings, k, progress)
    try:
        paths = args.dataset or ([] if args.squad else [DEFAULT_DATASET])
        jobs = [dataset_job(path, settings, args.limit) for path in paths]
        if args.squad:
            jobs.append(squad_job(args.squad, settings, args.limit, args.cache, progress))
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except failures as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    names = [job.name for job in jobs]
    if len(set(names)) < len(names):
        parser.error(f"two datasets share the name in {names}; their reports would overwrite each other")

    from eval.console import print_summary
    from eval.report import write_report

    for job in jobs:
        out = output_dir(job, args.out, several=len(jobs) > 1)
        try:
            report = evaluate(job, answerer, k, args.compare, progress)
        except failures as err:
            print(f"error: {job.name}: {err}", file=sys.stderr)
            return EXIT_FAILED
        write_report(report, out)
        print_summary(report, str(out))
    return 0


def _given_paragraph(args: argparse.Namespace, settings: Settings, progress: bool) -> int:
    from eval.reader_eval import evaluate_given, print_given, write_given_report
    from qa.reader.model import Reader, ReaderModelError

    if not args.squad:
        print("error: --given-paragraph needs --squad FILE", file=sys.stderr)
        return EXIT_USER_ERROR
    try:
        reader = Reader.from_defaults(settings)
        report = evaluate_given(args.squad, reader, args.calibration_fraction, args.limit, progress)
    except (DatasetError, ReaderModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    out = args.out or Path("reports") / f"reader-{args.squad.stem}"
    write_given_report(report, out)
    print_given(report)
    print(f"report: {out}")
    return 0


def _counterfactual(args: argparse.Namespace, settings: Settings, k: int, progress: bool) -> int:
    from eval.counterfactual import SAMPLE_SIZE, run, write_counterfactual_report

    try:
        report = run(args.counterfactual, settings, args.cache, args.limit or SAMPLE_SIZE, k, progress)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    out = args.out or Path("reports") / f"counterfactual-{args.counterfactual.stem}"
    write_counterfactual_report(report, out)
    print(json.dumps(report["summary"], indent=1))
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
