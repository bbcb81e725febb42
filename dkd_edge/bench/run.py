"""The bench run: convert (cached), then time and check every artifact against torch."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from dkd_edge.bench.parity import backend_pck
from dkd_edge.bench.timing import time_backend, time_external_tflite
from dkd_edge.converters.graphs import Int8Recipe
from dkd_edge.converters.verify import reference_rollout, verification_frames
from dkd_edge.device import resolve_device
from dkd_edge.locations import dataset_root
from dkd_edge.reference import torch_reference
from dkd_edge.runtime.parity import compare_rollouts
from dkd_edge.runtime.rollout import rollout


@dataclass
class BenchOptions:
    device: str = "auto"
    targets: tuple[str, ...] = ("onnx", "tflite", "coreml")
    precisions: tuple[str, ...] = ("fp32",)
    model_dir: Path | None = None
    checkpoint: str | None = None
    threads: tuple[int, ...] = (1,)
    frames: int = 300
    runs: int = 100
    compare: tuple[str, ...] = ()
    clips: int = 8
    clip_frames: int = 40
    penn_root: str | None = None  # None: <data folder>/penn_action
    jhmdb_root: str | None = None  # real clip(s) for pck_real; None: that column is None
    workdir: Path = Path("runs/bench")
    progress: bool = True
    extra: dict = field(default_factory=dict)


def _artifacts(options: BenchOptions) -> list[tuple[Path, str | None]]:
    """Artifact folders to measure, each with the convert-time gate's refusal (or None).

    An artifact that the gate refuses is still converted (``--no-verify``) and measured, so
    that bench reports how far off it is; its row carries ``gate`` with the refusal.
    """
    if options.model_dir is not None:
        return [(Path(options.model_dir), None)]
    from dkd_edge.converters import ConvertOptions, convert
    from dkd_edge.converters.cache import checkpoint_tag
    from dkd_edge.converters.verify import ParityError

    folders = []
    tag = checkpoint_tag(options.checkpoint)
    from dkd_edge.converters.targets import TARGETS

    for target in options.targets:
        for precision in options.precisions:
            if precision not in TARGETS[target].precisions:
                continue  # e.g. executorch int8: not offered
            folder = options.workdir / "artifacts" / f"{tag}-{target}-{precision}"
            refused = folder.with_name(folder.name + ".gate-refused")
            if not (folder / "manifest.json").is_file():
                try:
                    convert(target, folder, ConvertOptions(precision=precision),
                            checkpoint=options.checkpoint, force=True,
                            progress=options.progress)
                    refused.unlink(missing_ok=True)
                except ParityError as exc:
                    convert(target, folder, ConvertOptions(precision=precision, verify=False),
                            checkpoint=options.checkpoint, force=True,
                            progress=options.progress)
                    refused.write_text(str(exc))
            folders.append((folder, refused.read_text() if refused.is_file() else None))
    return folders


def _backends(manifest: dict) -> list[str | None]:
    """The artifact's default backend; int8 ONNX also as written (exact QDQ), which is what
    convert verifies, beside ONNX Runtime's fused integer kernels (the fast default)."""
    if manifest["target"] == "onnx" and manifest.get("quantization"):
        return [None, "onnxruntime-exact-qdq"]
    return [None]


def run_bench(options: BenchOptions) -> dict:
    from dkd_edge.eval.evaluate import rendered_test_clips, sequence_pck
    from dkd_edge.model.loading import load_model
    from dkd_edge.runtime.artifact import open_backend, read_manifest, size_mb

    device = resolve_device(options.device)
    folders = _artifacts(options)
    rows, references = [], {}
    model = config = data = None
    clips = real = None
    for folder, refusal in tqdm(folders, desc="bench", unit="artifact",
                                disable=not options.progress):
        manifest = read_manifest(folder)
        checkpoint = manifest["source"]["checkpoint"]
        if model is None:
            ckpt = None if checkpoint.startswith("bundled:") else checkpoint
            model, config, data = load_model(ckpt or options.checkpoint)
            frames = verification_frames(config, options.frames)
            penn = str(dataset_root("penn_action", options.penn_root))
            clips = rendered_test_clips(penn, options.clips, options.clip_frames,
                                        config.input_size)
            if options.jhmdb_root:
                from dkd_edge.data.jhmdb import SubJHMDB

                real = list(SubJHMDB(options.jhmdb_root))
        recipe = Int8Recipe.from_manifest(manifest)
        if recipe not in references:
            on = device if recipe is None else "cpu"
            references[recipe] = reference_rollout(
                torch_reference(model, data, recipe, on), frames).heatmaps
        size = size_mb(manifest)
        for backend_name in _backends(manifest):
            backend, _ = open_backend(folder, backend_name, threads=options.threads[0])
            parity = compare_rollouts(references[recipe], rollout(backend, frames).heatmaps)
            pck = backend_pck(backend, clips, config)
            pck_real = (sequence_pck(backend, real, config).groups()["Mean"]
                        if real else None)
            for threads in options.threads:
                if threads != options.threads[0]:
                    backend, _ = open_backend(folder, backend_name, threads=threads,
                                              verify_files=False)
                timing = time_backend(backend, frames[:32], runs=options.runs)
                rows.append({"target": manifest["target"], "precision": manifest["precision"],
                             "backend": backend.name, "threads": threads, "size_mb": size,
                             **timing, **parity, "pck": pck, "pck_real": pck_real,
                             "path": str(folder),
                             "gate": refusal or ("passed" if manifest.get("parity")
                                                 else "not verified")})
    compare = [{"path": str(path), "threads": t, "ms_median": time_external_tflite(path, t)}
               for path in options.compare for t in options.threads]
    return {
        "rows": rows, "compare": compare,
        "reference": {"device": device, "dtype": "float32",
                      "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
                      "int8_reference": "torch int8 (convert_pt2e) graphs on cpu"},
        "frames": options.frames, "clips": options.clips,
        "real_clips": (f"{len(real)} real clip(s) from {options.jhmdb_root}, PCK@0.2 by name"
                       if real else None),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                   f"{torch.get_num_threads()} torch threads",
    }
