"""``TrainOptions``: every option of a training stage, its default and its help, once.

``dkd-edge train`` builds its command-line options from these fields (``cli/train.py``), so a
default or a help text lives here alone. None means the stage's default (``STAGE_DEFAULTS``)
or a data folder found by ``dkd_edge.locations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from dkd_edge.errors import DkdError
from dkd_edge.locations import dataset_root
from dkd_edge.model.config import DEFAULT_CONFIG, DKDConfig, get_config

STAGES = ("init", "dkd", "qat")
# Where a training rollout's first heatmaps come from: the frozen initializer (as in
# inference) or the rendered truth (no initializer pass; swaps and drift still apply).
FIRST_STATES = ("initializer", "truth")
# render: Penn Action motion, rendered; lspet: real LSPET images (augmented views for the
# initializer, synthetic camera motion for the step path); mixed: each clip from either.
DATA_SOURCES = ("render", "lspet", "mixed")
DEVICES = ("auto", "cpu", "cuda")
STAGE_DEFAULTS = {
    "init": {"steps": 2000, "batch": 16, "clip_len": 4, "lr": 2e-3},
    "dkd": {"steps": 2500, "batch": 4, "clip_len": 6, "lr": 2e-3},
    "qat": {"steps": 200, "batch": 4, "clip_len": 6, "lr": 1e-4},
}
PREVIOUS_STAGE = {"dkd": "init", "qat": "dkd"}


def option(default, help: str, **cli) -> object:
    """A field with its command-line help; ``cli`` holds click settings (``type``,
    ``choices``, ``min``, ``max``, ``flag``, ``name``); ``cli=False`` keeps it off the CLI."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class TrainOptions:
    """Options of one training stage; None means the stage's default."""

    config: str = option(DEFAULT_CONFIG, "Model config: dkd-tiny, dkd-small or dkd-base.")
    config_overrides: dict = field(default_factory=dict, metadata={
        "help": "Change one architecture field of the config (repeatable), e.g. "
                "encoder_context=48 to grow --init-from's model by a global-context block. "
                "Pass the same --set to later stages from this run.", "name": "--set"})
    stage: str = option("init", "init: initializer on frames; dkd: kernels on clips; qat: "
                        "int8-aware.", choices=STAGES, required=True)
    data: str = option("render", "Training pixels: rendered Penn motion, real LSPET images "
                       "(views for init, synthetic camera motion for dkd), or a mix.",
                       choices=DATA_SOURCES)
    penn_root: str | None = option(None, "Penn Action labels, the motion that is rendered "
                                   "(default: DATA/penn_action).", type=Path)
    lspet_root: str | None = option(None, "LSPET folder (joints.mat, images/) for --data "
                                    "lspet|mixed (default: DATA/lspet).", type=Path)
    real_prob: float = option(0.5, "With --data mixed: the share of clips drawn from LSPET.",
                              min=0.0, max=1.0)
    out: str = option("runs", "Run folder; stages write OUT/<config>/<stage>/.", type=Path)
    steps: int | None = option(None, "Optimizer steps (stage default).", type=int, min=1)
    batch: int | None = option(None, "Frames (init) or clips (dkd, qat).", type=int, min=1)
    clip_len: int | None = option(None, "Frames per training clip.", type=int, min=1)
    lr: float | None = option(None, "Peak learning rate.", type=float)
    adv_weight: float = option(0.05, "Weight of the temporal adversarial loss (dkd stage); 0 "
                               "turns it off.")
    peak_weight: float = option(0.0, "Weight of the spatial cross-entropy peak loss beside the "
                                "heatmap MSE (sharper, single peaks); 0 trains on MSE alone.")
    rounding_noise: float = option(0.0, "qat stage: probability of shifting each int8 "
                                   "activation one step up (and the same down) in training, "
                                   "so integer runtimes stay on the reference.")
    swap_prob: float = option(0.0, "dkd stage: probability of swapping each left/right pair "
                              "in a rollout's first heatmaps, so the step path learns to "
                              "recover from mirror errors.", min=0.0, max=1.0)
    drift_prob: float = option(0.0, "dkd stage: per clip and step, probability of one tracking "
                               "error (a mirror swap or a shifted joint) in the state the next "
                               "kernels come from.", min=0.0, max=1.0)
    double_prob: float = option(0.0, "dkd stage: per clip, probability of collapsing one "
                                "left/right pair onto one limb in the first state and in each "
                                "step's state, so the step path learns to undo such doubles.",
                                min=0.0, max=1.0)
    action_weights: str | None = option(None, "JSON {action: weight}: draw training sequences "
                                        "with their action's weight (1 for actions left out); "
                                        "scripts/action_weights.py writes one.", type=Path)
    mirror_prob: float = option(0.0, "Probability of reflecting each training sequence's "
                                "motion left to right (labels swapped) before rendering.",
                                min=0.0, max=1.0)
    first_state: str = option("initializer", "dkd stage: the heatmaps each training rollout "
                              "starts from. truth skips the frozen initializer's pass; "
                              "--swap-prob and --drift-prob still perturb them.",
                              choices=FIRST_STATES)
    device: str = option("auto", "Where init and dkd train: auto takes a CUDA GPU when torch "
                         "sees one (rendering stays on the CPU: raise --workers). qat runs on "
                         "the CPU.", choices=DEVICES)
    low_res_fraction: float = option(0.6, "init stage: share of the steps run at 3/4 "
                                     "resolution (cheaper); 0 for a fine-tune at full "
                                     "resolution.", min=0.0, max=1.0)
    init_from: str | None = option(None, "Checkpoint to start from (default: the previous "
                                   "stage's final.pt).", type=Path)
    initializer_from: str | None = option(None, "Take the pose initializer's weights from this "
                                          "checkpoint instead.", type=Path)
    seed: int = option(0, "Seed of the weights' start, the clips and the perturbations.")
    save_every: int = option(50, "Write last.pt every this many steps.", min=1)
    stop_at: int | None = option(None, "Stop at this step of the --steps schedule (last.pt "
                                 "written, no final.pt); run again without it to finish.",
                                 type=int, min=1)
    max_minutes: float | None = option(None, "Fit the schedule into this much training time (a "
                                       "lent GPU): the learning rate anneals by time or steps, "
                                       "whichever is further, and final.pt is written when "
                                       "either runs out. Resumed runs count earlier starts' "
                                       "time.", type=float, min=0.0, min_open=True)
    max_echo: int = option(0, "Data echoing: while no rendered batch is ready, train on the "
                           "last one again (time-reversed on odd repeats) up to this many "
                           "times. For GPUs that wait on the CPU renderer.", min=0)
    workers: int = option(1, "Rendering worker processes.", min=0)
    threads: int | None = option(None, "torch threads per process.", type=int, min=1)
    resume: bool = option(True, "Continue from the stage's last.pt when it exists.",
                          flag=True)
    progress: bool = option(True, "A progress bar.", cli=False)

    def resolved(self) -> TrainOptions:
        """The options with the stage's defaults and the data folders filled in, checked."""
        if self.stage not in STAGES:
            raise DkdError(f"unknown stage {self.stage!r}: use one of {', '.join(STAGES)}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise DkdError(f"time budget {self.max_minutes} min: give a positive number")
        if self.max_echo < 0:
            raise DkdError(f"max echo {self.max_echo}: give 0 (off) or more")
        for name, what, allowed in (("data", "training data", DATA_SOURCES),
                                    ("first_state", "first state", FIRST_STATES),
                                    ("device", "device", DEVICES)):
            if getattr(self, name) not in allowed:
                raise DkdError(f"unknown {what} {getattr(self, name)!r}: use one of "
                               f"{', '.join(allowed)}")
        if self.stage == "qat" and self.device == "cuda":
            raise DkdError("the qat stage runs on the CPU (torchao pt2e fake-quant graphs): "
                           "drop --device cuda")
        defaults = STAGE_DEFAULTS[self.stage]
        resolved = replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
        return replace(
            resolved, penn_root=str(dataset_root("penn_action", self.penn_root)),
            lspet_root=(str(dataset_root("lspet", self.lspet_root))
                        if self.data != "render" or self.lspet_root else None))

    def model_config(self) -> DKDConfig:
        """The named config with ``--set`` overrides applied."""
        return get_config(self.config, **self.config_overrides)

    @property
    def time_budget_s(self) -> float | None:
        return self.max_minutes * 60 if self.max_minutes else None


def stage_dir(options: TrainOptions, stage: str | None = None) -> Path:
    """``OUT/<config>/<stage>``, where a stage writes its checkpoints and metrics."""
    return Path(options.out) / options.config / (stage or options.stage)
