"""Where the project's datasets live: one setting, resolved here and nowhere else.

The data folder holds ``penn_action/``, ``lspet/`` and ``jhmdb_sample/``. It is, in order:
``dkd-edge --data DIR``, the ``DKD_DATA`` environment variable, or ``../shared/data`` beside
the working directory or beside this checkout, whichever exists. A per-dataset option
(``--penn-root`` ...) still wins for that dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

from dkd_edge.errors import DkdError

DATA_ENV = "DKD_DATA"
DATASETS = ("penn_action", "lspet", "jhmdb_sample")
_override: dict[str, Path] = {}
_HOW = (f"set {DATA_ENV}=/path/to/data (the folder holding {', '.join(DATASETS)}) or pass "
        "`dkd-edge --data DIR`")


def _default_candidates() -> list[Path]:
    checkout = Path(__file__).resolve().parents[1]
    return [Path.cwd().parent / "shared" / "data", checkout.parent / "shared" / "data"]


def data_root() -> Path:
    """The data folder, or a one-line error that says how to set it."""
    if "root" in _override:
        return _override["root"]
    configured = os.environ.get(DATA_ENV)
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            raise DkdError(f"{DATA_ENV}={configured}: no such folder; {_HOW}")
        return root
    for candidate in _default_candidates():
        if candidate.is_dir():
            return candidate
    raise DkdError(f"no data folder found (looked for ../shared/data); {_HOW}")


def set_data_root(path: str | Path) -> None:
    """Point every dataset default at ``path`` for this process (``dkd-edge --data``)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DkdError(f"--data {path}: no such folder; pass the folder holding "
                       f"{', '.join(DATASETS)}")
    _override["root"] = root.resolve()


def dataset_root(name: str, explicit: str | Path | None = None) -> Path:
    """``explicit`` when given, else ``<data folder>/<name>``."""
    if explicit:
        return Path(explicit).expanduser()
    if name not in DATASETS:
        raise DkdError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}")
    return data_root() / name
