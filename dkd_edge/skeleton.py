"""The 13-joint Penn Action skeleton that every dkd-edge model predicts."""

from __future__ import annotations

PENN_JOINTS: tuple[str, ...] = (
    "head",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
)
NUM_JOINTS = len(PENN_JOINTS)

# Bones as (parent, child) joint indices, for drawing and the renderer.
SKELETON: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 3), (3, 5), (2, 4), (4, 6),
    (1, 7), (2, 8), (7, 8), (7, 9), (9, 11), (8, 10), (10, 12),
)

# The joint groups of the PCK tables in LSTM Pose Machines and DKD.
PCK_GROUPS: dict[str, tuple[int, ...]] = {
    "Head": (0,),
    "Sho": (1, 2),
    "Elb": (3, 4),
    "Wri": (5, 6),
    "Hip": (7, 8),
    "Knee": (9, 10),
    "Ank": (11, 12),
}

# Horizontal flip: each joint's mirror partner.
FLIP_PAIRS: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11)
