"""One-Euro filter (Casiez et al., CHI 2012), as MediaPipe uses for keypoints."""

from __future__ import annotations

import math

import numpy as np


class OneEuroFilter:
    """Speed-adaptive low-pass filter over arrays of any shape.

    Args:
        min_cutoff: cutoff (Hz) at rest; lower = smoother when still.
        beta: how fast the cutoff rises with speed; higher = less lag when moving.
        d_cutoff: cutoff for the speed estimate.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff, dt: float):
        tau = 1.0 / (2 * math.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, dt: float = 1 / 30) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if self._x is None:
            self._x, self._dx = x.copy(), np.zeros_like(x)
            return x
        dx = (x - self._x) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = self._alpha(cutoff, dt)
        self._x = (a * x + (1 - a) * self._x).astype(np.float32)
        return self._x
