"""`cited train-reader`: fine-tune a span-extraction head (start/end logits, no-answer at [CLS]) on SQuAD.

The encoder is the packaged all-MiniLM-L6-v2 (the only transformer a registry package ships here), loaded with
transformers' `AutoModelForQuestionAnswering`. A plain loop rather than the `Trainer` keeps the dependencies as they
are (no accelerate) and makes checkpoint/resume explicit: every `checkpoint_every` steps the model, optimizer,
schedule and step go to `<out>/checkpoint.pt`; the same command resumes from there. Batches are grouped by length
(dynamic padding), which roughly halves the CPU time of padded batches. Everything is seeded.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from index.embedder import cpu_has_bf16
from qa.reader.training_data import Example, load_calibration_examples, load_examples
from qa.reader.windows import Window, WindowEncoder, answer_tokens, pad_batch


@dataclass
class TrainConfig:
    train_file: Path
    out_dir: Path
    base_model: Path
    positives: int = 24000
    negative_ratio: float = 0.33
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 256
    stride: int = 96
    seed: int = 13
    checkpoint_every: int = 100
    max_steps: int = 0  # 0 = as many as the epochs make
    threads: int = 0  # 0 = torch's default
    bf16: bool | None = None  # None = where the hardware has it (CUDA, or a CPU with AVX512-BF16/AMX): ~2.2x faster
    extra: dict[str, Any] = field(default_factory=dict)
    # a SQuAD v2.0 file whose calibration articles join the training data (in-paragraph unanswerables)
    calibration_file: Path | None = None


def _training_examples(cfg: TrainConfig) -> list[Example]:
    examples = load_examples(cfg.train_file, cfg.positives, cfg.negative_ratio, cfg.seed)
    if cfg.calibration_file is not None:
        examples += load_calibration_examples(cfg.calibration_file)
        random.Random(cfg.seed).shuffle(examples)
    return examples


def _labelled_windows(examples: list[Example], cfg: TrainConfig) -> list[tuple[Window, int, int]]:
    encode = WindowEncoder(cfg.base_model / "tokenizer.json", cfg.max_length, cfg.stride)
    windows = encode([e.question for e in examples], [e.context for e in examples])
    labelled = []
    for w in windows:
        e = examples[w.sample]
        if e.answerable:
            labelled.append((w, *answer_tokens(w, e.answer_start, e.answer_start + len(e.answer_text))))
        else:
            labelled.append((w, 0, 0))
    return labelled


def _batches(labelled: list[tuple[Window, int, int]], cfg: TrainConfig, rng: random.Random) -> list[list[int]]:
    """Index batches grouped by length: shuffle, sort within pools of 50 batches, shuffle the batches."""
    order = list(range(len(labelled)))
    rng.shuffle(order)
    pool = cfg.batch_size * 50
    batches = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: len(labelled[j][0].input_ids))
        batches += [chunk[k : k + cfg.batch_size] for k in range(0, len(chunk), cfg.batch_size)]
    rng.shuffle(batches)
    return batches


def _schedule(total: int, warmup: int) -> Any:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def _device_and_bf16(cfg: TrainConfig) -> tuple[str, bool]:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if cfg.bf16 is not None:
        return device, cfg.bf16
    if device == "cuda":
        return device, torch.cuda.is_bf16_supported()
    return device, cpu_has_bf16()


@dataclass
class _Run:
    """One training run's moving parts: what a checkpoint saves and restores (model, optimizer, schedule, the step
    reached and the losses so far), where it runs, and the checkpoint file."""

    model: Any
    optimizer: Any
    scheduler: Any
    device: str
    bf16: bool
    checkpoint: Path
    step: int = 0
    losses: list[float] = field(default_factory=list)


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Train (or resume), then export the final weights to `cfg.out_dir`; returns a summary for the model card."""
    import torch

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    tokenizer, model = _load_base_model(cfg)  # after seeding: the new span head is initialised at random
    device, bf16 = _device_and_bf16(cfg)
    model.to(device)
    examples = _training_examples(cfg)
    labelled = _labelled_windows(examples, cfg)
    batches = _epoch_batches(labelled, cfg)
    total = int(len(batches) * cfg.epochs / math.ceil(cfg.epochs))
    total = min(total, cfg.max_steps) if cfg.max_steps else total
    optimizer, scheduler = _optimizer_and_schedule(model, cfg, total)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(model, optimizer, scheduler, device, bf16, cfg.out_dir / "checkpoint.pt")
    _resume(run)
    with (cfg.out_dir / "train-log.jsonl").open("a", encoding="utf-8") as log:
        model.train()
        started = time.monotonic()
        _run_steps(run, labelled, batches, total, tokenizer.pad_token_id, cfg, log, progress)
    summary = _summary(cfg, run, examples, len(labelled), total, started)
    export(model.to("cpu"), tokenizer, cfg.out_dir / "model", summary)
    return summary


