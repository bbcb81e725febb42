"""Render real Penn Action motion as video with exact joint ground truth.

Each clip gets, deterministically from its seed:
- a figure with body volume: head, neck, torso polygon, limbs of plausible widths, hands and
  feet, drawn in depth order from the sequence's view so that limbs occlude each other;
- cues to which way the figure faces, frame by frame: a face (eyes, mouth) when it faces the
  camera, hair over the whole head when it faces away, a profile (eye, nose, hair at the back)
  in between, and feet that point the same way (see ``facing_per_frame``);
- clothing colours and textures (solid, stripes, checks, mottled), and a skin tone;
- a cluttered procedural background with limb-like distractors;
- a camera that follows the person loosely, with jitter, zoom drift and parallax;
- smooth lighting changes, optional motion blur from the camera's motion, and an optional
  object that passes in front of the person (joints it covers are marked invisible).
Joints the source labels mark invisible are drawn where ``complete_motion`` puts them and
stay invisible in the clip's ``visibility`` (see ``RenderedClip``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from dkd_edge.data import textures
from dkd_edge.data.motion import complete_motion
from dkd_edge.data.sample import PoseSequence

# Limb segments: (joint a, joint b, width as a share of torso length, material slot).
LIMBS = {
    "left_arm": ((1, 3, 0.22, "sleeve"), (3, 5, 0.17, "forearm")),
    "right_arm": ((2, 4, 0.22, "sleeve"), (4, 6, 0.17, "forearm")),
    "left_leg": ((7, 9, 0.30, "pants"), (9, 11, 0.23, "pants")),
    "right_leg": ((8, 10, 0.30, "pants"), (10, 12, 0.23, "pants")),
}
HAND = {"left_arm": 5, "right_arm": 6}
FOOT = {"left_leg": 11, "right_leg": 12}

# Drawing order (back to front) for each Penn Action view, on person-centric joints (the
# loader exchanges the label files' left/right columns). In Penn Action's "left" views the
# person's left side faces the camera and they look towards the image's left, so their
# right limbs are the far ones. The labels agree: in "left" views the person's right joints
# are marked invisible in 40-42 % of frames, their left ones in 13-16 % (both splits;
# "right" views the other way round).
DEPTH_ORDER = {
    "front": ("right_leg", "left_leg", "torso", "right_arm", "left_arm", "head"),
    "back": ("right_arm", "left_arm", "right_leg", "left_leg", "torso", "head"),
    "left": ("right_arm", "right_leg", "torso", "head", "left_leg", "left_arm"),
    "right": ("left_arm", "left_leg", "torso", "head", "right_leg", "right_arm"),
}
FAR_SIDE = {"left": "right", "right": "left"}
_MIRRORED_SIDE = {"left": "right", "right": "left"}  # the old renderer's side-view depth


@dataclass(frozen=True)
class RenderConfig:
    """Renderer settings; the defaults make the training and evaluation clips."""

    size: int = 256
    person_height: tuple[float, float] = (0.45, 0.8)  # person extent as a share of the frame
    margin: int = 48  # background border available for camera motion
    camera_jitter: float = 1.5  # std of the per-frame camera shake, pixels
    zoom_drift: float = 0.08
    occluder_prob: float = 0.4
    blur_prob: float = 0.3
    lighting_amplitude: float = 0.25
    draw_person: bool = True  # False renders the same clip without the figure
    facing_cues: bool = True  # False: no face, feet always sideways (the older renderer)
    # False: the older renderer's rule for which side of a side view is far
    far_side_from_labels: bool = True


@dataclass
class RenderedClip:
    """A rendered clip: frames [T, S, S, 3] uint8 with its ground truth in frame pixels.

    ``visibility`` [T, J] is what PCK scores, the protocol of LSTM Pose Machines and DKD:
    joints the source labels mark visible, in the frame and not behind the passing object.
    ``drawn`` [T, J] drops the first condition: every joint drawn in view, including those
    the source marks invisible, which the renderer places by interpolation in time or from
    a standing template (``complete_motion``).
    """

    frames: np.ndarray
    joints: np.ndarray
    visibility: np.ndarray
    bbox: np.ndarray
    meta: dict
    drawn: np.ndarray | None = None


# A frame counts as facing the camera (or away) when the person's left-to-right axis of the
# shoulders and hips spans at least this share of the torso length; in between it is a profile.
FACING_THRESHOLD = 0.2


def clip_torso_length(joints: np.ndarray) -> float:
    """The clip's torso length in pixels (median neck to mid-hip), kept to 18-45 % of the
    figure's median height; every width the renderer draws is a share of it."""
    torso = np.linalg.norm(
        (joints[:, 1] + joints[:, 2]) / 2 - (joints[:, 7] + joints[:, 8]) / 2, axis=-1
    )
    torso_len = float(np.median(torso))
    height = float(np.median((joints.max(1) - joints.min(1))[:, 1]))
    return float(np.clip(torso_len, 0.18 * height, 0.45 * height)) if height > 1 else 20.0


