"""PCK@alpha as in LSTM Pose Machines and DKD.

A joint is correct when its distance to the ground truth is at most
``alpha * max(bbox width, bbox height)``; only visible joints count. ``Mean`` is the share of
all visible joints that are correct (every visible joint weighs the same).
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

    def __post_init__(self) -> None:
        self.correct = np.zeros(self.num_joints, np.int64)
        self.visible = np.zeros(self.num_joints, np.int64)

    def update(self, pred, gt, visibility, bbox) -> None:
        """Add frames: pred/gt [..., J, 2], visibility [..., J], bbox [..., 4]."""
        hits = correct_joints(pred, gt, visibility, bbox, self.alpha)
        vis = np.asarray(visibility, bool)
        self.correct += hits.reshape(-1, self.num_joints).sum(0)
        self.visible += vis.reshape(-1, self.num_joints).sum(0)

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
