"""``convert``: load, export to a staging folder, verify, write the manifest, then rename.

Nothing appears at ``out`` unless the artifact matched torch within tolerance.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import torch
from tqdm import tqdm

from dkd_edge.converters.base import target_module
from dkd_edge.converters.graphs import Int8Recipe, build_export_graphs
from dkd_edge.converters.manifest import build_manifest, model_metadata, write_manifest
from dkd_edge.converters.options import ConvertOptions
from dkd_edge.converters.targets import (
    check_precision,
    check_target_options,
    resolve_precision,
    resolve_target,
)
from dkd_edge.converters.verify import (
    VERIFY_FRAMES,
    ParityError,
    reference_rollout,
    state_norm_range,
    verification_pixels,
)
from dkd_edge.errors import DkdError
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.quiet import third_party_output
from dkd_edge.runtime.golden import GOLDEN_FRAMES, write_golden
from dkd_edge.runtime.parity import compare_rollouts, describe_tolerance, within_tolerance
from dkd_edge.runtime.rollout import rollout

STAGING_MARK = ".partial-"


def check_output_folder(out: Path, force: bool) -> None:
    """Refuse an --out that can't become an artifact folder, before any work."""
    if out.exists() and not out.is_dir():
        raise DkdError(f"--out {out} is a file; an artifact is a folder: choose another --out "
                       "or remove the file")
    if out.exists() and not force:
        raise DkdError(f"{out} exists: choose another --out or pass --force to replace it")


def make_staging(out: Path) -> Path:
    """A hidden folder beside ``out`` named after this process, readable as the umask says
    (mkdtemp makes 0700)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{STAGING_MARK}{os.getpid()}-",
                                    dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(out: Path) -> list[Path]:
    """Delete staging folders for ``out`` left by a convert that was killed (its process is
    gone); one still being written by a live process stays."""
    removed = []
    if not out.parent.is_dir():
        return removed
    for path in out.parent.glob(f".{out.name}{STAGING_MARK}*"):
        pid_text = path.name[len(f".{out.name}{STAGING_MARK}"):].split("-", 1)[0]
        if path.is_dir() and (not pid_text.isdigit() or not _alive(int(pid_text))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def load_for_conversion(checkpoint, imgsz: int | None):
    """The model (bundled default unless ``checkpoint``), rebuilt at ``imgsz`` if given."""
    from dkd_edge.model.dkd import DKD
    from dkd_edge.model.loading import load_model

    if imgsz is not None and (imgsz % 32 or imgsz < 64):
        raise DkdError(f"--imgsz must be a multiple of 32 and at least 64, got {imgsz}")
    model, config, data = load_model(checkpoint)
    if imgsz and imgsz != config.input_size:
        config = dataclasses.replace(config, input_size=imgsz)
        resized = DKD(config)
        resized.load_state_dict(model.state_dict())
        model = resized.eval()
    return model, config, data


def _int8_fields(graphs) -> dict:
    """What an int8 manifest records about its quantization: the recipe (bench rebuilds the
    reference from it) and the step layers left with int8 activations."""
    if graphs.recipe is None:
        return {}
    from dkd_edge.quant.scope import int8_layers

    return {**graphs.recipe.manifest_fields(), "int8_step_layers": int8_layers(graphs.step)}


def _single_threaded(fn, *args):
    """Run ``fn`` on one torch thread: the torch reference of the gate is then the same on
    every machine (float sums split across threads round differently, and int8 agreement
    near the threshold moves with it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn(*args)
    finally:
        torch.set_num_threads(threads)


def convert(target: str, out: str | Path, options: ConvertOptions | None = None,
            checkpoint: str | Path | None = None, imgsz: int | None = None,
            force: bool = False, progress: bool = True) -> dict:
    """Convert a DKD checkpoint to one target; returns the written manifest."""
    options = options or ConvertOptions()
    spec = resolve_target(target)
    check_target_options([spec], options)
    precision = resolve_precision(options.precision)
    check_precision(spec, precision)
    options = dataclasses.replace(
        options, precision=precision,
        verify_frames=options.verify_frames or VERIFY_FRAMES[precision])
    out = Path(out)
    check_output_folder(out, force)
    with third_party_output():  # importing a converter wakes TensorFlow's C++ logging
        module = target_module(spec)
        module.check_available()
    remove_stale_staging(out)

    verify_steps = 2 * options.verify_frames if options.verify else 0
    bar = tqdm(total=3 + verify_steps, desc=f"convert {spec.name} {precision}", unit="step",
               disable=not progress)
    bar.set_postfix_str("load")
    model, config, data = load_for_conversion(checkpoint, imgsz)
    recipe = Int8Recipe.for_conversion(options, spec, data)
    graphs = build_export_graphs(model, data, precision, recipe)
    bar.update(1)
    staging = make_staging(out)
    try:
        bar.set_postfix_str("export")
        layout = module.layout(options)
        metadata = model_metadata(config, spec.name, precision, layout)
        files = module.export(graphs, staging, options, metadata)
        bar.update(1)
        parity, reference = None, None
        pixels = verification_pixels(config, options.verify_frames)
        frames = [normalise_nchw(p, config.mean, config.std) for p in pixels]
        if options.verify:
            bar.set_postfix_str(f"verify: torch rollout, {options.verify_frames} frames")
            tick = lambda: bar.update(1)  # noqa: E731
            reference = _single_threaded(reference_rollout, graphs.reference, frames, tick)
            bar.set_postfix_str(f"verify: {spec.name} rollout, {options.verify_frames} frames")
            with third_party_output():
                backend = module.open_backend(staging, options)
            parity = compare_rollouts(reference.heatmaps,
                                      rollout(backend, frames, on_frame=tick).heatmaps)
            parity["tolerance"] = describe_tolerance(precision)
            parity["backend"] = backend.name
            parity.update(module.extra_parity(staging, options, frames, reference.heatmaps))
            if not within_tolerance(precision, parity):
                raise ParityError(
                    f"{spec.name} {precision} does not match torch: max abs heatmap error "
                    f"{parity['max_abs_heatmap']:.3g}, keypoint agreement "
                    f"{parity['keypoint_agreement']:.3f} over {parity['frames']} frames "
                    f"(needs {parity['tolerance']}); nothing was written")
        bar.set_postfix_str("write")
        if reference is None:  # --no-verify: the state range still comes from torch
            reference = _single_threaded(reference_rollout, graphs.reference, frames)
        manifest = build_manifest(
            config=config, target=spec.name, precision=precision, folder=staging, files=files,
            io=module.describe_io(graphs, options), layout=layout, parity=parity,
            quantization=graphs.quantization,
            checkpoint=str(checkpoint) if checkpoint else f"bundled:{config.name}",
            model_version=str(data.get("model_version", "unversioned")),
            state_norm_range=state_norm_range(reference),
            extra={**module.manifest_extra(options), **_int8_fields(graphs),
                   "golden": write_golden(staging, pixels[:GOLDEN_FRAMES], reference,
                                          precision)})
        write_manifest(staging, manifest)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        bar.update(1)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        bar.close()
    return manifest
