"""The training stages behind ``dkd-edge train``.

- ``init``: the pose initializer on single rendered frames (heatmap MSE). The first
  ``low_res_fraction`` of steps run at 3/4 resolution, which is 1.8x cheaper.
- ``dkd``: the frame encoder, kernel distillator and matcher on rendered clips, the
  initializer frozen: heatmap MSE over the rollout plus ``adv_weight`` times the temporal
  adversarial loss (0 turns it off).
- ``qat``: quantization-aware fine-tuning of both graphs (``dkd_edge.quant``).

``device`` picks where the ``init`` and ``dkd`` stages train: ``auto`` (a CUDA GPU when torch
sees one), ``cpu`` or ``cuda``. Rendering stays on the CPU in ``workers`` processes, so on a
GPU raise ``--workers`` until the GPU is busy. ``qat`` always runs on the CPU.

Every stage can add ``peak_weight`` times a spatial cross-entropy term to the heatmap MSE
(``dkd_edge.train.losses.heatmap_peak_ce``): it rewards one sharp peak at the joint, which
keeps argmax decoding stable under int8 rounding. ``metrics.jsonl`` logs ``mse`` alone and,
with the peak term on, the total as ``loss``.

``time_budget_s`` fits the schedule to a time box (a lent GPU): the learning rate follows
whichever of step progress and elapsed-time progress is further along, and the run ends
with ``final.pt`` when either completes, so the cosine schedule ends inside the box.
``max_echo`` turns on data echoing (``dkd_edge.train.echo``): while the renderer has no fresh
batch ready, the last one is trained on again, time-reversed on odd repeats, up to
``max_echo`` times.

``stop_at`` ends a run part-way through its ``steps``-long schedule, at that step, with
``last.pt`` written and no ``final.pt``; the same command without it resumes the schedule.

Each stage writes ``OUT/<config>/<stage>/last.pt`` every ``save_every`` steps (a restarted
run resumes from it), ``metrics.jsonl``, and ``final.pt`` when done. Multi-process runs go
through ``torchrun`` (DDP: gloo on CPU, NCCL with one GPU per process on CUDA).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from dkd_edge.device import resolve_device
from dkd_edge.errors import DkdError
from dkd_edge.locations import dataset_root
from dkd_edge.model import DKD, DKDConfig, TemporalDiscriminator, get_config
from dkd_edge.model.checkpoint import (
    checkpoint_config,
    float_state,
    load_checkpoint,
    load_model_state,
    save_checkpoint,
)
from dkd_edge.model.loading import load_initializer
from dkd_edge.model.networks import load_pretrained_backbone
from dkd_edge.train.data import LspetClips, MixedClips, RenderedClips
from dkd_edge.train.echo import EchoingBatches, echo_view
from dkd_edge.train.losses import (
    discriminator_loss,
    generator_adversarial,
    heatmap_mse,
    heatmap_peak_ce,
)
from dkd_edge.train.perturb import double_mirror_pairs, perturb_state, swap_mirror_pairs
from dkd_edge.train.sampling import load_action_weights

STAGES = ("init", "dkd", "qat")
# Where a training rollout's first heatmaps come from: the frozen initializer (as in
# inference) or the rendered truth (no initializer pass; swaps and drift still apply).
FIRST_STATES = ("initializer", "truth")
# render: Penn Action motion, rendered; lspet: real LSPET images (augmented views for the
# initializer, synthetic camera motion for the step path); mixed: each clip from either.
DATA_SOURCES = ("render", "lspet", "mixed")
STAGE_DEFAULTS = {
    "init": {"steps": 2000, "batch": 16, "clip_len": 4, "lr": 2e-3},
    "dkd": {"steps": 2500, "batch": 4, "clip_len": 6, "lr": 2e-3},
    "qat": {"steps": 200, "batch": 4, "clip_len": 6, "lr": 1e-4},
}
PREVIOUS_STAGE = {"dkd": "init", "qat": "dkd"}


@dataclass
class TrainOptions:
    """Options of one training stage; None means the stage's default."""

    config: str = "dkd-small"
    config_overrides: dict = field(default_factory=dict)
    stage: str = "init"
    penn_root: str | None = None  # None: <data folder>/penn_action
    data: str = "render"
    lspet_root: str | None = None  # None: <data folder>/lspet
    real_prob: float = 0.5
    out: str = "runs"
    steps: int | None = None
    batch: int | None = None
    clip_len: int | None = None
    lr: float | None = None
    adv_weight: float = 0.05
    peak_weight: float = 0.0
    swap_prob: float = 0.0
    drift_prob: float = 0.0
    double_prob: float = 0.0
    action_weights: str | None = None
    mirror_prob: float = 0.0
    first_state: str = "initializer"
    device: str = "auto"
    rounding_noise: float = 0.0
    low_res_fraction: float = 0.6
    init_from: str | None = None
    initializer_from: str | None = None
    seed: int = 0
    save_every: int = 50
    stop_at: int | None = None
    time_budget_s: float | None = None
    max_echo: int = 0
    workers: int = 1
    threads: int | None = None
    resume: bool = True
    progress: bool = True

    def resolved(self) -> TrainOptions:
        if self.stage not in STAGES:
            raise DkdError(f"unknown stage {self.stage!r}: use one of {', '.join(STAGES)}")
        if self.time_budget_s is not None and self.time_budget_s <= 0:
            raise DkdError(f"time budget {self.time_budget_s} s: give a positive number")
        if self.max_echo < 0:
            raise DkdError(f"max echo {self.max_echo}: give 0 (off) or more")
        if self.data not in DATA_SOURCES:
            raise DkdError(f"unknown training data {self.data!r}: use one of "
                           f"{', '.join(DATA_SOURCES)}")
        if self.first_state not in FIRST_STATES:
            raise DkdError(f"unknown first state {self.first_state!r}: use one of "
                           f"{', '.join(FIRST_STATES)}")
        defaults = STAGE_DEFAULTS[self.stage]
        resolved = replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
        return replace(
            resolved, penn_root=str(dataset_root("penn_action", self.penn_root)),
            lspet_root=(str(dataset_root("lspet", self.lspet_root))
                        if self.data != "render" or self.lspet_root else None))

    def model_config(self) -> DKDConfig:
        """The named config with ``--set`` overrides applied."""
        return get_config(self.config, **self.config_overrides)


