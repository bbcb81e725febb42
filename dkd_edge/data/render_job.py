"""``dkd-edge data render``: a Penn Action split rendered to a new Penn-layout folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dkd_edge.data.penn_action import PennAction
from dkd_edge.data.penn_writer import write_penn_clip
from dkd_edge.data.render import RenderConfig, render_sequence
from dkd_edge.errors import DkdError


def pick_evenly(count: int, limit: int | None) -> list[int]:
    """``limit`` indices spread evenly over ``count`` items (all of them when None)."""
    if limit is None or limit >= count:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, limit).round().astype(int).tolist()))


def clip_seed(seed: int, seq_id: str) -> int:
    """A per-sequence seed that depends only on the job seed and the sequence id."""
    return int(seed) * 100_003 + int(seq_id) if seq_id.isdigit() else hash((seed, seq_id))


def render_penn_split(
    penn_root: str | Path,
    split: str,
    out: str | Path,
    limit: int | None = None,
    max_frames: int | None = None,
    seed: int = 0,
    config: RenderConfig | None = None,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Render ``limit`` sequences of a split; the folder appears only once it is complete."""
    out = Path(out)
    if out.exists() and not force:
        raise DkdError(f"{out} exists: choose another --out or pass --force to replace it")
    if limit is not None and limit < 1:
        raise DkdError(f"--limit must be at least 1, got {limit}")
    dataset = PennAction(penn_root, split)
    if len(dataset) == 0:
        raise DkdError(f"{penn_root}: split {split!r} has no sequences")
    chosen = [dataset.ids[i] for i in pick_evenly(len(dataset), limit)]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    frames = 0
    try:
        total = sum(
            min(len(dataset.label(i)["joints"]), max_frames or 10**9) for i in chosen
        )
        with tqdm(total=total, unit="frame", desc=f"render {split}", disable=not progress) as bar:
            for seq_id in chosen:
                index = dataset.ids.index(seq_id)
                sequence = dataset[index]
                clip = render_sequence(sequence, clip_seed(seed, seq_id), config, max_frames)
                write_penn_clip(
                    staging, seq_id, clip, sequence.meta["split"],
                    sequence.meta["action"], sequence.meta["pose"],
                )
                frames += len(clip.frames)
                bar.update(len(clip.frames))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"out": str(out), "sequences": len(chosen), "frames": frames, "split": split}
