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


def checkpoint_tag(checkpoint: str | Path | None = None) -> str:
    """``<stem>-<sha256[:12]>`` of a checkpoint (default: the bundled model): a cache key that
    changes when the weights do."""
    from dkd_edge.model.config import DEFAULT_CONFIG
    from dkd_edge.model.loading import bundled_checkpoint

    source = Path(checkpoint) if checkpoint else bundled_checkpoint(DEFAULT_CONFIG)
    return f"{source.stem}-{_digest(source)}" if source.is_file() else source.stem


def cached_artifact(target: str = "onnx", precision: str = "fp32",
                    checkpoint: str | Path | None = None, progress: bool = True) -> Path:
    """An artifact folder for ``checkpoint`` (default: the bundled model), converted (and
    verified) on first use, then reused while the checkpoint's bytes are unchanged."""
    folder = cache_root() / f"{checkpoint_tag(checkpoint)}-{target}-{precision}"
    if not (folder / "manifest.json").is_file():
        convert(target, folder, ConvertOptions(precision=precision), checkpoint=checkpoint,
                force=True, progress=progress)
    return folder
