"""``dkd-edge info`` and ``dkd-edge eval``: model cost and accuracy."""

from __future__ import annotations

import math

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.errors import DkdError
from dkd_edge.keypoints import DECODE_METHODS, DEFAULT_DECODE


def _fmt(value: float) -> str:
    return "  n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:5.1f}"


@click.command()
@click.option("--checkpoint", type=click.Path(), default=None,
              help="Checkpoint (default: the bundled dkd-small).")
@click.option("--config", "config_name", default=None,
              help="A registered config; without --checkpoint, describes it untrained.")
@click.option("--model", "model_dir", type=click.Path(), default=None,
              help="Describe this artifact folder (a `convert --out`) instead; needs no torch.")
@json_option("The result")
def info(checkpoint, config_name, model_dir, as_json) -> None:
    """Parameters and FLOPs per frame of the init and step graphs, or an artifact's summary."""
    if model_dir is not None:
        if checkpoint or config_name:
            raise DkdError("--model describes an artifact: drop --checkpoint / --config")
        _artifact_info(model_dir, as_json)
        return
    from dkd_edge.eval.cost import model_cost
    from dkd_edge.model import DKD, get_config
    from dkd_edge.model.loading import bundled_checkpoint, load_model

    if checkpoint is None and config_name is not None and not bundled_checkpoint(
            config_name).is_file():
        model = DKD(get_config(config_name)).eval()
        source = f"config {config_name} (untrained)"
    else:
        model, _, _ = load_model(checkpoint, config_name)
        source = str(checkpoint or bundled_checkpoint(config_name or model.config.name))
    result = {**model_cost(model), "source": source}
    if as_json:
        emit_json(result, as_json)
        return
    click.echo(f"model {result['model']} from {source}")
    click.echo(f"  input {result['input_size']}, heatmaps {result['heatmap_size']}, "
               f"kernels {result['kernel_shape']}")
    click.echo(f"  init: {result['params_init'] / 1e6:.2f} M params, "
               f"{result['flops_init'] / 1e9:.3f} GFLOPs")
    click.echo(f"  step: {result['params_step'] / 1e6:.3f} M params, "
               f"{result['flops_step'] / 1e9:.3f} GFLOPs "
               f"({result['flops_ratio']:.3f} of init)")


def _artifact_info(model_dir: str, as_json: bool) -> None:
    from dkd_edge.runtime.artifact import artifact_summary

    summary = artifact_summary(model_dir)
    if as_json:
        emit_json(summary, as_json)
        return
    click.echo(f"artifact {summary['path']}: {summary['model']} {summary['model_version']}, "
               f"{summary['target']} {summary['precision']}, {summary['size_mb']:.2f} MB")
    click.echo(f"  input {summary['input']}, state {summary['state']}, "
               f"{len(summary['joints'])} joints ({summary['joint_convention']})")
    click.echo(f"  files: {', '.join(summary['files'])}")
    click.echo(f"  convert gate: {summary['gate']}")


@click.command(name="eval")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="Checkpoint (default: the bundled dkd-small).")
@click.option("--penn-root", default=None, type=click.Path(),
              help="Penn Action labels: test-split motion is rendered (default: "
                   "DATA/penn_action).")
@click.option("--split", type=click.Choice(["test"]), default="test", show_default=True)
@click.option("--limit", type=int, default=20, show_default=True, help="Rendered test clips.")
@click.option("--max-frames", type=int, default=60, show_default=True)
@click.option("--jhmdb-root", type=click.Path(), default=None,
              help="Also evaluate on the real Sub-JHMDB clips under this folder.")
@click.option("--lspet-root", type=click.Path(), default=None,
              help="Also evaluate on real pixels: the LSPET validation split under this folder "
                   "(initializer per image, DKD over synthetic-motion clips).")
@click.option("--lspet-limit", type=int, default=None,
              help="At most N LSPET validation images (default: all 900).")
@click.option("--lspet-frames", type=int, default=16, show_default=True,
              help="Frames per LSPET synthetic-motion clip.")
@click.option("--lspet-paired", is_flag=True,
              help="Also run the initializer on every frame of the LSPET clips.")
@click.option("--rendered/--no-rendered", default=True, show_default=True,
              help="The rendered test-split rows (a regression guard).")
@click.option("--no-qat", is_flag=True, help="Skip the DKD-QAT rows.")
@click.option("--initializer-from", type=click.Path(), default=None,
              help="Use this checkpoint's pose initializer (same config) under the step path; "
                   "float rows only.")
@click.option("--decode", type=click.Choice(DECODE_METHODS), default=DEFAULT_DECODE,
              show_default=True,
              help="How keypoints are read off heatmaps: the local centroid (what the runtime "
                   "uses), the centroid over the whole map (the earlier default) or "
                   "the argmax cell.")
@json_option("The result")
def eval_command(checkpoint, penn_root, split, limit, max_frames, jhmdb_root, lspet_root,
                 lspet_limit, lspet_frames, lspet_paired, rendered, no_qat,
                 initializer_from, decode, as_json) -> None:
    """PCK@0.2 of the initializer, DKD and DKD-QAT on real pixels (LSPET, JHMDB, Penn Action
    frames when present) and on rendered test clips (a regression guard)."""
    from dkd_edge.eval.report import run_eval

    result = run_eval(checkpoint, penn_root, limit, max_frames, jhmdb_root,
                      with_qat=not no_qat, progress=not as_json,
                      initializer_from=initializer_from, decode=decode,
                      lspet_root=lspet_root, lspet_limit=lspet_limit,
                      lspet_frames=lspet_frames, lspet_paired=lspet_paired, rendered=rendered)
    if as_json:
        emit_json(result, as_json)
        return
    groups = ["Head", "Sho", "Elb", "Wri", "Hip", "Knee", "Ank", "Mean"]
    click.echo(f"{'PCK@0.2':<22}" + "".join(f"{g:>7}" for g in groups))
    for name, table in result["per_group"].items():
        click.echo(f"{name:<22}" + "".join(f"{_fmt(table[g]):>7}" for g in groups))
    for source in ("lspet", "penn_real"):
        for name, table in result.get(source, {}).get("per_group", {}).items():
            click.echo(f"{source + '_' + name:<22}"
                       + "".join(f"{_fmt(table[g]):>7}" for g in groups))
    if not rendered:
        return
    for name, (low, high) in result["pck_ci95"].items():
        click.echo(f"{name}: mean {_fmt(result['pck'][name]).strip()}, 95 % interval over "
                   f"{result['clips']} clips {_fmt(low).strip()}-{_fmt(high).strip()}; "
                   f"over every drawn joint {_fmt(result['pck_drawn'][name]).strip()}")