def _load_base_model(cfg: TrainConfig) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(cfg.base_model), local_files_only=True)
    # fp32 master weights even when the base is the shipped fp16 reader (continued training)
    model = AutoModelForQuestionAnswering.from_pretrained(
        str(cfg.base_model), local_files_only=True, dtype=torch.float32
    )
    return tokenizer, model


def _epoch_batches(labelled: list[tuple[Window, int, int]], cfg: TrainConfig) -> list[list[int]]:
    """The batches of every (started) epoch in training order, from one seeded generator: the same on every run, so
    a resumed run continues with the batches the interrupted one would have seen."""
    rng = random.Random(cfg.seed)
    batches: list[list[int]] = []
    for _ in range(math.ceil(cfg.epochs)):
        batches += _batches(labelled, cfg, rng)
    return batches


def _optimizer_and_schedule(model: Any, cfg: TrainConfig, total: int) -> tuple[Any, Any]:
    """AdamW without weight decay on biases and LayerNorm, and linear warmup then linear decay over `total` steps."""
    import torch

    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(total, int(total * cfg.warmup_fraction)))
    return optimizer, scheduler


def _resume(run: _Run) -> None:
    """Pick up where the last run stopped when there is a checkpoint: weights, optimizer, schedule, step, losses
    and torch's random state."""
    import torch

    if not run.checkpoint.exists():
        return
    state = torch.load(run.checkpoint, weights_only=False, map_location=run.device)
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    run.step, run.losses = state["step"], state["losses"]
    torch.set_rng_state(state["torch_rng"].cpu())


def _save_checkpoint(run: _Run) -> None:
    import torch

    torch.save(
        {
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(),
            "step": run.step,
            "losses": run.losses,
            "torch_rng": torch.get_rng_state(),
        },
        run.checkpoint,
    )


def _run_steps(
    run: _Run,
    labelled: list[tuple[Window, int, int]],
    batches: list[list[int]],
    total: int,
    pad_id: int,
    cfg: TrainConfig,
    log: TextIO,
    progress: bool,
) -> None:
    """Train from `run.step` to `total`: a log line every 10 steps, a checkpoint every `cfg.checkpoint_every` steps
    and at the end."""
    from tqdm import tqdm

    bar = tqdm(total=total, initial=run.step, desc="training reader", unit="step", disable=not progress)
    while run.step < total:
        loss = _optimizer_step(run, [labelled[j] for j in batches[run.step]], pad_id)
        run.step += 1
        run.losses.append(loss)
        bar.update(1)
        bar.set_postfix(loss=f"{sum(run.losses[-50:]) / len(run.losses[-50:]):.3f}")
        if run.step % 10 == 0:
            loss_10 = sum(run.losses[-10:]) / 10
            log.write(json.dumps({"step": run.step, "loss": loss_10, "lr": run.scheduler.get_last_lr()[0]}) + "\n")
            log.flush()
        if run.step % cfg.checkpoint_every == 0 or run.step == total:
            _save_checkpoint(run)
    bar.close()


def _optimizer_step(run: _Run, batch: list[tuple[Window, int, int]], pad_id: int) -> float:
    """One forward/backward pass on `batch` (bf16 autocast where enabled) and one optimizer step; returns the loss."""
    import torch

    inputs = {k: torch.from_numpy(v).to(run.device) for k, v in pad_batch([w for w, _, _ in batch], pad_id).items()}
    with torch.autocast(run.device, dtype=torch.bfloat16, enabled=run.bf16):
        out = run.model(
            **inputs,
            start_positions=torch.tensor([s for _, s, _ in batch], device=run.device),
            end_positions=torch.tensor([e for _, _, e in batch], device=run.device),
        )
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad()
    return float(out.loss.detach())


def _summary(
    cfg: TrainConfig, run: _Run, examples: list[Example], windows: int, total: int, started: float
) -> dict[str, Any]:
    """What the model card records about the run (written to `training.json` beside the weights)."""
    losses = run.losses
    span = max(1, min(50, len(losses) // 4))  # mean loss over the first and the last quarter (at most 50 steps)
    return {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "examples": len(examples),
        "answerable_examples": sum(e.answerable for e in examples),
        "calibration_examples": 0
        if cfg.calibration_file is None
        else len(load_calibration_examples(cfg.calibration_file)),
        "windows": windows,
        "steps": total,
        "first_loss": sum(losses[:span]) / span,
        "last_loss": sum(losses[-span:]) / span,
        "seconds_this_run": round(time.monotonic() - started, 1),
        "device": run.device,
        "bf16_autocast": run.bf16,
    }


def export(model: Any, tokenizer: Any, folder: Path, summary: dict[str, Any]) -> None:
    """fp16 safetensors + tokenizer + the training summary: what ships in `qa/reader/weights/`."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(str(folder), safe_serialization=True)
    model.to(torch.float32)
    tokenizer.save_pretrained(str(folder))
    (folder / "training.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
