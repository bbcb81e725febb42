"""Draw a tracked pose, its timing and re-initialisations onto a frame (Pillow)."""

from __future__ import annotations

import numpy as np

from dkd_edge.skeleton import SKELETON

# Left side warm, right side cool, head/torso neutral (joint order of dkd_edge.skeleton).
JOINT_COLOURS = [(255, 255, 255)] + [(255, 140, 0), (0, 170, 255)] * 6


def draw_pose(frame: np.ndarray, keypoints: np.ndarray, scores: np.ndarray | None = None,
              label: str = "", reinit: str | None = None, min_score: float = 0.0,
              skeleton=SKELETON) -> np.ndarray:
    """A copy of ``frame`` (RGB uint8) with bones, joints, a text label and, on frames that
    ran ``init``, a red border with the reason."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(np.asarray(frame, np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(image)
    width, height = image.size
    scale = max(1, round(min(width, height) / 160))
    points = [tuple(float(v) for v in p) for p in np.asarray(keypoints)]
    shown = [True] * len(points) if scores is None else [s >= min_score for s in scores]
    for a, b in skeleton:
        if shown[a] and shown[b]:
            draw.line([points[a], points[b]], fill=JOINT_COLOURS[b], width=2 * scale)
    for index, (x, y) in enumerate(points):
        if shown[index]:
            r = 2 * scale
            draw.ellipse([x - r, y - r, x + r, y + r], fill=JOINT_COLOURS[index],
                         outline=(0, 0, 0))
    if reinit:
        draw.rectangle([0, 0, width - 1, height - 1], outline=(230, 30, 30), width=3 * scale)
        label = f"{label}  INIT ({reinit})" if label else f"INIT ({reinit})"
    if label:
        draw.rectangle([0, 0, width, 12 * scale], fill=(0, 0, 0))
        draw.text((3, 1), label, fill=(255, 255, 0) if reinit else (255, 255, 255))
    return np.asarray(image)
