"""Converted artifacts cached per checkpoint, for commands that need one (``dkd-edge track``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from dkd_edge.converters.options import ConvertOptions
from dkd_edge.converters.pipeline import convert


def cache_root() -> Path:
    """``$DKD_EDGE_CACHE``, else ``~/.cache/dkd-edge``."""
    return Path(os.environ.get("DKD_EDGE_CACHE", Path.home() / ".cache" / "dkd-edge"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def cached_artifact(target: str = "onnx", precision: str = "fp32",
                    checkpoint: str | Path | None = None, progress: bool = True) -> Path:
    """An artifact folder for ``checkpoint`` (default: the bundled model), converted (and
    verified) on first use, then reused while the checkpoint's bytes are unchanged."""
    from dkd_edge.model.config import DEFAULT_CONFIG
    from dkd_edge.model.loading import bundled_checkpoint

    source = Path(checkpoint) if checkpoint else bundled_checkpoint(DEFAULT_CONFIG)
    name = f"{source.stem}-{_digest(source)}-{target}-{precision}" if source.is_file() \
        else f"{source.stem}-{target}-{precision}"
    folder = cache_root() / name
    if not (folder / "manifest.json").is_file():
        convert(target, folder, ConvertOptions(precision=precision), checkpoint=checkpoint,
                force=True, progress=progress)
    return folder
