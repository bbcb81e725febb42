"""Frames from a folder of images, an animated GIF, or a video file (optional PyAV)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dkd_edge.errors import DkdError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}


def _folder_frames(folder: Path, limit: int | None) -> Iterator[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:  # checked now, before the caller starts any work
        raise DkdError(f"{folder}: no image frames ({', '.join(sorted(IMAGE_SUFFIXES))}) in "
                       "this folder")
    return _read_images(files[:limit])


def _read_images(files: list[Path]) -> Iterator[np.ndarray]:
    from PIL import Image

    for path in files:
        try:
            with Image.open(path) as image:
                yield np.asarray(image.convert("RGB"))
        except OSError as exc:
            raise DkdError(f"{path}: unreadable image ({exc})") from exc


def _gif_frames(path: Path, limit: int | None) -> Iterator[np.ndarray]:
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as image:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if limit is not None and index >= limit:
                    break
                yield np.asarray(frame.convert("RGB"))
    except OSError as exc:
        raise DkdError(f"{path}: unreadable GIF ({exc})") from exc


def _video_frames(path: Path, limit: int | None) -> Iterator[np.ndarray]:
    try:
        import av
    except ImportError as exc:
        raise DkdError("reading video files needs PyAV: pip install 'dkd-edge[video]' (or pass "
                       "a folder of frames)") from exc
    try:  # opened now, so an unreadable file fails before the caller starts any work
        container = av.open(str(path))
        if not container.streams.video:
            container.close()
            raise DkdError(f"{path}: no video stream in this file")
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise DkdError(f"{path}: unreadable video ({str(exc)[:120]})") from exc
    return _decode(container, path, limit)


def _decode(container, path: Path, limit: int | None) -> Iterator[np.ndarray]:
    import av

    try:
        with container:
            for index, frame in enumerate(container.decode(video=0)):
                if limit is not None and index >= limit:
                    break
                yield frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise DkdError(f"{path}: unreadable video ({str(exc)[:120]})") from exc


def read_frames(source: str | Path, limit: int | None = None) -> Iterator[np.ndarray]:
    """RGB uint8 [H, W, 3] frames from a folder of images, a GIF or a video file."""
    path = Path(source)
    if not path.exists():
        raise DkdError(f"{path}: no such file or folder")
    if path.is_dir():
        return _folder_frames(path, limit)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return _gif_frames(path, limit)
    if suffix in VIDEO_SUFFIXES:
        return _video_frames(path, limit)
    if suffix in IMAGE_SUFFIXES:
        return _folder_frames_single(path)
    raise DkdError(f"{path}: unknown input type {suffix!r}: give a folder of frames, a .gif or "
                   f"a video ({', '.join(sorted(VIDEO_SUFFIXES))})")


def _folder_frames_single(path: Path) -> Iterator[np.ndarray]:
    from PIL import Image

    try:
        with Image.open(path) as image:
            yield np.asarray(image.convert("RGB"))
    except OSError as exc:
        raise DkdError(f"{path}: unreadable image ({exc})") from exc


def count_frames(source: str | Path) -> int | None:
    """How many frames ``read_frames`` will yield, when the container says so cheaply."""
    path = Path(source)
    try:
        if path.is_dir():
            return sum(1 for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return 1
        if path.suffix.lower() == ".gif":
            from PIL import Image

            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
        if path.suffix.lower() in VIDEO_SUFFIXES:
            import av

            with av.open(str(path)) as container:
                return int(container.streams.video[0].frames) or None
    except Exception:  # noqa: BLE001 - a count is a nicety; reading reports real errors
        return None
    return None
