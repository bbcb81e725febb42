"""The training loop behind ``dkd-edge train``: any ``Stage`` (``dkd_edge.train.stages``), its
learning-rate schedule, logging and checkpoints.

``device`` picks where the ``init`` and ``dkd`` stages train: ``auto`` (a CUDA GPU when torch
sees one), ``cpu`` or ``cuda``. Rendering stays on the CPU in ``workers`` processes, so on a
GPU raise ``--workers`` until the GPU is busy. ``qat`` always runs on the CPU.

``max_minutes`` fits the schedule to a time box (a lent GPU): the learning rate follows
whichever of step progress and elapsed-time progress is further along, and the run ends
with ``final.pt`` when either completes, so the cosine schedule ends inside the box.
``max_echo`` turns on data echoing (``dkd_edge.train.echo``): while the renderer has no fresh
batch ready, the last one is trained on again, time-reversed on odd repeats.
``stop_at`` ends a run part-way through its ``steps``-long schedule, at that step, with
``last.pt`` written and no ``final.pt``; the same command without it resumes the schedule.

Each stage writes ``OUT/<config>/<stage>/last.pt`` every ``save_every`` steps (a restarted
run resumes from it), ``metrics.jsonl`` (``mse``, and with the peak term on the total as
``loss``) and ``final.pt`` when done. Multi-process runs go through ``torchrun`` (DDP: gloo
on CPU, NCCL with one GPU per process on CUDA).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from dkd_edge.device import resolve_device
from dkd_edge.errors import DkdError
from dkd_edge.model.checkpoint import (
    load_checkpoint,
    load_model_state,
    save_checkpoint,
    training_payload,
)
from dkd_edge.train.echo import EchoingBatches, echo_view
from dkd_edge.train.options import TrainOptions, stage_dir
from dkd_edge.train.stages import STAGE_CLASSES, Stage, starting_model, training_dataset


def training_device(name: str) -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` -> the device this process trains on (under torchrun,
    the GPU of its local rank)."""
    if resolve_device(name) == "cpu":
        return torch.device("cpu")
    index = int(os.environ.get("LOCAL_RANK", "0"))
    if index >= torch.cuda.device_count():
        raise DkdError(f"process {index} of this node has no GPU of its own (torch sees "
                       f"{torch.cuda.device_count()}): run torchrun with --nproc-per-node "
                       f"{torch.cuda.device_count()} or train with --device cpu")
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


class _Distributed:
    """Rank and world size from torchrun's environment (single process otherwise)."""

    def __init__(self, device: torch.device, enabled: bool = True):
        self.world = int(os.environ.get("WORLD_SIZE", "1")) if enabled else 1
        self.rank = int(os.environ.get("RANK", "0")) if enabled else 0
        self.device = device
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        if self.world == 1:
            return module
        if self.device.type == "cuda":
            return DistributedDataParallel(module, device_ids=[self.device.index])
        return DistributedDataParallel(module)

    def max(self, value: float) -> float:
        """The largest ``value`` over the processes, on every process (so that they share
        one time-based schedule and stop together)."""
        if self.world == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return float(tensor.item())

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def lr_at(step: int, total: int, peak: float, time_progress: float = 0.0) -> float:
    """Linear warm-up over min(100, total / 10) steps, then cosine to 2 % of ``peak``;
    ``time_progress`` (elapsed / time budget) moves the cosine on when it is further along
    than the steps."""
    warmup = max(1, min(100, total // 10))
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_progress))
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


class _Batches:
    """The stage's clips at the size each step asks for, moved to the device once (an
    echoed batch reuses that copy)."""

    def __init__(self, stage: Stage, rank: int, resume_step: int):
        self.stage, self.rank, self.resume_step = stage, rank, resume_step
        self.loaders: dict[int, object] = {}
        self.on_device: dict[str, torch.Tensor] = {}

    def at(self, step: int) -> tuple[dict, int]:
        """(the step's batch on the device, its echo number: 0 when fresh)."""
        stage, options = self.stage, self.stage.options
        size = stage.size_at(step)
        if size not in self.loaders:
            self.close()
            dataset = training_dataset(options, stage.config, size,
                                       stage.loader_seed(size, self.rank), self.resume_step)
            loader = iter(DataLoader(dataset, batch_size=stage.clips_per_batch,
                                     num_workers=options.workers,
                                     persistent_workers=options.workers > 0,
                                     pin_memory=stage.device.type == "cuda"))
            self.loaders[size] = (EchoingBatches(loader, options.max_echo)
                                  if options.max_echo else loader)
        item = next(self.loaders[size])
        batch, echo = item if options.max_echo else (item, 0)
        if echo == 0:
            self.on_device.clear()
            self.on_device.update({k: batch[k].to(stage.device, non_blocking=True)
                                   for k in ("frames", "heatmaps", "weights")})
        return echo_view(self.on_device, echo), echo

    def close(self) -> None:
        for loader in self.loaders.values():
            if isinstance(loader, EchoingBatches):
                loader.close()
        self.loaders.clear()