def stage_dir(options: TrainOptions, stage: str | None = None) -> Path:
    return Path(options.out) / options.config / (stage or options.stage)


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

    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
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


def heatmap_loss(pred, target, weights, peak_weight: float
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(training loss, its MSE part): heatmap MSE plus ``peak_weight`` times the spatial
    cross-entropy peak term."""
    mse = heatmap_mse(pred, target, weights)
    if peak_weight <= 0:
        return mse, mse.detach()
    return mse + peak_weight * heatmap_peak_ce(pred, target, weights), mse.detach()


class InitializerObjective(nn.Module):
    """Stage ``init``: heatmap loss of the initializer on single frames."""

    def __init__(self, model: DKD, peak_weight: float = 0.0):
        super().__init__()
        self.initializer = model.initializer
        self.peak_weight = peak_weight

    def forward(self, frames, heatmaps, weights):
        pred = self.initializer(frames.flatten(0, 1))
        loss, mse = heatmap_loss(pred, heatmaps.flatten(0, 1), weights.flatten(0, 1),
                                 self.peak_weight)
        return loss, mse, pred


class RolloutObjective(nn.Module):
    """Stage ``dkd``: heatmap loss over a rollout that starts from the frozen initializer."""

    def __init__(self, model: DKD, peak_weight: float = 0.0, drift_prob: float = 0.0,
                 double_prob: float = 0.0):
        super().__init__()
        self.model = model
        self.peak_weight = peak_weight
        self.drift_prob = drift_prob
        self.double_prob = double_prob

    def forward(self, frames, heatmaps, weights, first):
        perturb = None
        if self.training and (self.drift_prob > 0 or self.double_prob > 0):
            def perturb(state):
                state = perturb_state(state, self.drift_prob)
                return double_mirror_pairs(state, self.double_prob)
        pred = self.model.rollout(frames, first, perturb)
        loss, mse = heatmap_loss(pred[:, 1:], heatmaps[:, 1:], weights[:, 1:],
                                 self.peak_weight)
        return loss, mse, pred


def _lr_at(step: int, total: int, peak: float, time_progress: float = 0.0) -> float:
    """Linear warm-up over min(100, total / 10) steps, then cosine to 2 % of ``peak``;
    ``time_progress`` (elapsed / time budget) moves the cosine on when it is further along
    than the steps."""
    warmup = max(1, min(100, total // 10))
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_progress))
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def training_dataset(options: TrainOptions, config: DKDConfig, size: int, seed: int,
                     resume_step: int = 0):
    """The clip stream ``options.data`` names: rendered, LSPET (views for the init stage,
    synthetic camera motion otherwise) or a mix of the two."""
    dataset = None
    if options.data != "lspet":
        dataset = RenderedClips(
            options.penn_root, "train", options.clip_len, size, config.stride,
            config.heatmap_sigma, config.mean, config.std, seed=seed,
            action_weights=load_action_weights(options.action_weights)
            if options.action_weights else None,
            mirror_prob=options.mirror_prob,
            resume_step=resume_step,
        )
    if options.data != "render":
        real = LspetClips(options.lspet_root, options.clip_len, size, config.stride,
                          config.heatmap_sigma, config.mean, config.std,
                          mode="views" if options.stage == "init" else "motion",
                          seed=seed, resume_step=resume_step)
        dataset = real if dataset is None else MixedClips(real, dataset, options.real_prob,
                                                          seed)
    return dataset


def _loader(options: TrainOptions, config: DKDConfig, size: int, rank: int, clips: int,
            pin_memory: bool = False, resume_step: int = 0):
    dataset = training_dataset(options, config, size, options.seed * 1000 + rank * 7 + size,
                               resume_step)
    loader = iter(DataLoader(dataset, batch_size=clips, num_workers=options.workers,
                             persistent_workers=options.workers > 0, pin_memory=pin_memory))
    return EchoingBatches(loader, options.max_echo) if options.max_echo else loader


def _load_same_config(source: str, config: DKDConfig) -> dict:
    """A checkpoint, refused with a one-line error when it was trained as another config."""
    data = load_checkpoint(source)
    if checkpoint_config(data).name != config.name:
        raise DkdError(f"{source} was trained as {checkpoint_config(data).name!r}, "
                       f"not {config.name!r}")
    return data


def _starting_model(options: TrainOptions, config: DKDConfig | None = None) -> DKD:
    config = config or options.model_config()
    model = DKD(config)
    previous = PREVIOUS_STAGE.get(options.stage)
    source = options.init_from or (
        str(stage_dir(options, previous) / "final.pt") if previous else None)
    if source:
        if not Path(source).is_file():
            raise DkdError(
                f"stage {options.stage!r} starts from {source}, which does not exist: run "
                f"`dkd-edge train --config {options.config} --stage {previous}` first "
                "or pass --init-from")
        data = _load_same_config(source, config)
        fresh = load_model_state(model, data["model"], source, allow_missing=True)
        if fresh:
            print(f"{source}: {len(fresh)} new parameter(s) start fresh: "
                  f"{', '.join(fresh[:4])}{' ...' if len(fresh) > 4 else ''}")
    elif config.init_backbone != "mobilenet":  # a fresh initializer starts from ImageNet
        loaded = load_pretrained_backbone(model.initializer)
        print(f"{config.init_backbone}: {loaded} pretrained ImageNet tensors loaded")
    if options.initializer_from:
        load_initializer(model, options.initializer_from)
    return model


def train(options: TrainOptions) -> dict:
    """Run (or resume) one training stage; returns a summary dict."""
    options = options.resolved()
    if options.stage == "qat":
        if options.device == "cuda":
            raise DkdError("the qat stage runs on the CPU (torchao pt2e fake-quant graphs): "
                           "drop --device cuda")
        from dkd_edge.train.qat_stage import train_qat

        return train_qat(options)
    config = options.model_config()
    device = training_device(options.device)
    env = _Distributed(device)
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed + env.rank)
    out = stage_dir(options)
    last = out / "last.pt"

    model = _starting_model(options, config).to(device)
    if options.stage == "init":
        objective = InitializerObjective(model, options.peak_weight)
        params = (model.initializer.freeze_early() if hasattr(model.initializer, "freeze_early")
                  else list(model.initializer.parameters()))
        clips = max(1, options.batch // options.clip_len)
    else:
        objective = RolloutObjective(model, options.peak_weight, options.drift_prob,
                                     options.double_prob)
        for p in model.initializer.parameters():
            p.requires_grad_(False)
        params = [p for n, p in model.named_parameters() if not n.startswith("initializer.")]
        clips = options.batch
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=1e-4)
    disc = disc_opt = None
    if options.stage == "dkd" and options.adv_weight > 0:
        disc = TemporalDiscriminator(config.num_joints).to(device)
        disc_opt = torch.optim.AdamW(disc.parameters(), lr=options.lr * 0.5, betas=(0.5, 0.99))

    step = 0
    elapsed_before = 0.0  # training seconds of earlier starts, for time_budget_s
    if options.resume and last.is_file():
        state = load_checkpoint(last)
        load_model_state(model, state["model"], str(last))
        optimizer.load_state_dict(state["optimizer"])
        if disc is not None and state.get("disc"):
            disc.load_state_dict(state["disc"])
            disc_opt.load_state_dict(state["disc_opt"])
        step = int(state["step"])
        elapsed_before = float(state.get("elapsed_s", 0.0))
        if env.main:
            print(f"resuming {options.stage} from {last} at step {step}")
    resume_step = step  # a resumed run draws fresh clips instead of replaying its first ones
    if resume_step:
        torch.manual_seed(options.seed + env.rank + 7919 * resume_step)  # fresh swaps and drift
    wrapped = env.wrap(objective)
    wrapped_disc = env.wrap(disc) if disc is not None else None

    low_res_steps = int(options.low_res_fraction * options.steps) if options.stage == "init" else 0
    low_size = (config.input_size * 3 // 4) // 32 * 32
    loaders: dict[int, object] = {}
    on_device: dict[str, torch.Tensor] = {}

    def close_loaders() -> None:
        for loader in loaders.values():
            if isinstance(loader, EchoingBatches):
                loader.close()
        loaders.clear()

    def batch_at(s: int) -> tuple[dict, int]:
        """(the step's batch on the device, its echo number: 0 when fresh)."""
        size = low_size if s < low_res_steps else config.input_size
        if size not in loaders:
            close_loaders()
            loaders[size] = _loader(options, config, size, env.rank, clips,
                                    pin_memory=device.type == "cuda", resume_step=resume_step)
        item = next(loaders[size])
        batch, echo = item if options.max_echo else (item, 0)
        if echo == 0:  # an echo reuses the copy already on the device
            on_device.clear()
            on_device.update({k: batch[k].to(device, non_blocking=True)
                              for k in ("frames", "heatmaps", "weights")})  # all a step reads
        return echo_view(on_device, echo), echo

    if env.main:
        out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / "metrics.jsonl"
    bar = tqdm(total=options.steps, initial=step, disable=not (options.progress and env.main),
               desc=f"train {options.config} {options.stage}", unit="step")
    objective.train()
    if options.stage == "dkd":
        model.initializer.eval()
    window_start, window_frames, window_fresh = time.perf_counter(), 0, 0
    end = min(options.steps, options.stop_at or options.steps)
    started = time.perf_counter()

    def elapsed() -> float:
        return elapsed_before + time.perf_counter() - started

    out_of_time = False
    while step < end:
        time_progress = (env.max(elapsed() / options.time_budget_s)
                         if options.time_budget_s else 0.0)
        if time_progress >= 1.0:
            out_of_time = True
            break
        lr = _lr_at(step, options.steps, options.lr, time_progress)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch, echo = batch_at(step)
        frames, heatmaps, weights = batch["frames"], batch["heatmaps"], batch["weights"]
        record = {"step": step + 1, "lr": lr, "size": int(frames.shape[-1])}
        if options.max_echo:
            record["echo"] = echo
        if options.stage == "init":
            loss, mse, _ = wrapped(frames, heatmaps, weights)
            total = loss
        else:
            if options.first_state == "truth":  # no initializer pass
                first = heatmaps[:, 0].clone()
            else:
                with torch.no_grad():
                    first = model.initializer(frames[:, 0])
            first = swap_mirror_pairs(first, options.swap_prob)
            first = double_mirror_pairs(first, options.double_prob)
            loss, mse, pred = wrapped(frames, heatmaps, weights, first)
            total = loss
            if wrapped_disc is not None:
                for p in disc.parameters():
                    p.requires_grad_(False)
                adv = generator_adversarial(disc(pred))  # disc frozen: gradients reach pred
                total = loss + options.adv_weight * adv
                record["adv"] = adv.item()
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        if wrapped_disc is not None:
            for p in disc.parameters():
                p.requires_grad_(True)
            scores = wrapped_disc(torch.cat([heatmaps, pred.detach()]))  # one DDP forward
            d_loss = discriminator_loss(scores[: len(heatmaps)], scores[len(heatmaps):])
            disc_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            disc_opt.step()
            record["d_loss"] = d_loss.item()
        step += 1
        window_frames += frames.shape[0] * frames.shape[1]
        window_fresh += frames.shape[0] * frames.shape[1] if echo == 0 else 0
        record["mse"] = mse.item()
        if options.peak_weight > 0:
            record["loss"] = loss.item()
        bar.update(1)
        bar.set_postfix(mse=f"{record['mse']:.3f}", res=record["size"])
        if env.main and (step % 10 == 0 or step == end):
            window = time.perf_counter() - window_start
            record["frames_per_s"] = window_frames * env.world / max(window, 1e-9)
            if options.max_echo:  # frames_per_s counts echoes; these are the rendered ones
                record["fresh_frames_per_s"] = window_fresh * env.world / max(window, 1e-9)
            window_start, window_frames, window_fresh = time.perf_counter(), 0, 0
            with open(metrics_path, "a") as handle:
                handle.write(json.dumps(record) + "\n")
        if env.main and (step % options.save_every == 0 or step == end):
            save_checkpoint(last, {
                "config": config.to_dict(), "preprocessing": config.preprocessing(),
                "stage": options.stage, "step": step, "model": float_state(model),
                "optimizer": optimizer.state_dict(),
                "disc": disc.state_dict() if disc is not None else None,
                "disc_opt": disc_opt.state_dict() if disc_opt is not None else None,
                "options": asdict(options), "elapsed_s": elapsed(),
            })
    bar.close()
    close_loaders()
    summary = {"stage": options.stage, "config": options.config, "steps": step,
               "device": str(device), "final": str(out / "final.pt")}
    if out_of_time:
        summary["out_of_time_at"] = step
    if step < options.steps and not out_of_time:  # --stop-at: last.pt resumes the schedule
        summary["final"] = None
        summary["stopped_at"] = str(last)
    elif env.main:
        save_checkpoint(out / "final.pt", {
            "config": config.to_dict(), "preprocessing": config.preprocessing(),
            "stage": options.stage, "step": step, "model": float_state(model),
            "options": asdict(options),
        })
    env.barrier()
    env.close()
    return summary
