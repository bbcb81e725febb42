"""``dkd-edge convert``: export init/step graphs to Core ML, TFLite or ONNX, verified."""

from __future__ import annotations

import os
from pathlib import Path

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.converters.options import INT8_INIT_MODES
from dkd_edge.converters.targets import targets_table


def _size(manifest: dict) -> float:
    from dkd_edge.runtime.artifact import size_mb

    return size_mb(manifest)


def _parity_text(manifest: dict) -> str:
    parity = manifest.get("parity")
    if not parity:
        return "not verified"
    return (f"max|dh| {parity['max_abs_heatmap']:.2g}, "
            f"kp {100 * parity['keypoint_agreement']:.1f}%")


def print_table(rows: list[tuple[dict, str]]) -> None:
    """A closing table like ``yolo export``'s: artifact, size, parity, path."""
    click.echo(f"{'artifact':<16}{'size MB':>9}  {'parity vs torch':<30}  path")
    for manifest, path in rows:
        name = f"{manifest['target']} {manifest['precision']}"
        click.echo(f"{name:<16}{_size(manifest):>9.2f}  {_parity_text(manifest):<30}  {path}")


@click.command(epilog="Targets:\n\n" + targets_table().replace("\n", "\n\n"))
@click.option("--target", "targets", required=True,
              help="coreml (mlpackage, ios), tflite (litert, android), onnx; comma-separated "
                   "or 'all' for several.")
@click.option("--precision", default="fp32", show_default=True, help="fp32, fp16 or int8.")
@click.option("--checkpoint", type=click.Path(), default=None,
              help="Checkpoint to convert (default: the bundled dkd-small).")
@click.option("--imgsz", type=int, default=None, help="Input size (default: the model's).")
@click.option("--out", type=click.Path(), default=None,
              help="Output folder (default runs/export/<model>-<target>-<precision>); with "
                   "several targets, one sub-folder per target.")
@click.option("--opset", type=int, default=18, show_default=True, help="ONNX opset (>= 18).")
@click.option("--calib", type=click.Path(), default=None,
              help="Calibration .npz for int8 post-training quantization (non-QAT checkpoints).")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check a 30-frame rollout against torch before writing.")
@click.option("--minimum-ios", type=int, default=None,
              help="Core ML minimum deployment target (default 16; 17 for int8).")
@click.option("--coreml-state", is_flag=True,
              help="Core ML: keep the kernels in an iOS 18 float16 state (ct.StateType) of "
                   "step.mlpackage instead of passing them in and out; needs --precision fp16.")
@click.option("--via", type=click.Choice(["litert-torch", "onnx-tf", "onnx2tf"]),
              default="litert-torch", show_default=True, help="TFLite converter route.")
@click.option("--via-python", type=click.Path(), default=None,
              help="Python of the separate onnx-tf / onnx2tf environment "
                   "(or DKD_VIA_PYTHON).")
@click.option("--int8-scope", type=click.Choice(["stem", "encoder"]), default=None,
              help="int8: activations int8 in the step encoder's stem conv only (stem, the "
                   "default) or in the whole encoder (encoder).")
@click.option("--int8-weight-bits", type=click.Choice(["7", "8"]), default=None,
              help="int8: 7 keeps weights within -63..63 so that x86 integer kernels without "
                   "VNNI (ONNX Runtime) cannot saturate; ONNX's default is 7, the others' 8.")
@click.option("--int8-init", type=click.Choice(INT8_INIT_MODES), default=None,
              help="int8: the init graph with int8 weights and float activations (weights, "
                   "the default: a quarter of the size, float accuracy), all float (float), "
                   "or full integer (int8, the same as --full-integer).")
@click.option("--full-integer", is_flag=True,
              help="int8: quantize the init graph's activations too, and the whole step "
                   "encoder (--int8-init int8).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@json_option("The manifest(s)")
def convert(targets, precision, checkpoint, imgsz, out, opset, calib, verify, minimum_ios,
            coreml_state, via, via_python, int8_scope, int8_weight_bits, int8_init, full_integer,
            force,
            as_json) -> None:
    """Convert a DKD model to mobile artifacts with the kernel state as explicit I/O."""
    from dkd_edge.converters import ConvertOptions
    from dkd_edge.converters import convert as run
    from dkd_edge.converters.targets import (
        TARGETS,
        check_precision,
        check_target_options,
        options_for,
        resolve_precision,
        resolve_target,
    )
    from dkd_edge.converters.verify import ParityError
    from dkd_edge.errors import DkdError

    every = targets.strip().lower() == "all"
    names = list(TARGETS) if every else [t for t in targets.split(",") if t.strip()]
    specs = [resolve_target(name) for name in names]
    precision = resolve_precision(precision)
    if every:  # all: the targets that offer this precision
        specs = [spec for spec in specs if precision in spec.precisions]
    for spec in specs:
        check_precision(spec, precision)
    if calib and not Path(calib).is_file():
        raise DkdError(f"--calib {calib}: file not found")
    if imgsz is not None and (imgsz < 64 or imgsz % 32):
        raise DkdError(f"--imgsz must be a multiple of 32 and at least 64, got {imgsz}")
    if opset < 1:
        raise DkdError(f"--opset must be positive, got {opset}")
    options = ConvertOptions(
        precision=precision, calib=Path(calib) if calib else None, verify=verify, opset=opset,
        via=via,
        via_python=via_python or (os.environ.get("DKD_VIA_PYTHON") if via != "litert-torch"
                                  else None),
        minimum_ios=minimum_ios, coreml_state=coreml_state, full_integer=full_integer,
        int8_scope=int8_scope, int8_init=int8_init,
        int8_weight_bits=int(int8_weight_bits) if int8_weight_bits else None)
    check_target_options(specs, options)
    if coreml_state:
        from dkd_edge.converters.coreml_target import check_state_options

        check_state_options(options)  # before any work
    rows, refused = [], []
    for spec in specs:
        if out is None:
            model = "dkd-small" if checkpoint is None else Path(checkpoint).stem
            folder = Path("runs/export") / f"{model}-{spec.name}-{precision}"
        else:
            folder = Path(out) if len(specs) == 1 else Path(out) / f"{spec.name}-{precision}"
        try:
            manifest = run(spec.name, folder, options_for(spec, options),
                           checkpoint=checkpoint, imgsz=imgsz,
                           force=force, progress=not as_json)
        except ParityError as exc:
            if len(specs) == 1:
                raise
            refused.append(str(exc))  # several targets: convert the others, then report
            continue
        rows.append((manifest, str(folder)))
    if as_json:
        data = [m for m, _ in rows]
        emit_json(data[0] if len(data) == 1 else data, as_json)
    elif rows:
        print_table(rows)
    if refused:
        raise DkdError(f"{len(refused)} of {len(specs)} targets refused: " + "; ".join(refused))
