"""Reading MATLAB v5 label files with errors that name the file and the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from dkd_edge.errors import DatasetError


def load_mat(path: Path, required: tuple[str, ...]) -> dict:
    """Load a .mat file and check that it has every required field."""
    try:
        data = scipy.io.loadmat(str(path))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: file not found") from exc
    except Exception as exc:  # scipy raises several types for corrupt files
        raise DatasetError(f"{path}: not a readable MATLAB file ({exc})") from exc
    missing = [name for name in required if name not in data]
    if missing:
        raise DatasetError(f"{path}: missing required field(s) {', '.join(missing)}")
    return data


def scalar(value) -> float:
    """The first element of a MATLAB scalar of any numeric type."""
    return float(np.asarray(value).ravel()[0])


def text(value) -> str:
    """A MATLAB char array as a Python string ('' when empty)."""
    array = np.asarray(value).ravel()
    return str(array[0]) if array.size else ""
