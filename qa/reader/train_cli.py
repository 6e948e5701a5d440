"""`cited train-reader`: the project's own training command for the reader (see qa/reader/train.py).

    cited train-reader ../shared/benchmarks/squad-v1.1-train.json --out .cache/reader-run

Resumes from `<out>/checkpoint.pt` when one is there. The finished weights land in `<out>/model`; copy that folder to
`qa/reader/weights/` to ship them (`--install` does it).
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import fields
from pathlib import Path

from qa.reader.train import TrainConfig, train

DEFAULTS = {f.name: f.default for f in fields(TrainConfig)}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cited train-reader", description="Fine-tune the reader on SQuAD v1.1 train.")
    p.add_argument("train_file", type=Path, help="e.g. ../shared/benchmarks/squad-v1.1-train.json")
    p.add_argument("--out", type=Path, default=Path(".cache/reader-run"), help="checkpoints, log and the model")
    p.add_argument("--base-model", type=Path, help="encoder folder (default: the packaged all-MiniLM-L6-v2)")
    for name in ("positives", "batch_size", "max_length", "stride", "seed", "checkpoint_every", "max_steps", "threads"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=DEFAULTS[name])
    for name in ("negative_ratio", "epochs", "learning_rate", "warmup_fraction", "weight_decay"):
        p.add_argument(f"--{name.replace('_', '-')}", type=float, default=DEFAULTS[name])
    p.add_argument(
        "--calibration-file",
        type=Path,
        help="SQuAD v2.0 file: its calibration articles (the first half) join the training data as in-paragraph "
        "unanswerables; `cited eval --given-paragraph` then reports on the other half only",
    )
    p.add_argument("--bf16", choices=["auto", "on", "off"], default="auto", help="bf16 autocast (auto: if supported)")
    p.add_argument("--install", action="store_true", help="copy the trained model into qa/reader/weights/")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    from index.embedder import default_model_path
    from qa.reader.model import WEIGHTS_DIR

    args = build_parser().parse_args(argv)
    if not args.train_file.is_file():
        raise ValueError(f"training file {args.train_file} does not exist (SQuAD v1.1 train JSON expected)")
    numeric = {
        k: getattr(args, k)
        for k in DEFAULTS
        if k not in ("train_file", "out_dir", "base_model", "bf16", "extra", "calibration_file")
    }
    cfg = TrainConfig(
        train_file=args.train_file,
        out_dir=args.out,
        base_model=args.base_model or default_model_path(),
        calibration_file=args.calibration_file,
        bf16={"auto": None, "on": True, "off": False}[args.bf16],
        **numeric,
    )
    summary = train(cfg, progress=not args.quiet)
    print(json.dumps(summary, indent=2))
    if args.install:
        shutil.copytree(args.out / "model", WEIGHTS_DIR, dirs_exist_ok=True)
        print(f"installed the model in {WEIGHTS_DIR}")
    return 0
