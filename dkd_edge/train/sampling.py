"""Which training sequence a rendered clip comes from: Penn Action's own mix, or re-weighted
by action (for example towards the actions the model still gets wrong)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError


def load_action_weights(path: str | Path) -> dict[str, float]:
    """A JSON object ``{action: weight}`` (or ``{"weights": {...}}``) with positive weights."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DkdError(f"{path}: action-weights file not found") from None
    except json.JSONDecodeError as err:
        raise DkdError(f"{path}: not JSON ({err.msg}); write {{\"action\": weight, ...}}") from None
    weights = data.get("weights", data) if isinstance(data, dict) else None
    if not isinstance(weights, dict) or not weights:
        raise DkdError(f"{path}: expected a JSON object {{\"action\": weight, ...}}")
    out = {}
    for action, value in weights.items():
        if not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
            raise DkdError(f"{path}: weight of {action!r} must be a positive number, got {value!r}")
        out[str(action)] = float(value)
    return out


def sequence_probabilities(actions: list[str], weights: dict[str, float]) -> np.ndarray:
    """Per-sequence draw probabilities: each sequence gets its action's weight (1 for actions
    the weights leave out), so equal weights keep the dataset's own mix."""
    unknown = sorted(set(weights) - set(actions))
    if unknown:
        raise DkdError(f"action weights name unknown actions {', '.join(unknown)}; "
                       f"known: {', '.join(sorted(set(actions)))}")
    per_sequence = np.array([weights.get(action, 1.0) for action in actions], dtype=np.float64)
    return per_sequence / per_sequence.sum()


def weights_from_errors(errors: dict[str, float], power: float = 0.5, low: float = 0.5,
                        high: float = 3.0) -> dict[str, float]:
    """Per-action weights from per-action error rates (e.g. 100 - PCK): each action's error
    over the mean error across actions, to ``power``, clipped to [low, high], rounded to
    3 decimals. ``power`` 0 gives every action weight 1 (the dataset's own mix)."""
    floored = {action: max(float(error), 1e-3) for action, error in errors.items()}
    mean = float(np.mean(list(floored.values())))
    return {action: round(float(np.clip((error / mean) ** power, low, high)), 3)
            for action, error in floored.items()}
