"""Opening an artifact folder (a ``dkd-edge convert --out``): manifest, checksums, backend."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from dkd_edge.errors import DkdError
from dkd_edge.runtime.backend import Backend


def read_manifest(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / "manifest.json"
    if not folder.exists():
        raise DkdError(f"{folder}: artifact folder not found")
    if not path.is_file():
        raise DkdError(f"{folder}: no manifest.json; point at a folder written by "
                       "`dkd-edge convert --out`")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DkdError(f"{path}: not valid JSON ({exc.msg}); convert again") from exc
    if manifest.get("format") != "dkd-edge-artifact":
        raise DkdError(f"{path}: not a dkd-edge artifact manifest")
    return manifest


def sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder (an .mlpackage): relative names and contents."""
    digest = hashlib.sha256()
    paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for item in paths:
        if path.is_dir():
            digest.update(str(item.relative_to(path)).encode())
        with open(item, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def check_files(folder: str | Path, manifest: dict) -> None:
    """Every file the manifest lists exists and matches its SHA-256."""
    folder = Path(folder)
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.exists():
            raise DkdError(f"{path}: listed in manifest.json but missing; convert again")
        if sha256(path) != entry["sha256"]:
            raise DkdError(f"{path}: SHA-256 differs from manifest.json (corrupt or truncated); "
                           "convert again")


def open_backend(folder: str | Path, backend: str | None = None, threads: int | None = 1,
                 verify_files: bool = True) -> tuple[Backend, dict]:
    """The backend for an artifact folder, chosen from its manifest (or by name).

    Names: ``onnxruntime``, ``onnxruntime-exact-qdq`` (an int8 ONNX model run as written,
    dequantize -> float op -> quantize, the semantics convert verifies), ``litert``,
    ``coreml`` (Core ML predict, macOS only) and ``mil`` (the numpy MIL interpreter; the
    default for Core ML artifacts off macOS).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if verify_files:
        check_files(folder, manifest)
    target = manifest["target"]
    if backend is None:
        backend = {"onnx": "onnxruntime", "tflite": "litert"}.get(
            target, "coreml" if sys.platform == "darwin" else "mil")
    if target == "onnx" and backend == "onnxruntime":
        from dkd_edge.runtime.onnx_backend import OnnxBackend

        return OnnxBackend(folder, threads=threads), manifest
    if target == "onnx" and backend == "onnxruntime-exact-qdq":
        from dkd_edge.runtime.onnx_backend import OnnxBackend

        return OnnxBackend(folder, threads=threads, exact_qdq=True), manifest
    if target == "tflite" and backend == "litert":
        from dkd_edge.runtime.litert_backend import LiteRTBackend

        return LiteRTBackend(folder, threads=threads), manifest
    if target == "coreml" and backend == "coreml":
        if sys.platform != "darwin":
            raise DkdError("Core ML predict runs only on macOS; on this platform use the numpy "
                           "MIL interpreter (backend 'mil')")
        from dkd_edge.runtime.coreml_backend import CoreMLBackend

        return CoreMLBackend(folder), manifest
    if target == "coreml" and backend == "mil":
        from dkd_edge.runtime.mil.backend import MILBackend

        return MILBackend(folder), manifest
    raise DkdError(f"backend {backend!r} cannot run a {target} artifact")
