"""``dkd-edge train``: the three training stages."""

from __future__ import annotations

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.model.config import DEFAULT_CONFIG


@click.command()
@click.option("--config", "config_name", default=DEFAULT_CONFIG, show_default=True,
              help="Model config: dkd-tiny, dkd-small or dkd-base.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Change one architecture field of the config (repeatable), e.g. "
                   "encoder_context=48 to grow --init-from's model by a global-context block. "
                   "Pass the same --set to later stages from this run.")
@click.option("--stage", type=click.Choice(["init", "dkd", "qat"]), required=True,
              help="init: initializer on frames; dkd: kernels on clips; qat: int8-aware.")
@click.option("--penn-root", default=None, type=click.Path(),
              help="Penn Action labels, the motion that is rendered (default: DATA/penn_action).")
@click.option("--data", type=click.Choice(["render", "lspet", "mixed"]), default="render",
              show_default=True,
              help="Training pixels: rendered Penn motion, real LSPET images (views for init, "
                   "synthetic camera motion for dkd), or a mix.")
@click.option("--lspet-root", default=None, type=click.Path(),
              help="LSPET folder (joints.mat, images/) for --data lspet|mixed (default: "
                   "DATA/lspet).")
@click.option("--real-prob", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="With --data mixed: the share of clips drawn from LSPET.")
@click.option("--out", default="runs", show_default=True, type=click.Path(),
              help="Run folder; stages write OUT/<config>/<stage>/.")
@click.option("--steps", type=int, default=None, help="Optimizer steps (stage default).")
@click.option("--batch", type=int, default=None, help="Frames (init) or clips (dkd, qat).")
@click.option("--clip-len", type=int, default=None, help="Frames per rendered clip.")
@click.option("--lr", type=float, default=None, help="Peak learning rate.")
@click.option("--adv-weight", type=float, default=0.05, show_default=True,
              help="Weight of the temporal adversarial loss (dkd stage); 0 turns it off.")
@click.option("--peak-weight", type=float, default=0.0, show_default=True,
              help="Weight of the spatial cross-entropy peak loss beside the heatmap MSE "
                   "(sharper, single peaks); 0 trains on MSE alone.")
@click.option("--rounding-noise", type=float, default=0.0, show_default=True,
              help="qat stage: probability of shifting each int8 activation one step up (and "
                   "the same down) in training, so integer runtimes stay on the reference.")
@click.option("--swap-prob", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="dkd stage: probability of swapping each left/right pair in a rollout's "
                   "first heatmaps, so the step path learns to recover from mirror errors.")
@click.option("--drift-prob", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="dkd stage: per clip and step, probability of one tracking error (a mirror "
                   "swap or a shifted joint) in the state the next kernels come from.")
@click.option("--double-prob", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="dkd stage: per clip, probability of collapsing one left/right pair onto one "
                   "limb (one side's heatmap replaced by the other's) in the first state and in "
                   "each step's state, so the step path learns to undo such doubles.")
@click.option("--action-weights", type=click.Path(), default=None,
              help="JSON {action: weight}: draw training sequences with their action's weight "
                   "(1 for actions left out) instead of Penn Action's own mix; "
                   "scripts/action_weights.py writes one from a checkpoint's errors.")
@click.option("--mirror-prob", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Probability of reflecting each training sequence's motion left to right "
                   "(left/right labels swapped) before rendering: more poses than the split's.")
@click.option("--first-state", type=click.Choice(["initializer", "truth"]), default="initializer",
              show_default=True,
              help="dkd and qat stages: the heatmaps each training rollout starts from. truth "
                   "skips the frozen initializer's pass (a third of the model compute of a CPU "
                   "step at 5 frames); --swap-prob and --drift-prob still perturb them.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True,
              help="Where init and dkd train: auto takes a CUDA GPU when torch sees one "
                   "(rendering stays on the CPU: raise --workers). qat runs on the CPU.")
