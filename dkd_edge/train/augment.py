"""Motion augmentation for training: new poses from Penn Action's own, before rendering."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dkd_edge.data.sample import PoseSequence
from dkd_edge.skeleton import FLIP_PAIRS

MIRRORED_VIEW = {"left": "right", "right": "left"}


def mirror_sequence(sequence: PoseSequence) -> PoseSequence:
    """The motion reflected left to right, with every left/right label swapped.

    The result follows Penn Action's labelling convention as the source does: the labelled
    left-to-right axis keeps its sign, so a figure that faced the camera still does (the
    renderer's facing cues agree), and a profile seen from the left is seen from the right.
    """
    width = float(sequence.meta.get("width") or 0.0)
    if width <= 0:  # no image size on record: reflect about the motion's own extent
        width = float(np.nanmax(sequence.joints[..., 0])) + 1.0
    flip = list(FLIP_PAIRS)
    joints = sequence.joints[:, flip].copy()
    right = width - 1.0
    joints[..., 0] = right - joints[..., 0]
    bbox = sequence.bbox.copy()
    bbox[:, 0], bbox[:, 2] = right - sequence.bbox[:, 2], right - sequence.bbox[:, 0]
    meta = dict(sequence.meta)
    meta["pose"] = MIRRORED_VIEW.get(meta.get("pose", ""), meta.get("pose", ""))
    meta["mirrored"] = not meta.get("mirrored", False)
    return replace(sequence, joints=joints, visibility=sequence.visibility[:, flip].copy(),
                   bbox=bbox, meta=meta)
