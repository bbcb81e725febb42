"""PCK@alpha as in LSTM Pose Machines and DKD.

A joint is correct when its distance to the ground truth is at most
``alpha * max(bbox width, bbox height)``; only visible joints count. ``Mean`` is the share of
all visible joints that are correct (every visible joint weighs the same).

Clips are the unit of sampling: frames of one clip share a figure, a camera and a motion, so
``PCKAccumulator.mean_interval`` bootstraps over clips (each ``update`` call), not frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dkd_edge.skeleton import PCK_GROUPS, PENN_JOINTS


def correct_joints(
    pred: np.ndarray, gt: np.ndarray, visibility: np.ndarray, bbox: np.ndarray, alpha: float = 0.2
) -> np.ndarray:
    """[N, J] bool: each prediction within alpha * max(bbox w, h) of the truth."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    bbox = np.asarray(bbox, np.float64)
    size = np.maximum(bbox[..., 2] - bbox[..., 0], bbox[..., 3] - bbox[..., 1])
    dist = np.linalg.norm(pred - gt, axis=-1)
    return (dist <= alpha * size[..., None]) & np.asarray(visibility, bool)


@dataclass
class PCKAccumulator:
    """Accumulates correct / visible counts per joint over frames and clips."""

    alpha: float = 0.2
    num_joints: int = len(PENN_JOINTS)
    correct: np.ndarray = field(init=False)
    visible: np.ndarray = field(init=False)
    clip_correct: list[int] = field(init=False)
    clip_visible: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.correct = np.zeros(self.num_joints, np.int64)
        self.visible = np.zeros(self.num_joints, np.int64)
        self.clip_correct, self.clip_visible = [], []

    def update(self, pred, gt, visibility, bbox) -> None:
        """Add frames: pred/gt [..., J, 2], visibility [..., J], bbox [..., 4]."""
        hits = correct_joints(pred, gt, visibility, bbox, self.alpha)
        vis = np.asarray(visibility, bool)
        self.correct += hits.reshape(-1, self.num_joints).sum(0)
        self.visible += vis.reshape(-1, self.num_joints).sum(0)
        self.clip_correct.append(int(hits.sum()))
        self.clip_visible.append(int(vis.sum()))

    def per_clip(self) -> list[float]:
        """Mean PCK in percent of each ``update`` call (one clip), NaN where none visible."""
        return [100.0 * c / v if v else float("nan")
                for c, v in zip(self.clip_correct, self.clip_visible)]

    def mean_interval(self, level: float = 0.95, resamples: int = 2000, seed: int = 0
                      ) -> tuple[float, float]:
        """Bootstrap interval of the mean PCK (percent), resampling whole clips."""
        correct = np.asarray(self.clip_correct, np.float64)
        visible = np.asarray(self.clip_visible, np.float64)
        if len(correct) == 0 or visible.sum() == 0:
            return float("nan"), float("nan")
        picks = np.random.default_rng(seed).integers(0, len(correct), (resamples, len(correct)))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = 100.0 * correct[picks].sum(1) / visible[picks].sum(1)
        tail = 100.0 * (1.0 - level) / 2
        low, high = np.nanpercentile(means, [tail, 100.0 - tail])
        return float(low), float(high)

    def pooled_by(self, labels: list[str]) -> dict[str, float]:
        """Mean PCK in percent over the clips of each label (one per ``update`` call, e.g. the
        clip's action), every visible joint weighing the same; labels with none visible are
        left out."""
        if len(labels) != len(self.clip_correct):
            raise ValueError(f"{len(labels)} labels for {len(self.clip_correct)} clips")
        correct: dict[str, int] = {}
        visible: dict[str, int] = {}
        for label, c, v in zip(labels, self.clip_correct, self.clip_visible):
            correct[label] = correct.get(label, 0) + c
            visible[label] = visible.get(label, 0) + v
        return {label: 100.0 * correct[label] / visible[label]
                for label in sorted(correct) if visible[label]}

    def per_joint(self) -> dict[str, float]:
        """PCK in percent per joint name (NaN for a joint never visible)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            values = 100.0 * self.correct / self.visible
        return {name: float(v) for name, v in zip(PENN_JOINTS, values)}

    def groups(self) -> dict[str, float]:
        """PCK in percent for Head, Sho, Elb, Wri, Hip, Knee, Ank and Mean."""
        table = {}
        for name, joints in PCK_GROUPS.items():
            vis = self.visible[list(joints)].sum()
            hits = self.correct[list(joints)].sum()
            table[name] = float(100.0 * hits / vis) if vis else float("nan")
        total = self.visible.sum()
        table["Mean"] = float(100.0 * self.correct.sum() / total) if total else float("nan")
        return table


def pck(pred, gt, visibility, bbox, alpha: float = 0.2) -> dict[str, float]:
    """One-shot PCK table for arrays of frames (see ``PCKAccumulator.groups``)."""
    acc = PCKAccumulator(alpha=alpha, num_joints=np.asarray(gt).shape[-2])
    acc.update(pred, gt, visibility, bbox)
    return acc.groups()