def train(options: TrainOptions) -> dict:
    """Run (or resume) one training stage; returns a summary dict."""
    options = options.resolved()
    stage_class = STAGE_CLASSES[options.stage]
    device = (torch.device("cpu") if not stage_class.distributed
              else training_device(options.device))
    env = _Distributed(device, enabled=stage_class.distributed)
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed + env.rank)
    out = stage_dir(options)
    last = out / "last.pt"

    model = starting_model(options).to(device)
    stage = stage_class(options, model, device)
    optimizer = torch.optim.AdamW(stage.params, lr=options.lr,
                                  weight_decay=stage.weight_decay)
    step, elapsed_before = 0, 0.0  # elapsed: training seconds of earlier starts
    if options.resume and last.is_file():
        state = load_checkpoint(last)
        load_model_state(model, state["model"], str(last))
        optimizer.load_state_dict(state["optimizer"])
        stage.load_state(state)
        step = int(state["step"])
        elapsed_before = float(state.get("elapsed_s", 0.0))
        if env.main:
            print(f"resuming {options.stage} from {last} at step {step}")
    if step:  # a resumed run draws fresh clips, swaps and drift instead of replaying its first
        torch.manual_seed(options.seed + env.rank + 7919 * step)
    objective = env.wrap(stage.objective)
    if getattr(stage, "disc", None) is not None:
        stage.wrapped_disc = env.wrap(stage.disc)
    batches = _Batches(stage, env.rank, step)

    def payload(done: int, last_checkpoint: bool) -> dict:
        extra = ({"optimizer": optimizer.state_dict(), **stage.state(),
                  "elapsed_s": elapsed()} if last_checkpoint else
                 {k: v for k, v in stage.state().items() if k == "qat"})
        return training_payload(model, options.stage, done, asdict(options), **extra)

    if env.main:
        out.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=options.steps, initial=step, disable=not (options.progress and env.main),
               desc=f"train {options.config} {options.stage}", unit="step")
    stage.train_mode()
    window_start, window_frames, window_fresh = time.perf_counter(), 0, 0
    end = min(options.steps, options.stop_at or options.steps)
    started = time.perf_counter()

    def elapsed() -> float:
        return elapsed_before + time.perf_counter() - started

    out_of_time = False
    while step < end:
        budget = options.time_budget_s
        time_progress = env.max(elapsed() / budget) if budget else 0.0
        if time_progress >= 1.0:
            out_of_time = True
            break
        lr = lr_at(step, options.steps, options.lr, time_progress)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch, echo = batches.at(step)
        loss, figures = stage.loss(batch, objective)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(stage.params, 5.0)
        optimizer.step()
        figures.update(stage.after_step(batch))
        step += 1
        frames = batch["frames"].shape[0] * batch["frames"].shape[1]
        window_frames += frames
        window_fresh += frames if echo == 0 else 0
        if options.peak_weight <= 0:
            figures.pop("loss", None)  # the same as mse
        record = {"step": step, "lr": lr, "size": int(batch["frames"].shape[-1]),
                  **({"echo": echo} if options.max_echo else {}), **figures}
        bar.update(1)
        bar.set_postfix(mse=f"{record['mse']:.3f}", res=record["size"])
        if env.main and (step % 10 == 0 or step == end):
            window = time.perf_counter() - window_start
            record["frames_per_s"] = window_frames * env.world / max(window, 1e-9)
            if options.max_echo:  # frames_per_s counts echoes; these are the rendered ones
                record["fresh_frames_per_s"] = window_fresh * env.world / max(window, 1e-9)
            record["elapsed_s"] = elapsed()
            window_start, window_frames, window_fresh = time.perf_counter(), 0, 0
            with open(out / "metrics.jsonl", "a") as handle:
                handle.write(json.dumps(record) + "\n")
        if env.main and (step % options.save_every == 0 or step == end):
            save_checkpoint(last, payload(step, True))
    bar.close()
    batches.close()
    summary = {"stage": options.stage, "config": options.config, "steps": step,
               "device": str(device), "final": str(out / "final.pt")}
    if out_of_time:
        summary["out_of_time_at"] = step
    if step < options.steps and not out_of_time:  # --stop-at: last.pt resumes the schedule
        summary["final"] = None
        summary["stopped_at"] = str(last)
    elif env.main:
        save_checkpoint(out / "final.pt", payload(step, False))
    env.barrier()
    env.close()
    return summary
