"""Capture a calibration set by running the float model recurrently over rendered clips."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from dkd_edge.calibration.dataset import FORMAT, CalibrationSet
from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.render import RenderConfig, render_sequence
from dkd_edge.data.render_job import pick_evenly
from dkd_edge.errors import DkdError
from dkd_edge.model.dkd import DKD
from dkd_edge.model.tracker_fns import FnsBackend, TrackerFns
from dkd_edge.preprocess import normalise_nchw
from dkd_edge.runtime.rollout import rollout

CALIBRATION_SEED = 4242  # distinct from the evaluation seed: calibration never sees test clips


def state_statistics(kernels: np.ndarray) -> dict:
    """Per-state L2 norms and the value range: what the runtime's drift guard compares to."""
    flat = kernels.reshape(-1, int(np.prod(kernels.shape[2:])))
    norms = np.linalg.norm(flat, axis=1)
    return {"norm_p50": float(np.median(norms)), "norm_p99": float(np.percentile(norms, 99)),
            "norm_max": float(norms.max()), "min": float(kernels.min()),
            "max": float(kernels.max())}


@torch.no_grad()
def capture_calibration_set(model: DKD, penn_root, clips: int, frames: int = 30,
                            split: str = "train", seed: int = CALIBRATION_SEED,
                            source: str = "", progress: bool = True) -> CalibrationSet:
    """Render ``clips`` clips of ``split`` motion and record (frame, state) pairs.

    The float model runs init on frame 0 and step afterwards, its kernels fed back, exactly as
    the exported graphs will run; each frame is stored with the state it was seen with.
    """
    if clips < 1 or frames < 2:
        raise DkdError("a calibration set needs --clips >= 1 and --frames >= 2")
    config = model.config
    dataset = PennAction(penn_root, split)
    if len(dataset) == 0:
        raise DkdError(f"{penn_root}: the {split} split is empty; nothing to calibrate on")
    model = model.eval()
    all_frames, all_kernels = [], []
    for index in tqdm(pick_evenly(len(dataset), clips), desc="calibrate", unit="clip",
                      disable=not progress):
        clip = render_sequence(dataset[index], seed * 100_003 + index,
                               RenderConfig(size=config.input_size), max_frames=frames)
        run = rollout(FnsBackend(TrackerFns(model.init, model.step)),
                      [normalise_nchw(f, config.mean, config.std) for f in clip.frames])
        # frame 0 is stored with the state init returned; every later one with the state
        # its step received
        states = [run.states_out[0][0]] + [state[0] for state in run.states_in[1:]]
        count = len(clip.frames)
        if count < frames:  # short sequence: repeat its last frame and state
            states += [states[-1]] * (frames - count)
            clip_frames = np.concatenate([clip.frames, np.repeat(clip.frames[-1:], frames - count,
                                                                 axis=0)])
        else:
            clip_frames = clip.frames
        all_frames.append(clip_frames)
        all_kernels.append(np.stack(states))
    kernels = np.stack(all_kernels).astype(np.float32)
    meta = {"format": FORMAT, "config": config.name, "input_size": config.input_size,
            "kernel_shape": list(config.kernel_shape), "mean": list(config.mean),
            "std": list(config.std), "split": split, "seed": seed, "source": source,
            "clips": clips, "frames": frames, "state": state_statistics(kernels[:, 1:])}
    return CalibrationSet(np.stack(all_frames).astype(np.uint8), kernels, meta)
