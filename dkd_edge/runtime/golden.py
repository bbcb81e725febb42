"""Golden rollouts: a few frames and the torch reference's closed-loop outputs on them,
written beside every artifact (``golden.npz``) so that any machine or app can check the
artifact it runs against the model it came from.

``golden.npz`` holds plain arrays (``numpy.load(..., allow_pickle=False)`` reads it):

- ``pixels``    uint8 [N, S, S, 3]: the frames as an app has them (RGB, already square);
                normalise with the manifest's ``preprocessing`` (x / 255 - mean) / std.
- ``heatmaps``  float32 [N, J, h, w]: the reference's heatmaps, frame 0 from ``init``, the
                rest from ``step`` fed its own previous state (closed loop, as an app runs).
- ``states``    float32 [N, ...]: the reference's kernel state after each call.
- ``keypoints`` float32 [N, J, 2]: the reference's decoded keypoints (heatmap cells).

The manifest's ``golden`` entry records the file, its SHA-256, the frame count and the
tolerances: per frame, the heatmap difference (fp32 / fp16) or the share of joints whose
keypoint is within ``keypoint_cells`` heatmap cells of the reference's (int8); over the
rollout, the same limits as the conversion gate.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError
from dkd_edge.keypoints import decode_heatmaps
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.runtime.backend import Backend
from dkd_edge.runtime.parity import TOLERANCES
from dkd_edge.runtime.rollout import Rollout, rollout

GOLDEN_FILE = "golden.npz"
GOLDEN_FRAMES = 8
KEYPOINT_CELLS = 1.0
# Per-frame limits (the rollout as a whole must also meet the gate's limit).
FRAME_TOLERANCES = {"fp32": {"max_abs_heatmap": 1e-4}, "fp16": {"max_abs_heatmap": 1e-2},
                    "int8": {"keypoint_agreement": 0.9}}


def write_golden(folder: Path, pixels: list[np.ndarray], reference: Rollout,
                 precision: str) -> dict:
    """Write ``golden.npz`` for the first ``len(pixels)`` frames of ``reference``; returns
    the manifest's ``golden`` entry."""
    count = len(pixels)
    heatmaps = np.concatenate(reference.heatmaps[:count]).astype(np.float32)
    keypoints, _ = decode_heatmaps(heatmaps)
    states = np.stack([np.asarray(s, np.float32) for s in reference.states_out[:count]])
    path = Path(folder) / GOLDEN_FILE
    with open(path, "wb") as handle:
        np.savez_compressed(handle, pixels=np.stack(pixels).astype(np.uint8),
                            heatmaps=heatmaps, states=states,
                            keypoints=keypoints.astype(np.float32))
    return {"path": GOLDEN_FILE, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size, "frames": count, "keypoint_cells": KEYPOINT_CELLS,
            "tolerance": {"frame": FRAME_TOLERANCES[precision],
                          "rollout": TOLERANCES[precision]},
            "reference": "torch, closed loop"}


def read_golden(folder: Path, manifest: dict) -> dict[str, np.ndarray]:
    """The golden arrays of an artifact, checked against the manifest's hash."""
    entry = manifest.get("golden")
    path = Path(folder) / (entry or {}).get("path", GOLDEN_FILE)
    if not entry or not path.is_file():
        raise DkdError(f"{folder} has no golden rollout ({GOLDEN_FILE}): convert it again "
                       "with this dkd-edge to get one")
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
        raise DkdError(f"{path} does not match the manifest's SHA-256: the file was changed "
                       "or damaged; convert again")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("pixels", "heatmaps", "states", "keypoints")}
    except (OSError, ValueError, KeyError) as exc:
        raise DkdError(f"{path} is not a golden rollout ({exc}); convert again") from exc
    return arrays


@dataclass
class FrameCheck:
    """One frame of a golden replay."""

    frame: int
    call: str  # "init" or "step"
    max_abs_heatmap: float
    keypoint_agreement: float
    passed: bool


def verify_golden(backend: Backend, folder: Path, manifest: dict) -> dict:
    """Replay the golden frames through ``backend`` closed loop (its own state fed back, as
    an app runs it) and check every frame and the whole rollout against the tolerances."""
    golden = read_golden(folder, manifest)
    entry = manifest["golden"]
    prep = manifest["preprocessing"]
    frames = [normalise_nchw(p, prep["mean"], prep["std"]) for p in golden["pixels"]]
    got = rollout(backend, frames)
    reference = golden["heatmaps"]
    candidate = got.stacked().astype(np.float32)
    if candidate.shape != reference.shape:
        raise DkdError(f"{folder}: the artifact gives heatmaps {list(candidate.shape[1:])}, "
                       f"the golden rollout {list(reference.shape[1:])}: convert again")
    keypoints, _ = decode_heatmaps(candidate)
    finite = np.isfinite(candidate).reshape(len(frames), -1).all(axis=1)
    diff = np.where(finite, np.abs(candidate - reference).reshape(len(frames), -1).max(axis=1),
                    np.inf)
    cells = float(entry.get("keypoint_cells", KEYPOINT_CELLS))
    agree = np.linalg.norm(keypoints - golden["keypoints"], axis=-1) <= cells
    agree &= finite[:, None]
    frame_limits, rollout_limits = entry["tolerance"]["frame"], entry["tolerance"]["rollout"]
    checks = []
    for index in range(len(frames)):
        passed = bool(_within(frame_limits, diff[index], agree[index].mean()))
        checks.append(FrameCheck(index, "init" if index == 0 else "step", float(diff[index]),
                                 float(agree[index].mean()), passed))
    overall = bool(all(c.passed for c in checks)
                   and _within(rollout_limits, diff.max(), agree.mean()))
    return {"path": str(folder), "backend": backend.name, "target": manifest["target"],
            "precision": manifest["precision"], "frames": len(frames), "passed": overall,
            "max_abs_heatmap": float(diff.max()), "keypoint_agreement": float(agree.mean()),
            "tolerance": entry["tolerance"], "per_frame": [asdict(c) for c in checks]}


def _within(limits: dict, max_abs: float, agreement: float) -> bool:
    if "max_abs_heatmap" in limits:
        return max_abs <= limits["max_abs_heatmap"]
    return agreement >= limits["keypoint_agreement"]


def export_golden(folder: Path, manifest: dict, out: Path) -> list[str]:
    """The golden rollout as plain files an app test reads without a zip or npy reader:
    ``golden.json`` (shapes, tolerances, preprocessing, the reference keypoints),
    ``pixels.u8`` (uint8 [N, S, S, 3]) and ``heatmaps.f32`` (little-endian float32
    [N, J, h, w]). Returns the names written."""
    import json

    golden = read_golden(folder, manifest)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    golden["pixels"].astype(np.uint8).tofile(out / "pixels.u8")
    golden["heatmaps"].astype("<f4").tofile(out / "heatmaps.f32")
    entry = manifest["golden"]
    meta = {"frames": int(golden["pixels"].shape[0]),
            "pixels_shape": list(golden["pixels"].shape),
            "heatmaps_shape": list(golden["heatmaps"].shape),
            "state_shape": list(golden["states"].shape[1:]),
            "keypoints": golden["keypoints"].round(5).tolist(),
            "keypoint_cells": entry.get("keypoint_cells", KEYPOINT_CELLS),
            "tolerance": entry["tolerance"], "precision": manifest["precision"],
            "preprocessing": manifest["preprocessing"], "joints": manifest["joints"]}
    (out / "golden.json").write_text(json.dumps(meta) + "\n")
    return ["golden.json", "pixels.u8", "heatmaps.f32"]
