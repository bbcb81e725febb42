"""The three training stages, each a small ``Stage``: what it trains, on which clips, with
which loss. The loop that runs any of them is ``dkd_edge.train.loop``.

- ``init``: the pose initializer on single frames (heatmap MSE). The first
  ``low_res_fraction`` of steps run at 3/4 resolution, which is 1.8x cheaper.
- ``dkd``: the frame encoder, kernel distillator and matcher on clips, the initializer
  frozen: heatmap MSE over the rollout plus ``adv_weight`` times the temporal adversarial
  loss (0 turns it off).
- ``qat``: quantization-aware fine-tuning of both graphs, exported at batch 1 (the shapes
  that are converted) and prepared with the SDK's quantizer: init on the first frame, then
  steps with the kernel state fed back, heatmap MSE on every frame. Always on the CPU.

Every stage can add ``peak_weight`` times a spatial cross-entropy term to the heatmap MSE
(``dkd_edge.train.losses.heatmap_peak_ce``): it rewards one sharp peak at the joint, which
keeps argmax decoding stable under int8 rounding.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dkd_edge.errors import DkdError
from dkd_edge.model import DKD, DKDConfig, TemporalDiscriminator
from dkd_edge.model.checkpoint import checkpoint_config, load_checkpoint, load_model_state
from dkd_edge.model.loading import load_initializer
from dkd_edge.model.networks import load_pretrained_backbone
from dkd_edge.train.data import LspetClips, MixedClips, RenderedClips
from dkd_edge.train.losses import (
    discriminator_loss,
    generator_adversarial,
    heatmap_mse,
    heatmap_peak_ce,
)
from dkd_edge.train.options import PREVIOUS_STAGE, TrainOptions, stage_dir
from dkd_edge.train.perturb import double_mirror_pairs, perturb_state, swap_mirror_pairs
from dkd_edge.train.sampling import load_action_weights


def heatmap_loss(pred, target, weights, peak_weight: float
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(training loss, its MSE part): heatmap MSE plus ``peak_weight`` times the spatial
    cross-entropy peak term."""
    mse = heatmap_mse(pred, target, weights)
    if peak_weight <= 0:
        return mse, mse.detach()
    return mse + peak_weight * heatmap_peak_ce(pred, target, weights), mse.detach()


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


def starting_model(options: TrainOptions, config: DKDConfig | None = None) -> DKD:
    """The model a stage starts from: ``--init-from``, else the previous stage's
    ``final.pt``, else (stage init) ImageNet weights in the initializer's backbone."""
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
        data = load_checkpoint(source)
        if checkpoint_config(data).name != config.name:
            raise DkdError(f"{source} was trained as {checkpoint_config(data).name!r}, "
                           f"not {config.name!r}")
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


class Stage:
    """One training stage: the trainable module, its parameters, its clips and its loss.

    ``objective`` is what the loop wraps for DDP; ``loss`` runs it on one batch and returns
    (the loss to back-propagate, the figures to log); ``after_step`` runs once the
    optimizer has stepped (the discriminator's turn); ``state`` / ``load_state`` carry the
    stage's own checkpoint entries beside the model and the optimizer.
    """

    name = ""
    distributed = True  # can run under torchrun
    weight_decay = 1e-4

    def __init__(self, options: TrainOptions, model: DKD, device: torch.device):
        self.options, self.model, self.device = options, model, device
        self.config = model.config
        self.objective: nn.Module = model
        self.params: list[nn.Parameter] = []

    @property
    def clips_per_batch(self) -> int:
        return self.options.batch

    def size_at(self, step: int) -> int:
        """The frame size of step ``step``'s batch."""
        return self.config.input_size

    def loader_seed(self, size: int, rank: int) -> int:
        return self.options.seed * 1000 + rank * 7 + size

    def train_mode(self) -> None:
        self.objective.train()

    def loss(self, batch: dict, objective: nn.Module) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def after_step(self, batch: dict) -> dict:
        return {}

    def state(self) -> dict:
        return {}

    def load_state(self, state: dict) -> None:
        pass


