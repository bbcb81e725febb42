"""Write frames as an animated GIF (Pillow) or an MP4 (optional PyAV), atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError

VIDEO_FORMATS = {".gif": "Pillow", ".mp4": "PyAV (pip install 'dkd-edge[video]')"}


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in VIDEO_FORMATS:
        raise DkdError(f"{path}: can't write {suffix or 'files without an extension'!r}; use "
                       f"{' or '.join(VIDEO_FORMATS)}")
    return suffix


def check_output(path: str | Path) -> Path:
    """Fail early (before any work) on an output the writer can't produce."""
    path = Path(path)
    if _check_suffix(path) == ".mp4":
        try:
            import av  # noqa: F401
        except ImportError as exc:
            raise DkdError("writing .mp4 needs PyAV: pip install 'dkd-edge[video]', or write "
                           "a .gif") from exc
    return path


def write_video(frames: Sequence[np.ndarray], path: str | Path, fps: float = 15.0) -> Path:
    """Write RGB uint8 frames to ``path`` (.gif or .mp4) via a temporary file and a rename."""
    path = check_output(path)
    if not frames:
        raise DkdError("no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        if path.suffix.lower() == ".gif":
            from PIL import Image

            images = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
            images[0].save(staging, save_all=True, append_images=images[1:], loop=0,
                           duration=int(round(1000 / fps)), optimize=False)
        else:
            _write_mp4(frames, staging, fps)
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()
    return path


def _write_mp4(frames: Sequence[np.ndarray], path: Path, fps: float) -> None:
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4",
                                      rate=int(round(fps)))
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            image = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[:stream.height, :stream.width]), format="rgb24")
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