@click.option("--low-res-fraction", type=click.FloatRange(0.0, 1.0), default=0.6,
              show_default=True,
              help="init stage: share of the steps run at 3/4 resolution (cheaper); 0 for a "
                   "fine-tune at full resolution.")
@click.option("--init-from", type=click.Path(), default=None,
              help="Checkpoint to start from (default: the previous stage's final.pt).")
@click.option("--initializer-from", type=click.Path(), default=None,
              help="Take the pose initializer's weights from this checkpoint instead.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--save-every", type=int, default=50, show_default=True)
@click.option("--stop-at", type=click.IntRange(min=1), default=None,
              help="Stop at this step of the --steps schedule (last.pt written, no final.pt); "
                   "run again without it to finish the schedule.")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Fit the schedule into this much training time (a lent GPU): the learning "
                   "rate anneals by time or steps, whichever is further, and final.pt is "
                   "written when either runs out. Resumed runs count earlier starts' time.")
@click.option("--max-echo", type=click.IntRange(min=0), default=0, show_default=True,
              help="Data echoing: while no rendered batch is ready, train on the last one "
                   "again (time-reversed on odd repeats) up to this many times. For GPUs that "
                   "wait on the CPU renderer; not bit-reproducible.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Rendering worker processes.")
@click.option("--threads", type=int, default=None, help="torch threads per process.")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Continue from the stage's last.pt when it exists.")
@json_option("A summary")
def train(config_name, overrides, stage, penn_root, data, lspet_root, real_prob, out, steps,
          batch, clip_len, lr, adv_weight,
          peak_weight, rounding_noise, swap_prob, drift_prob, double_prob, action_weights,
          mirror_prob, first_state, device, low_res_fraction, init_from, initializer_from, seed,
          save_every, stop_at, max_minutes, max_echo, workers, threads, resume, as_json) -> None:
    """Train a DKD model stage on rendered Penn Action motion and/or real LSPET images
    (resumable; torchrun-ready)."""
    from dkd_edge.model.config import get_config, parse_overrides
    from dkd_edge.train.trainer import TrainOptions
    from dkd_edge.train.trainer import train as run

    config_overrides = parse_overrides(overrides)
    get_config(config_name, **config_overrides)  # unknown names fail here, before any work
    if action_weights:
        from dkd_edge.train.sampling import load_action_weights

        load_action_weights(action_weights)  # so does a bad weights file
    from dkd_edge.locations import dataset_root

    penn_root = str(dataset_root("penn_action", penn_root))
    if data != "render":
        from dkd_edge.data.lspet import LSPET

        lspet_root = str(dataset_root("lspet", lspet_root))
        LSPET(lspet_root, "train")  # a bad LSPET folder fails before any work
    summary = run(TrainOptions(
        config=config_name, config_overrides=config_overrides, stage=stage,
        penn_root=penn_root, data=data, lspet_root=lspet_root, real_prob=real_prob,
        out=out, steps=steps,
        batch=batch, clip_len=clip_len, lr=lr, adv_weight=adv_weight, peak_weight=peak_weight,
        rounding_noise=rounding_noise, swap_prob=swap_prob, drift_prob=drift_prob,
        double_prob=double_prob,
        action_weights=action_weights, mirror_prob=mirror_prob, first_state=first_state,
        device=device,
        low_res_fraction=low_res_fraction,
        init_from=init_from, initializer_from=initializer_from,
        seed=seed, save_every=save_every, stop_at=stop_at,
        time_budget_s=max_minutes * 60 if max_minutes else None, max_echo=max_echo,
        workers=workers, threads=threads,
        resume=resume,
    ))
    if as_json:
        emit_json(summary, as_json)
    elif summary["final"] is None:
        click.echo(f"stopped at step {summary['steps']}: {summary['stopped_at']}")
    else:
        click.echo(f"done: {summary['final']}")
