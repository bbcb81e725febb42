"""Procedural textures and backgrounds for the renderer (numpy + Pillow, per clip)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SKIN_TONES = np.array(
    [[255, 224, 196], [241, 194, 160], [224, 172, 135], [198, 134, 96],
     [160, 102, 70], [120, 76, 50], [88, 57, 40]], np.float32
)


def random_color(rng: np.random.Generator, lo: int = 20, hi: int = 235) -> np.ndarray:
    return rng.uniform(lo, hi, 3).astype(np.float32)


def skin_color(rng: np.random.Generator) -> np.ndarray:
    tone = SKIN_TONES[rng.integers(len(SKIN_TONES))]
    return np.clip(tone * rng.uniform(0.9, 1.1, 3), 0, 255)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return xs, ys


def smooth_noise(rng: np.random.Generator, size: int, cells: int, channels: int = 3) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid upsampled bicubically."""
    coarse = (rng.random((cells, cells, channels)) * 255).astype(np.uint8)
    mode = "RGB" if channels == 3 else "L"
    image = Image.fromarray(coarse.squeeze(), mode).resize((size, size), Image.BICUBIC)
    array = np.asarray(image, np.float32) / 255.0
    return array if channels == 3 else array[..., None]


def fabric(rng: np.random.Generator, size: int, base: np.ndarray | None = None) -> np.ndarray:
    """A clothing texture as float32 RGB [size, size, 3]: solid, stripes, checks or mottled."""
    base = random_color(rng) if base is None else base
    second = random_color(rng)
    xs, ys = _grid(size)
    kind = rng.integers(5)
    if kind == 0:  # solid with a faint weave
        mix = 0.08 * smooth_noise(rng, size, 32, 1)
    elif kind == 1:  # stripes at an angle
        period = rng.uniform(4, 18)
        angle = rng.uniform(0, np.pi)
        phase = (xs * np.cos(angle) + ys * np.sin(angle)) / period
        mix = ((phase % 1.0) < rng.uniform(0.3, 0.7)).astype(np.float32)[..., None]
    elif kind == 2:  # checks / plaid
        period = rng.uniform(6, 24)
        mix = (((xs // period) + (ys // period)) % 2).astype(np.float32)[..., None]
        mix = 0.5 * mix + 0.5 * (((xs // (period / 3)) % 3) == 0)[..., None]
    elif kind == 3:  # mottled / camouflage
        mix = (smooth_noise(rng, size, rng.integers(6, 16), 1) > 0.5).astype(np.float32)
    else:  # denim-like fine noise
        mix = 0.35 * smooth_noise(rng, size, 96, 1)
    return base * (1 - mix) + second * mix


def background(rng: np.random.Generator, size: int) -> Image.Image:
    """A cluttered scene: textured walls/floor, random shapes and limb-like distractors."""
    xs, ys = _grid(size)
    kind = rng.integers(4)
    low = smooth_noise(rng, size, int(rng.integers(3, 10)))
    if kind == 0:  # coloured blobs
        image = low * 255
    elif kind == 1:  # wall and floor with a horizon
        horizon = rng.uniform(0.35, 0.75) * size
        wall, floor = random_color(rng), random_color(rng)
        image = np.where((ys > horizon)[..., None], floor, wall) * (0.7 + 0.6 * low)
    elif kind == 2:  # textured surface (tiles, stripes)
        image = fabric(rng, size) * (0.6 + 0.8 * low)
    else:  # sky-like gradient over ground
        top, bottom = random_color(rng), random_color(rng)
        w = (ys / size)[..., None]
        image = top * (1 - w) + bottom * w
        image = image * (0.75 + 0.5 * low)
    image = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 16))):  # clutter
        x0, y0 = rng.uniform(-0.1, 1.0, 2) * size
        w, h = rng.uniform(0.03, 0.35, 2) * size
        color = tuple(int(c) for c in random_color(rng, 0, 255))
        shape = rng.integers(4)
        if shape == 0:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=color)
        elif shape == 1:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=color)
        elif shape == 2:
            points = [tuple(p) for p in rng.uniform(0, 1, (3, 2)) * size]
            draw.polygon(points, fill=color)
        else:
            draw.line([x0, y0, x0 + w, y0 + h], fill=color, width=int(rng.integers(2, 8)))
    for _ in range(int(rng.integers(0, 4))):  # limb-like distractors in skin colours
        x0, y0 = rng.uniform(0, 1, 2) * size
        angle = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(0.05, 0.2) * size
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        width = int(rng.uniform(0.015, 0.05) * size) + 1
        color = tuple(int(c) for c in skin_color(rng))
        draw.line([x0, y0, x1, y1], fill=color, width=width)
        r = width / 2
        draw.ellipse([x1 - r, y1 - r, x1 + r, y1 + r], fill=color)
    return image


def to_image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), "RGB")
