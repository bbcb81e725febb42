"""The calibration set file: frames, the kernel states they were seen with, and metadata."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError

FORMAT = "dkd-edge-calibration/1"


@dataclass
class CalibrationSet:
    """Recurrent calibration data for one model config.

    frames: uint8 [N, T, S, S, 3] RGB model inputs (already letterboxed to S x S);
    kernels: float32 [N, T, J, C, k, k], ``kernels[n, t]`` the state that ``step`` receives
    with ``frames[n, t]`` (t >= 1; t = 0 holds ``init``'s output for that clip's frame 0);
    meta: config name, input size, kernel shape, mean/std, source and state statistics.
    """

    frames: np.ndarray
    kernels: np.ndarray
    meta: dict

    @property
    def clips(self) -> int:
        return int(self.frames.shape[0])

    @property
    def frames_per_clip(self) -> int:
        return int(self.frames.shape[1])

    def check_fits(self, config) -> None:
        """Refuse a set captured for another config or input size."""
        if self.meta.get("config") != config.name:
            raise DkdError(f"calibration set is for {self.meta.get('config')!r}, the model is "
                           f"{config.name!r}: run `dkd-edge calibrate` with this checkpoint")
        size = int(self.meta.get("input_size", -1))
        if size != config.input_size:
            raise DkdError(f"calibration set frames are {size}x{size}, the model takes "
                           f"{config.input_size}x{config.input_size}: recapture it")
        if tuple(self.meta.get("kernel_shape", ())) != tuple(config.kernel_shape):
            raise DkdError(f"calibration set state shape {self.meta.get('kernel_shape')} is not "
                           f"the model's {list(config.kernel_shape)}: recapture it")

    def normalised_frames(self, mean, std) -> np.ndarray:
        """float32 [N, T, 3, S, S] normalised like the model's input."""
        x = self.frames.astype(np.float32) / 255.0
        x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
        return np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3))

    def save(self, path: str | Path) -> Path:
        """Write atomically (temporary name, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.partial")
        with open(staging, "wb") as handle:
            np.savez_compressed(handle, frames=self.frames, kernels=self.kernels,
                                meta=np.frombuffer(json.dumps(self.meta).encode(), np.uint8))
        os.replace(staging, path)
        return path


def load_calibration_set(path: str | Path) -> CalibrationSet:
    """Read a set written by ``dkd-edge calibrate``; bad files get a one-line DkdError."""
    path = Path(path)
    if not path.is_file():
        raise DkdError(f"{path}: calibration file not found (make one with `dkd-edge calibrate`)")
    try:
        with np.load(path, allow_pickle=False) as data:
            frames, kernels = data["frames"], data["kernels"]
            meta = json.loads(bytes(data["meta"]).decode())
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DkdError(f"{path}: not a dkd-edge calibration set ({type(exc).__name__}); "
                       "recreate it with `dkd-edge calibrate`") from exc
    if meta.get("format") != FORMAT:
        raise DkdError(f"{path}: unknown calibration format {meta.get('format')!r}")
    if frames.ndim != 5 or frames.shape[0] == 0 or frames.shape[1] == 0:
        raise DkdError(f"{path}: the calibration set is empty; capture it with --clips >= 1")
    if kernels.shape[:2] != frames.shape[:2]:
        raise DkdError(f"{path}: frames {frames.shape[:2]} and states {kernels.shape[:2]} differ")
    return CalibrationSet(frames, kernels, meta)