def facing_per_frame(joints: np.ndarray, torso_len: float) -> np.ndarray:
    """Per frame: +1 faces the camera, -1 faces away, 0 profile, from the labels' geometry.

    Person-centric joints: a person facing the camera has their left shoulder and hip on the
    image's right (Penn Action's front views: 96 % of frames once its labels are read
    person-centric; back views: on the image's left in 82 %).
    """
    axis = ((joints[:, 2] - joints[:, 1]) + (joints[:, 8] - joints[:, 7]))[:, :1] / 2
    across = _smooth(axis.astype(np.float32), 5)[:, 0] / max(torso_len, 1e-6)
    facing = np.zeros(len(across), np.int8)
    facing[across <= -FACING_THRESHOLD] = 1
    facing[across >= FACING_THRESHOLD] = -1
    return facing


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average along axis 0 with edge padding."""
    if values.shape[0] < 2 or window < 2:
        return values
    pad = window // 2
    padded = np.concatenate(
        [np.repeat(values[:1], pad, 0), values, np.repeat(values[-1:], pad, 0)], 0
    )
    kernel = np.ones(window, np.float32) / window
    return np.stack(
        [np.convolve(padded[:, d], kernel, mode="valid")[: values.shape[0]]
         for d in range(values.shape[1])],
        axis=1,
    )


class _Wardrobe:
    """The per-clip textures, as Pillow images, with darker versions for the far side."""

    def __init__(self, rng: np.random.Generator, size: int):
        skin = textures.skin_color(rng)
        shirt = textures.fabric(rng, size)
        pants = textures.fabric(rng, size)
        skin_tex = np.broadcast_to(skin, (size, size, 3)) * (
            0.92 + 0.16 * textures.smooth_noise(rng, size, 8, 1)
        )
        long_sleeves = rng.random() < 0.5
        hair = textures.random_color(rng, 10, 120)
        shoes = textures.random_color(rng, 10, 200)
        arrays = {
            "shirt": shirt,
            "sleeve": shirt,
            "forearm": shirt if long_sleeves else skin_tex,
            "pants": pants,
            "skin": skin_tex,
            "hair": np.broadcast_to(hair, (size, size, 3)),
            "shoes": np.broadcast_to(shoes, (size, size, 3)),
            # Face marks derive from colours drawn already, so the random stream (and every
            # clip rendered without facing cues) is unchanged.
            "eyes": np.broadcast_to(np.asarray(hair, np.float32) * 0.35, (size, size, 3)),
            "mouth": np.broadcast_to(np.asarray(skin, np.float32) * [0.62, 0.38, 0.38],
                                     (size, size, 3)),
        }
        self.near = {k: textures.to_image(v) for k, v in arrays.items()}
        self.far = {k: textures.to_image(np.asarray(v) * 0.72) for k, v in arrays.items()}


def _capsule(draw: ImageDraw.ImageDraw, a, b, width: float) -> None:
    w = max(int(round(width)), 1)
    draw.line([tuple(a), tuple(b)], fill=255, width=w)
    r = width / 2
    for p in (a, b):
        draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=255)


def _disc(draw: ImageDraw.ImageDraw, center, rx: float, ry: float | None = None) -> None:
    ry = rx if ry is None else ry
    draw.ellipse([center[0] - rx, center[1] - ry, center[0] + rx, center[1] + ry], fill=255)


class ClipRenderer:
    """Renders one clip; all randomness comes from one seeded generator."""

    def __init__(self, config: RenderConfig, seed: int):
        self.config = config
        self.rng = np.random.default_rng(seed)

    # -- camera ---------------------------------------------------------------------------
    def _camera(self, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-frame (scale, centre in source pixels, shake in output pixels)."""
        cfg, rng = self.config, self.rng
        frames = joints.shape[0]
        lo, hi = joints.min(1), joints.max(1)
        extent = float(np.median(np.maximum(hi - lo, 1.0).max(1)))
        base_scale = rng.uniform(*cfg.person_height) * cfg.size / max(extent, 8.0)
        t = np.arange(frames, dtype=np.float32)
        zoom = 1 + cfg.zoom_drift * rng.uniform(-1, 1) * np.sin(
            t / rng.uniform(15, 60) + rng.uniform(0, 6.3)
        )
        scale = (base_scale * zoom).astype(np.float32)
        window = int(rng.integers(9, 41))
        centre = _smooth((lo + hi) / 2, window)
        centre += rng.uniform(-0.08, 0.08, 2) * cfg.size / base_scale  # off-centre framing
        shake = np.zeros((frames, 2), np.float32)
        for f in range(1, frames):
            shake[f] = 0.85 * shake[f - 1] + rng.normal(0, cfg.camera_jitter, 2)
        return scale, centre.astype(np.float32), shake

    # -- figure ---------------------------------------------------------------------------
    def _draw_part(self, canvas, wardrobe, name, pts, torso_len, far, widths, side_dir,
                   facing=None):
        """Draw one body part; ``facing`` is +1/-1/0 (see facing_per_frame) or None (no cues)."""
        size = self.config.size
        shelf = wardrobe.far if far else wardrobe.near
        layers: dict[str, Image.Image] = {}

        def mask(material: str) -> ImageDraw.ImageDraw:
            if material not in layers:
                layers[material] = Image.new("L", (size, size), 0)
            return ImageDraw.Draw(layers[material])

        if name == "torso":
            mid_sho, mid_hip = (pts[1] + pts[2]) / 2, (pts[7] + pts[8]) / 2
            sho_axis, hip_axis = pts[1] - pts[2], pts[7] - pts[8]
            half_w = 0.5 * max(np.linalg.norm(sho_axis), widths["torso"] * torso_len)
            unit = sho_axis / (np.linalg.norm(sho_axis) + 1e-6)
            if np.linalg.norm(sho_axis) < 0.2 * torso_len:  # side view: torso seen edge-on
                spine = mid_hip - mid_sho
                unit = np.array([-spine[1], spine[0]]) / (np.linalg.norm(spine) + 1e-6)
            hip_half = 0.5 * max(np.linalg.norm(hip_axis), widths["hips"] * torso_len)
            hip_unit = hip_axis / (np.linalg.norm(hip_axis) + 1e-6)
            if np.linalg.norm(hip_axis) < 0.15 * torso_len:
                hip_unit = unit
            polygon = [
                mid_sho + unit * half_w * 1.1, mid_sho - unit * half_w * 1.1,
                mid_hip - hip_unit * hip_half * 1.15, mid_hip + hip_unit * hip_half * 1.15,
            ]
            mask("shirt").polygon([tuple(p) for p in polygon], fill=255)
            _capsule(mask("shirt"), pts[1], pts[2], 0.22 * torso_len)
            _capsule(mask("pants"), pts[7], pts[8], 0.28 * torso_len)
        elif name == "head":
            mid_sho = (pts[1] + pts[2]) / 2
            radius = widths["head"] * torso_len
            up = pts[0] - mid_sho
            up = up / (np.linalg.norm(up) + 1e-6)
            if facing is None or facing == 1:  # the face side (or no cues): hair on top
                _disc(mask("hair"), pts[0] + up * radius * 0.25, radius * 0.95)
            _capsule(mask("skin"), pts[0], mid_sho, 0.16 * torso_len)
            _disc(mask("skin"), pts[0], radius * 0.85, radius)
            if facing is not None:
                self._draw_face(mask, pts[0], up, radius, facing, side_dir)
        else:
            for a, b, width, material in LIMBS[name]:
                _capsule(mask(material), pts[a], pts[b], width * widths["limb"] * torso_len)
            if name in HAND:
                _disc(mask("skin"), pts[HAND[name]], 0.11 * torso_len)
            if name in FOOT:
                ankle, knee = pts[FOOT[name]], pts[FOOT[name] - 2]
                direction = ankle - knee
                direction = direction / (np.linalg.norm(direction) + 1e-6)
                toe = ankle + np.array([side_dir * 0.22, 0.05]) * torso_len + direction * 0.05
                if facing in (1, -1):  # toes towards (or away from) the camera: foreshortened
                    other = pts[FOOT["right_leg" if name == "left_leg" else "left_leg"]]
                    outward = float(np.sign(ankle[0] - other[0]))
                    reach = 0.1 if facing == 1 else 0.05
                    toe = ankle + np.array([outward * 0.06, reach]) * torso_len
                _capsule(mask("shoes"), ankle, toe, 0.14 * torso_len)
        for material, layer in layers.items():  # back to front, in the order first drawn
            canvas.paste(shelf[material], (0, 0), layer)

    @staticmethod
    def _draw_face(mask, centre, up, radius, facing, side_dir) -> None:
        """Eyes and mouth facing the camera, hair over the head facing away, else a profile."""
        across = np.array([-up[1], up[0]])  # the head's image-right when upright
        if facing == 1:
            for side in (-1, 1):
                _disc(mask("eyes"), centre + up * radius * 0.12 + across * side * radius * 0.36,
                      radius * 0.15)
            mouth = centre - up * radius * 0.5
            _capsule(mask("mouth"), mouth - across * radius * 0.25, mouth + across * radius * 0.25,
                     radius * 0.12)
        elif facing == -1:
            _disc(mask("hair"), centre + up * radius * 0.12, radius * 0.88, radius * 0.92)
        else:
            toward = across * side_dir if across[0] >= 0 else -across * side_dir
            _disc(mask("skin"), centre + toward * radius * 0.85 - up * radius * 0.1, radius * 0.22)
            _disc(mask("hair"), centre - toward * radius * 0.3 + up * radius * 0.25, radius * 0.75)
            _disc(mask("eyes"), centre + toward * radius * 0.45 + up * radius * 0.12,
                  radius * 0.15)

    # -- the clip ---------------------------------------------------------------------------
    def render(self, joints: np.ndarray, visibility: np.ndarray, view: str) -> RenderedClip:
        cfg, rng = self.config, self.rng
        size, margin = cfg.size, cfg.margin
        frames = joints.shape[0]
        full = complete_motion(joints, visibility)
        scale, centre, shake = self._camera(full)
        offset = np.float32(size / 2) + shake
        out = (full - centre[:, None]) * scale[:, None, None] + offset[:, None]

        wardrobe = _Wardrobe(rng, size)
        scene = textures.background(rng, size + 2 * margin)
        view = view if view in DEPTH_ORDER else ("front" if rng.random() < 0.5 else "back")
        depth_view = view if cfg.far_side_from_labels else _MIRRORED_SIDE.get(view, view)
        order, far = DEPTH_ORDER[depth_view], FAR_SIDE.get(depth_view)
        widths = {
            "torso": rng.uniform(0.45, 0.65),
            "hips": rng.uniform(0.35, 0.5),
            "head": rng.uniform(0.24, 0.3),
            "limb": rng.uniform(0.8, 1.25),
        }
        torso_len = clip_torso_length(out)

        side_dir = -1.0 if view == "left" else 1.0  # which way a profile looks, in x
        facing = facing_per_frame(out, torso_len) if cfg.facing_cues else None

        parallax = rng.uniform(0.2, 0.8)
        pan = (centre - centre[:1]) * scale[:, None] * parallax + shake
        pan = np.clip(pan, -margin, margin)

        gain = 1 + cfg.lighting_amplitude * rng.uniform(0.2, 1) * np.sin(
            np.arange(frames) / rng.uniform(8, 40) + rng.uniform(0, 6.3)
        )
        tint = rng.uniform(0.85, 1.15, 3)
        blur = rng.random() < cfg.blur_prob
        occluder = self._occluder(frames) if rng.random() < cfg.occluder_prob else None

        images = np.empty((frames, size, size, 3), np.uint8)
        vis_out = np.ones((frames, joints.shape[1]), bool)
        ramp = np.arange(256, dtype=np.float32)
        for f in range(frames):
            x0, y0 = margin + pan[f]
            canvas = scene.crop((int(x0), int(y0), int(x0) + size, int(y0) + size))
            pts = out[f]
            for part in order if cfg.draw_person else ():
                part_is_far = far is not None and part.startswith(far)
                self._draw_part(canvas, wardrobe, part, pts, torso_len, part_is_far, widths,
                                side_dir, None if facing is None else int(facing[f]))
            if occluder is not None:
                covered = occluder.draw(canvas, f, pts)
                vis_out[f] &= ~covered
            lut = np.concatenate(
                [np.clip(ramp * gain[f] * tint[c], 0, 255) for c in range(3)]
            ).astype(np.uint8)
            canvas = canvas.point(lut.tolist())
            if blur and f > 0:
                dx, dy = np.round(pan[f] - pan[f - 1]).astype(int)
                if abs(dx) + abs(dy) >= 1:
                    shifted = ImageChops.offset(canvas, int(dx), int(dy))
                    canvas = Image.blend(canvas, shifted, 0.4)
            images[f] = np.asarray(canvas)
        inside = (out >= 0).all(-1) & (out <= size - 1).all(-1)
        vis_out &= inside
        labelled = np.asarray(visibility, bool).reshape(vis_out.shape)
        pad = 0.12 * torso_len
        bbox = np.concatenate([out.min(1) - pad, out.max(1) + pad], axis=1)
        bbox = np.clip(bbox, 0, size - 1).astype(np.float32)
        meta = {"view": view, "blur": blur, "occluder": occluder is not None,
                "facing_cues": cfg.facing_cues, "far_side_from_labels": cfg.far_side_from_labels}
        return RenderedClip(images, out.astype(np.float32), vis_out & labelled, bbox, meta,
                            drawn=vis_out)

    def _occluder(self, frames: int) -> _Occluder:
        return _Occluder(self.rng, self.config.size, frames)