class InitStage(Stage):
    """The initializer on single frames; the first ``low_res_fraction`` of the schedule at
    3/4 resolution."""

    name = "init"

    def __init__(self, options, model, device):
        super().__init__(options, model, device)
        self.objective = InitializerObjective(model, options.peak_weight)
        initializer = model.initializer
        self.params = (initializer.freeze_early() if hasattr(initializer, "freeze_early")
                       else list(initializer.parameters()))
        self.low_res_steps = int(options.low_res_fraction * options.steps)

    @property
    def clips_per_batch(self) -> int:
        return max(1, self.options.batch // self.options.clip_len)

    def size_at(self, step: int) -> int:
        if step < self.low_res_steps:
            return (self.config.input_size * 3 // 4) // 32 * 32
        return self.config.input_size

    def loss(self, batch, objective):
        loss, mse, _ = objective(batch["frames"], batch["heatmaps"], batch["weights"])
        return loss, {"mse": mse.item(), "loss": loss.item()}


class DkdStage(Stage):
    """The step path on clips, the initializer frozen, with the temporal discriminator."""

    name = "dkd"

    def __init__(self, options, model, device):
        super().__init__(options, model, device)
        self.objective = RolloutObjective(model, options.peak_weight, options.drift_prob,
                                          options.double_prob)
        for p in model.initializer.parameters():
            p.requires_grad_(False)
        self.params = [p for n, p in model.named_parameters()
                       if not n.startswith("initializer.")]
        self.disc = self.disc_opt = self.wrapped_disc = None
        if options.adv_weight > 0:
            self.disc = TemporalDiscriminator(self.config.num_joints).to(device)
            self.disc_opt = torch.optim.AdamW(self.disc.parameters(), lr=options.lr * 0.5,
                                              betas=(0.5, 0.99))
        self._pred = None

    def train_mode(self) -> None:
        self.objective.train()
        self.model.initializer.eval()

    def loss(self, batch, objective):
        frames, heatmaps = batch["frames"], batch["heatmaps"]
        if self.options.first_state == "truth":  # no initializer pass
            first = heatmaps[:, 0].clone()
        else:
            with torch.no_grad():
                first = self.model.initializer(frames[:, 0])
        first = swap_mirror_pairs(first, self.options.swap_prob)
        first = double_mirror_pairs(first, self.options.double_prob)
        loss, mse, pred = objective(frames, heatmaps, batch["weights"], first)
        record = {"mse": mse.item(), "loss": loss.item()}
        self._pred = pred
        if self.disc is None:
            return loss, record
        for p in self.disc.parameters():
            p.requires_grad_(False)
        adv = generator_adversarial(self.disc(pred))  # disc frozen: gradients reach pred
        record["adv"] = adv.item()
        return loss + self.options.adv_weight * adv, record

    def after_step(self, batch):
        if self.disc is None:
            return {}
        for p in self.disc.parameters():
            p.requires_grad_(True)
        disc = self.wrapped_disc or self.disc
        heatmaps = batch["heatmaps"]
        scores = disc(torch.cat([heatmaps, self._pred.detach()]))  # one DDP forward
        d_loss = discriminator_loss(scores[: len(heatmaps)], scores[len(heatmaps):])
        self.disc_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.disc_opt.step()
        return {"d_loss": d_loss.item()}

    def state(self):
        return {"disc": self.disc.state_dict() if self.disc is not None else None,
                "disc_opt": self.disc_opt.state_dict() if self.disc_opt is not None else None}

    def load_state(self, state):
        if self.disc is not None and state.get("disc"):
            self.disc.load_state_dict(state["disc"])
            self.disc_opt.load_state_dict(state["disc_opt"])


class QatStage(Stage):
    """Both graphs with fake-quant, one clip at a time (batch-1 graphs), gradients summed
    over ``batch`` clips. The checkpoint stores the prepared graphs' state dicts; loading
    re-exports and re-prepares the graphs (``dkd_edge.quant.qat``), then loads that state."""

    name = "qat"
    distributed = False
    weight_decay = 0.0

    def __init__(self, options, model, device):
        from dkd_edge.quant.graphs import prepare_graphs
        from dkd_edge.quant.qat import add_rounding_noise

        super().__init__(options, model, device)
        self.init, self.step = prepare_graphs(model, qat=True)
        if options.rounding_noise > 0:
            for graph in (self.init, self.step):
                add_rounding_noise(graph, options.rounding_noise)
        self.objective = nn.ModuleDict({"init": self.init, "step": self.step})
        self.params = list({id(p): p for p in self.objective.parameters()}.values())

    def loader_seed(self, size, rank):
        return self.options.seed * 1000 + 999

    def train_mode(self) -> None:
        pass  # the prepared graphs train as exported

    def loss(self, batch, objective):
        total, mse_sum = 0.0, 0.0
        clips = batch["frames"].shape[0]
        for index in range(clips):
            frames = batch["frames"][index]
            heatmaps, kernels = self.init(frames[:1])
            outputs = [heatmaps]
            for t in range(1, frames.shape[0]):
                heatmaps, kernels = self.step(frames[t:t + 1], kernels)
                outputs.append(heatmaps)
            loss, mse = heatmap_loss(torch.cat(outputs), batch["heatmaps"][index],
                                     batch["weights"][index], self.options.peak_weight)
            total = total + loss / clips
            mse_sum += mse.item() / clips
        return total, {"mse": mse_sum, "loss": float(total.item())}

    def state(self):
        return {"qat": {"init": self.init.state_dict(), "step": self.step.state_dict()}}

    def load_state(self, state):
        self.init.load_state_dict(state["qat"]["init"])
        self.step.load_state_dict(state["qat"]["step"])


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
    """Stage ``dkd``: heatmap loss over a rollout that starts from the given heatmaps."""

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


STAGE_CLASSES: dict[str, type[Stage]] = {"init": InitStage, "dkd": DkdStage, "qat": QatStage}
