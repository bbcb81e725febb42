"""Latency rows without a torch reference: what ``bench --model`` measures on a runtime-only
install (or with ``--no-reference``). Torch is never imported here."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from dkd_edge.bench.timing import time_backend, time_external_tflite
from dkd_edge.runtime.artifact import open_backend, read_manifest, size_mb

NO_REFERENCE = "not measured: no torch reference (pip install 'dkd-edge[convert]' for parity)"


def timing_frames(manifest: dict, count: int = 32) -> list[np.ndarray]:
    """Normalised NCHW frames of the artifact's input size (seeded noise: latency does not
    depend on the content)."""
    size = int(manifest["preprocessing"]["input_size"][0])
    rng = np.random.default_rng(0)
    return [rng.standard_normal((1, 3, size, size)).astype(np.float32) for _ in range(count)]


def latency_bench(model_dir: str | Path, threads: tuple[int, ...] = (1,), runs: int = 100,
                  compare: tuple[str, ...] = ()) -> dict:
    """Size and init/step latency of one artifact per thread count; parity columns empty."""
    manifest = read_manifest(model_dir)
    frames = timing_frames(manifest)
    size = size_mb(manifest)
    rows = []
    for count in threads:
        backend, _ = open_backend(model_dir, threads=count)
        rows.append({"target": manifest["target"], "precision": manifest["precision"],
                     "backend": backend.name, "threads": count, "size_mb": size,
                     **time_backend(backend, frames, runs=runs), "pck": None,
                     "max_abs_heatmap": None, "keypoint_agreement": None, "drift": {},
                     "parity": NO_REFERENCE, "path": str(model_dir),
                     "gate": "passed" if manifest.get("parity") else "not verified"})
    compare_rows = [{"path": str(path), "threads": t, "ms_median": time_external_tflite(path, t)}
                    for path in compare for t in threads]
    return {"rows": rows, "compare": compare_rows,
            "reference": {"device": "none", "dtype": "-", "note": NO_REFERENCE},
            "frames": 0, "clips": 0,
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}"}