class _Occluder:
    """An object that crosses the frame in front of the person during the clip."""

    def __init__(self, rng: np.random.Generator, size: int, frames: int):
        self.size = size
        self.half = rng.uniform(0.07, 0.18, 2) * size
        side = rng.integers(2)
        y = rng.uniform(0.2, 0.8) * size
        start = np.array([-self.half[0] if side == 0 else size + self.half[0], y])
        end = np.array([size + self.half[0] if side == 0 else -self.half[0], y])
        end[1] += rng.uniform(-0.2, 0.2) * size
        duration = rng.uniform(0.6, 1.6) * max(frames, 1)
        onset = rng.uniform(-0.3, 0.6) * max(frames, 1)
        self.path = [start + (end - start) * (f - onset) / duration for f in range(frames)]
        self.ellipse = rng.random() < 0.5
        self.texture = textures.to_image(textures.fabric(rng, size))

    def draw(self, canvas: Image.Image, frame: int, points: np.ndarray) -> np.ndarray:
        cx, cy = self.path[frame]
        hx, hy = self.half
        box = [cx - hx, cy - hy, cx + hx, cy + hy]
        mask = Image.new("L", (self.size, self.size), 0)
        draw = ImageDraw.Draw(mask)
        if self.ellipse:
            draw.ellipse(box, fill=255)
            d = ((points[:, 0] - cx) / hx) ** 2 + ((points[:, 1] - cy) / hy) ** 2
            covered = d <= 1.0
        else:
            draw.rectangle(box, fill=255)
            covered = (np.abs(points[:, 0] - cx) <= hx) & (np.abs(points[:, 1] - cy) <= hy)
        canvas.paste(self.texture, (0, 0), mask)
        return covered


def render_sequence(
    sequence: PoseSequence,
    seed: int,
    config: RenderConfig | None = None,
    max_frames: int | None = None,
    start: int | None = None,
) -> RenderedClip:
    """Render a Penn Action sequence (or a window of it) as an RGB clip.

    Args:
        sequence: motion source; only joints, visibility and ``meta['pose']`` are used.
        seed: all randomness (appearance, camera, window start) follows from it.
        config: renderer settings (size 256 by default).
        max_frames: render at most this many frames.
        start: first frame of the window; random (from the seed) when None.
    """
    config = config or RenderConfig()
    rng = np.random.default_rng([seed, 7919])
    total = len(sequence)
    length = total if max_frames is None else max(1, min(max_frames, total))
    if start is None:
        start = int(rng.integers(0, total - length + 1))
    start = int(np.clip(start, 0, total - length))
    window = slice(start, start + length)
    clip = ClipRenderer(config, seed).render(
        sequence.joints[window], sequence.visibility[window], sequence.meta.get("pose", "")
    )
    clip.meta.update(
        source=sequence.meta.get("id"), action=sequence.meta.get("action"),
        split=sequence.meta.get("split"), start=start, seed=seed,
    )
    return clip
