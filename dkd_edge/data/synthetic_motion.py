"""Real still images under synthetic camera motion: training views and short clips whose
labels move with the pixels (numpy and Pillow only).

A view is a 3 x 3 homography from image pixels to the ``size`` x ``size`` frame. ``view_of``
frames the labelled person (scale, shift, rotation, mirror); ``motion_clip`` moves smoothly
between two such views over T frames with a little perspective, lighting change, motion blur
and sometimes a passing occluder (joints it covers are marked invisible, as in the renderer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from dkd_edge.skeleton import FLIP_PAIRS


@dataclass(frozen=True)
class ViewRange:
    """How far views are drawn from the person's box (its max side = ``fill`` x size)."""

    fill: tuple[float, float] = (0.35, 0.85)
    shift: float = 0.15  # of the box side
    rotate_deg: float = 30.0
    rotate_prob: float = 0.6
    flip_prob: float = 0.5


def person_box(joints: np.ndarray, annotated: np.ndarray) -> np.ndarray:
    """[x1, y1, x2, y2] of the annotated joints (all joints when none is)."""
    points = joints[annotated] if annotated.any() else joints
    return np.array([*points.min(0), *points.max(0)], np.float32)


def letterbox_view(height: int, width: int, size: int) -> np.ndarray:
    """The homography of ``dkd_edge.preprocess.letterbox``: the whole image, centred."""
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    sx, sy = new_w / width, new_h / height
    return np.array([[sx, 0, (size - new_w) // 2], [0, sy, (size - new_h) // 2], [0, 0, 1]],
                    np.float64)


def view_of(box: np.ndarray, size: int, rng: np.random.Generator,
            ranges: ViewRange = ViewRange()) -> tuple[np.ndarray, bool]:
    """A random view of the person: (homography image -> frame, mirrored)."""
    side = float(max(box[2] - box[0], box[3] - box[1], 8.0))
    scale = rng.uniform(*ranges.fill) * size / side
    centre = (box[:2] + box[2:]) / 2 + rng.uniform(-ranges.shift, ranges.shift, 2) * side
    angle = (np.deg2rad(rng.uniform(-ranges.rotate_deg, ranges.rotate_deg))
             if rng.random() < ranges.rotate_prob else 0.0)
    mirrored = bool(rng.random() < ranges.flip_prob)
    return _similarity(centre, scale, angle, mirrored, size), mirrored


def _similarity(centre, scale: float, angle: float, mirrored: bool, size: int) -> np.ndarray:
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    flip = -1.0 if mirrored else 1.0
    linear = np.array([[c * flip, -s], [s * flip, c]])
    offset = np.array([size / 2, size / 2]) - linear @ np.asarray(centre, np.float64)
    return np.array([[*linear[0], offset[0]], [*linear[1], offset[1]], [0, 0, 1]])


def warp_points(view: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a homography to [..., 2] points."""
    flat = np.asarray(points, np.float64).reshape(-1, 2)
    mapped = np.c_[flat, np.ones(len(flat))] @ view.T
    return (mapped[:, :2] / mapped[:, 2:3]).reshape(np.shape(points)).astype(np.float32)


def warp_image(image: Image.Image, view: np.ndarray, size: int) -> Image.Image:
    """The frame the view sees (outside the image: black, as the letterbox pads)."""
    inverse = np.linalg.inv(view)
    inverse = inverse / inverse[2, 2]
    return image.transform((size, size), Image.PERSPECTIVE, tuple(inverse.ravel()[:8]),
                           Image.BILINEAR, fillcolor=(0, 0, 0))


def view_labels(view: np.ndarray, mirrored: bool, joints: np.ndarray, annotated: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Joints in the frame's pixels; a mirrored view exchanges left and right so names stay
    the person's own."""
    moved = warp_points(view, joints)
    if mirrored:
        order = list(FLIP_PAIRS)
        return moved[order], annotated[order]
    return moved, annotated


def colour_jitter(frame: np.ndarray, rng: np.random.Generator, strength: float = 0.3
                  ) -> np.ndarray:
    """Brightness, contrast and saturation drawn within +-strength."""
    x = frame.astype(np.float32)
    grey = x.mean(-1, keepdims=True)
    x = grey + (x - grey) * rng.uniform(1 - strength, 1 + strength)  # saturation
    x = x.mean() + (x - x.mean()) * rng.uniform(1 - strength, 1 + strength)  # contrast
    x = x * rng.uniform(1 - strength, 1 + strength) * rng.uniform(0.92, 1.08, 3)
    return np.clip(x, 0, 255).astype(np.uint8)


def augmented_view(image: np.ndarray, joints: np.ndarray, annotated: np.ndarray, size: int,
                   rng: np.random.Generator, ranges: ViewRange = ViewRange()
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One training frame: (uint8 [size, size, 3], joints [J, 2], annotated [J])."""
    view, mirrored = view_of(person_box(joints, annotated), size, rng, ranges)
    frame = warp_image(Image.fromarray(image), view, size)
    if rng.random() < 0.15:
        frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    moved, labelled = view_labels(view, mirrored, joints, annotated)
    return colour_jitter(np.asarray(frame), rng), moved, labelled


def _ease(t: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * t)


def motion_clip(image: np.ndarray, joints: np.ndarray, annotated: np.ndarray, size: int,
                frames: int, rng: np.random.Generator, first_view: np.ndarray | None = None,
                ranges: ViewRange = ViewRange(), amount: float = 1.0, occluder_prob: float = 0.3
                ) -> dict:
    """A clip of one still image under smooth camera motion.

    ``first_view`` fixes frame 0's view (the evaluation starts from the letterboxed image);
    ``amount`` scales how far the camera travels. Returns ``frames`` [T, S, S, 3] uint8,
    ``joints`` [T, J, 2], ``visibility`` [T, J] (annotated and not occluded) and
    ``annotated`` [T, J].
    """
    mirrored = False
    if first_view is None:
        first_view, mirrored = view_of(person_box(joints, annotated), size, rng, ranges)
    box_in_frame = person_box(*view_labels(first_view, False, joints, annotated))
    side = float(max(box_in_frame[2] - box_in_frame[0], box_in_frame[3] - box_in_frame[1], 8))
    # the camera's travel, in frame pixels and ratios, as a move about the frame's centre
    shift = rng.uniform(-0.35, 0.35, 2) * side * amount
    zoom = float(np.exp(rng.uniform(-0.25, 0.25) * amount))
    turn = np.deg2rad(rng.uniform(-15, 15) * amount)
    tilt = rng.uniform(-0.12, 0.12, 2) * amount / size  # perspective, about the centre
    t = _ease(np.linspace(0, 1, frames))
    shake = rng.normal(0, 1.0 * amount, (frames, 2))
    shake[0] = 0.0  # frame 0 is exactly the first view
    gain = 1 + 0.2 * amount * np.sin(np.linspace(0, rng.uniform(1, 4), frames)
                                     + rng.uniform(0, 6.3))
    blur = rng.random() < 0.3
    occluder = _occluder(rng, size, frames) if rng.random() < occluder_prob else None
    source = Image.fromarray(image)
    out = np.zeros((frames, size, size, 3), np.uint8)
    out_joints = np.zeros((frames, *joints.shape), np.float32)
    labelled = np.zeros((frames, joints.shape[0]), bool)
    visible = np.zeros_like(labelled)
    centre = np.array([size / 2, size / 2])
    for f in range(frames):
        move = _similarity(centre - shift * t[f] - shake[f], zoom ** t[f], turn * t[f], False,
                           size)
        view = _tilt(tilt * t[f], centre) @ move @ first_view
        frame = warp_image(source, view, size)
        if blur and f > 0:
            frame = frame.filter(ImageFilter.GaussianBlur(
                float(np.clip(np.linalg.norm(shift) * amount / frames / 3, 0.3, 2.0))))
        pixels = np.clip(np.asarray(frame, np.float32) * gain[f], 0, 255).astype(np.uint8)
        out_joints[f], labelled[f] = view_labels(view, mirrored, joints, annotated)
        visible[f] = labelled[f]
        if occluder is not None:
            pixels, covered = occluder(pixels, out_joints[f], f)
            visible[f] &= ~covered
        out[f] = pixels
    return {"frames": out, "joints": out_joints, "visibility": visible, "annotated": labelled}


def _tilt(terms: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """A perspective homography that keeps ``centre`` fixed."""
    shift = np.array([[1, 0, centre[0]], [0, 1, centre[1]], [0, 0, 1]], np.float64)
    back = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]], np.float64)
    return shift @ np.array([[1, 0, 0], [0, 1, 0], [terms[0], terms[1], 1]]) @ back


def _occluder(rng: np.random.Generator, size: int, frames: int):
    """A flat-coloured box or disc that crosses the frame; returns draw(frame, joints, f)."""
    half = rng.uniform(0.06, 0.16, 2) * size
    y0, y1 = rng.uniform(0.2, 0.8, 2) * size
    start, end = (-half[0], size + half[0]) if rng.random() < 0.5 else (size + half[0], -half[0])
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    disc = rng.random() < 0.5

    def draw(pixels: np.ndarray, joints: np.ndarray, f: int):
        a = f / max(frames - 1, 1)
        cx, cy = start + (end - start) * a, y0 + (y1 - y0) * a
        image = Image.fromarray(pixels)
        box = (cx - half[0], cy - half[1], cx + half[0], cy + half[1])
        (ImageDraw.Draw(image).ellipse if disc else ImageDraw.Draw(image).rectangle)(
            box, fill=colour)
        d = (joints - [cx, cy]) / half
        covered = ((d ** 2).sum(-1) <= 1) if disc else (np.abs(d) <= 1).all(-1)
        return np.asarray(image), covered

    return draw
