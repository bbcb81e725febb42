"""``manifest.json`` beside the artifacts, and the metadata embedded in each artifact."""

from __future__ import annotations

import datetime
import json
from importlib import metadata as importlib_metadata
from pathlib import Path

from dkd_edge import __version__
from dkd_edge.keypoints import (
    DEFAULT_DECODE,
    LOCAL_MODE_RADIUS,
    LOCAL_THRESHOLD,
    LOCAL_WINDOW_RADIUS,
)
from dkd_edge.model.config import DKDConfig
from dkd_edge.runtime.artifact import sha256

STATE_CONTRACT = (
    "init(frame) -> (heatmaps, kernels) on the first frame; then on every later frame "
    "step(frame, kernels) -> (heatmaps, kernels_out), feeding kernels_out back as kernels. "
    "Re-run init to re-initialise."
)
VERSIONED = ("torch", "torchao", "onnx", "onnxscript", "onnxruntime", "coremltools",
             "litert-torch", "ai-edge-litert", "numpy")


# Left and right are the person's own: ``left_wrist`` is the person's left wrist (on the
# image's right when they face the camera).
JOINT_CONVENTION = "person-centric"

def tensor(name: str, shape, dtype: str) -> dict:
    return {"name": name, "shape": [int(s) for s in shape], "dtype": dtype}


def file_entry(folder: Path, name: str) -> dict:
    path = folder / name
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() \
        else path.stat().st_size
    return {"path": name, "sha256": sha256(path), "bytes": int(size)}


def versions() -> dict:
    found = {"dkd-edge": __version__}
    for name in VERSIONED:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return found


def model_metadata(config: DKDConfig, target: str, precision: str, layout: str) -> dict:
    """The metadata every artifact embeds (strings only, JSON where structured)."""
    state = list(config.kernel_shape)
    return {
        "dkd_edge.version": __version__,
        "dkd_edge.model": config.name,
        "dkd_edge.target": target,
        "dkd_edge.precision": precision,
        "dkd_edge.preprocessing": json.dumps({**config.preprocessing(), "layout": layout}),
        "dkd_edge.joints": json.dumps(list(config.joint_names)),
        "dkd_edge.joint_convention": JOINT_CONVENTION,
        "dkd_edge.skeleton": json.dumps([list(e) for e in config.skeleton]),
        "dkd_edge.state": json.dumps({"name": "kernels", "shape": state,
                                      "layout": "[batch, joint, channel, ky, kx]"}),
        "dkd_edge.contract": STATE_CONTRACT,
    }


def build_manifest(*, config: DKDConfig, target: str, precision: str, folder: Path,
                   files: list[str], io: dict, layout: str, parity: dict | None,
                   quantization: str | None, checkpoint: str, extra: dict,
                   model_version: str = "unversioned",
                   state_norm_range: dict | None = None) -> dict:
    state_dtype = io["step"]["inputs"][1]["dtype"]
    return {
        "format": "dkd-edge-artifact",
        "format_version": 1,
        "target": target,
        "precision": precision,
        "model": config.name,
        "files": [file_entry(folder, name) for name in files],
        "inputs": io["step"]["inputs"],
        "outputs": io["step"]["outputs"],
        "init": {"inputs": io["init"]["inputs"], "outputs": io["init"]["outputs"]},
        "state": {"name": "kernels", "output_name": "kernels_out",
                  "shape": list(config.kernel_shape), "dtype": state_dtype,
                  "layout": "[batch, joint, channel, ky, kx]", "contract": STATE_CONTRACT,
                  **({"norm_range": state_norm_range} if state_norm_range else {})},
        "preprocessing": {**config.preprocessing(), "layout": layout},
        "joints": list(config.joint_names),
        "joint_convention": JOINT_CONVENTION,
        "skeleton": [list(e) for e in config.skeleton],
        "heatmaps": {"size": [config.heatmap_size, config.heatmap_size],
                     "stride": config.stride,
                     "decode": f"local centroid: weights max(h - {LOCAL_THRESHOLD} * peak, 0); "
                               f"the mode is the {2 * LOCAL_MODE_RADIUS + 1} x "
                               f"{2 * LOCAL_MODE_RADIUS + 1} box with the most weight; "
                               "keypoint = the weighted mean cell within "
                               f"{LOCAL_WINDOW_RADIUS} cells of it (argmax cell when the peak "
                               "is not positive); score = peak; "
                               "image = (grid + 0.5) * stride - 0.5",
                     "decode_method": DEFAULT_DECODE, "decode_threshold": LOCAL_THRESHOLD,
                     "mode_radius": LOCAL_MODE_RADIUS, "window_radius": LOCAL_WINDOW_RADIUS},
        "quantization": quantization,
        "parity": parity,
        "versions": versions(),
        "source": {"checkpoint": checkpoint, "model_version": model_version},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
