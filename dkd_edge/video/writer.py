"""Write frames as an animated GIF (Pillow) or an MP4 (optional PyAV), frame by frame and
atomically: nothing appears at the output path until the last frame is written."""

from __future__ import annotations

import os
from collections.abc import Iterable
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


def check_output(path: str | Path, force: bool = True) -> Path:
    """Fail early (before any work) on an output the writer can't produce, or one that
    exists when ``force`` is off."""
    path = Path(path)
    if _check_suffix(path) == ".mp4":
        try:
            import av  # noqa: F401
        except ImportError as exc:
            raise DkdError("writing .mp4 needs PyAV: pip install 'dkd-edge[video]', or write "
                           "a .gif") from exc
    if path.is_dir():
        raise DkdError(f"--out {path} is a folder; give a .gif or .mp4 file path")
    if path.exists() and not force:
        raise DkdError(f"{path} exists: choose another --out or pass --force to replace it")
    return path


class VideoWriter:
    """Append RGB uint8 frames one at a time; ``close`` renames the finished file into place,
    and leaving the ``with`` block on an exception removes it.

    An MP4 is encoded as frames arrive (memory stays flat). A GIF keeps each frame as a
    256-colour palette image (one byte a pixel) until it is written: use MP4 for long videos.
    """

    def __init__(self, path: str | Path, fps: float = 15.0, force: bool = True):
        if not fps > 0:
            raise DkdError(f"fps must be positive, got {fps}")
        self.path = check_output(path, force)
        self.fps = fps
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.staging = self.path.with_name(
            f".{self.path.stem}.partial-{os.getpid()}{self.path.suffix}")
        self.frames = 0
        self._gif: list = []
        self._container = self._stream = None

    def write(self, frame: np.ndarray) -> None:
        frame = np.asarray(frame, np.uint8)
        if self.path.suffix.lower() == ".gif":
            from PIL import Image

            self._gif.append(Image.fromarray(frame).quantize(256))
        else:
            self._write_mp4(frame)
        self.frames += 1

    def _write_mp4(self, frame: np.ndarray) -> None:
        import av

        if self._container is None:
            height, width = frame.shape[:2]
            self._container = av.open(str(self.staging), mode="w", format="mp4")
            codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
            self._stream = self._container.add_stream(codec, rate=int(round(self.fps)) or 1)
            self._stream.width, self._stream.height = width - width % 2, height - height % 2
            self._stream.pix_fmt = "yuv420p"
        stream = self._stream
        image = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(frame[:stream.height, :stream.width]), format="rgb24")
        for packet in stream.encode(image):
            self._container.mux(packet)

    def close(self) -> Path:
        """Finish the file and move it to ``path``."""
        if self.frames == 0:
            self.abort()
            raise DkdError("no frames to write")
        try:
            if self._gif:
                self._gif[0].save(self.staging, save_all=True, append_images=self._gif[1:],
                                  loop=0, duration=int(round(1000 / self.fps)), optimize=False)
                self._gif = []
            if self._container is not None:
                for packet in self._stream.encode():
                    self._container.mux(packet)
                self._container.close()
                self._container = None
            os.replace(self.staging, self.path)
        finally:
            self.abort()
        return self.path

    def abort(self) -> None:
        """Drop everything written so far."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - the file is deleted next anyway
                pass
            self._container = None
        self._gif = []
        self.staging.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float = 15.0) -> Path:
    """Write RGB uint8 frames to ``path`` (.gif or .mp4) via a temporary file and a rename."""
    with VideoWriter(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.path
