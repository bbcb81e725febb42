"""Opening an artifact folder (a ``dkd-edge convert --out``): manifest, checksums, backend."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from dkd_edge.errors import DkdError
from dkd_edge.quiet import third_party_output
from dkd_edge.runtime.backend import Backend, RuntimeDependencyError


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
    if not isinstance(manifest, dict) or manifest.get("format") != "dkd-edge-artifact":
        raise DkdError(f"{path}: not a dkd-edge artifact manifest")
    problem = manifest_problem(manifest)
    if problem:
        raise DkdError(f"{path}: malformed manifest ({problem}); convert again")
    return manifest


def _is_shape(value) -> bool:
    return (isinstance(value, list) and 0 < len(value) <= 6
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 4096
                    for v in value))


def _is_numbers(value, count: int) -> bool:
    return (isinstance(value, list) and len(value) == count
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def manifest_problem(manifest: dict) -> str | None:
    """What is wrong with a manifest's fields that the runtime reads, or None."""
    for key, kind in (("target", str), ("precision", str), ("files", list), ("inputs", list),
                      ("state", dict), ("preprocessing", dict), ("heatmaps", dict),
                      ("joints", list)):
        if not isinstance(manifest.get(key), kind):
            return f"{key!r} missing or not a {kind.__name__}"
    for entry in manifest["files"]:
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("sha256"), str)):
            return "a 'files' entry lacks path/sha256"
        if Path(entry["path"]).is_absolute() or ".." in Path(entry["path"]).parts:
            return f"file path {entry['path']!r} leaves the artifact folder"
    frame = next((i for i in manifest["inputs"]
                  if isinstance(i, dict) and i.get("name") == "frame"), None)
    if frame is None or not _is_shape(frame.get("shape")):
        return "no 'frame' input with a shape"
    if not _is_shape(manifest["state"].get("shape")):
        return "state shape"
    pre = manifest["preprocessing"]
    if not (_is_shape(pre.get("input_size")) and _is_numbers(pre.get("mean"), 3)
            and _is_numbers(pre.get("std"), 3)
            and all(v > 0 for v in pre["std"])):
        return "preprocessing input_size/mean/std"
    stride = manifest["heatmaps"].get("stride")
    if not (isinstance(stride, int) and not isinstance(stride, bool) and 0 < stride <= 64):
        return "heatmaps stride"
    if not all(isinstance(j, str) for j in manifest["joints"]) or not manifest["joints"]:
        return "joints"
    limit = manifest["state"].get("norm_range", {})
    if not isinstance(limit, dict) or not isinstance(limit.get("max", 0.0), (int, float)):
        return "state norm_range"
    return None


def frame_input(manifest: dict) -> dict:
    """The ``frame`` entry of a validated manifest's inputs."""
    return next(i for i in manifest["inputs"] if i.get("name") == "frame")


def size_mb(manifest: dict) -> float:
    """The artifact's files together, in MB."""
    return sum(int(f.get("bytes", 0)) for f in manifest["files"]) / 1e6


def artifact_summary(folder: str | Path) -> dict:
    """What ``dkd-edge info --model`` prints: read from the manifest, no runtime loaded."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    parity = manifest.get("parity") or {}
    source = manifest.get("source") or {}
    frame = frame_input(manifest)
    return {
        "path": str(folder), "model": manifest.get("model"),
        "model_version": source.get("model_version", "unversioned"),
        "target": manifest["target"], "precision": manifest["precision"],
        "size_mb": size_mb(manifest),
        "files": [f["path"] for f in manifest["files"]],
        "input": frame["shape"], "state": manifest["state"]["shape"],
        "joints": manifest["joints"],
        "joint_convention": manifest.get("joint_convention", "unstated"),
        "gate": (f"passed ({parity.get('tolerance', '')})" if parity else "not verified"),
        "created": manifest.get("created"),
    }


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
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise DkdError(f"threads must be a positive integer (or None for the runtime's "
                       f"default), got {threads!r}")
    manifest = read_manifest(folder)
    if verify_files:
        check_files(folder, manifest)
    try:
        with third_party_output():  # runtimes' C++ start-up logs (XNNPACK's cpuinfo, ODIE)
            instance = _open(folder, manifest, backend, threads)
    except DkdError:
        raise
    except ImportError as exc:
        raise RuntimeDependencyError(f"running {folder} needs {exc.name or 'a runtime'}: pip "
                                     "install 'dkd-edge[runtime]'") from exc
    except Exception as exc:  # a runtime refusing a damaged model file
        detail = " ".join(str(exc).split())[:200]
        raise DkdError(f"{folder}: the runtime could not load this artifact "
                       f"({type(exc).__name__}: {detail}); convert again") from exc
    instance.source = str(folder)
    instance.frame_shape = tuple(frame_input(manifest)["shape"])
    instance.state_shape = tuple(manifest["state"]["shape"])
    return instance, manifest


PLUGIN_GROUP = "dkd_edge.backends"


def plugin_backend(target: str):
    """The backend class another package registers for ``target`` under the
    ``dkd_edge.backends`` entry point (e.g. ExecuTorch's, which needs torch), or None."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        if entry.name == target:
            return entry.load()
    return None


def _open(folder: Path, manifest: dict, backend: str | None, threads: int | None) -> Backend:
    target = manifest["target"]
    if target == "coreai" and backend in (None, "coreai-local"):
        from dkd_edge.runtime.coreai_backend import CoreAIBackend

        return CoreAIBackend(folder, threads=threads)
    if target not in ("onnx", "tflite", "coreml", "coreai"):
        plugin = plugin_backend(target)
        if plugin is None:
            raise DkdError(f"no runtime for {target} artifacts is installed: pip install "
                           f"'dkd-edge[{target}]'")
        if backend not in (None, *plugin.backends):
            raise DkdError(f"backend {backend!r} cannot run a {target} artifact: use "
                           f"{', '.join(plugin.backends)}")
        return plugin(folder, threads=threads)
    if backend is None:
        backend = {"onnx": "onnxruntime", "tflite": "litert"}.get(
            target, "coreml" if sys.platform == "darwin" else "mil")
    if target == "onnx" and backend == "onnxruntime":
        from dkd_edge.runtime.onnx_backend import OnnxBackend

        return OnnxBackend(folder, threads=threads)
    if target == "onnx" and backend == "onnxruntime-exact-qdq":
        from dkd_edge.runtime.onnx_backend import OnnxBackend

        return OnnxBackend(folder, threads=threads, exact_qdq=True)
    if target == "tflite" and backend == "litert":
        from dkd_edge.runtime.litert_backend import LiteRTBackend

        return LiteRTBackend(folder, threads=threads)
    if target == "coreml" and backend == "coreml":
        if sys.platform != "darwin":
            raise DkdError("Core ML predict runs only on macOS; on this platform use the numpy "
                           "MIL interpreter (backend 'mil')")
        from dkd_edge.runtime.coreml_backend import CoreMLBackend

        return CoreMLBackend(folder)
    if target == "coreml" and backend == "mil":
        from dkd_edge.runtime.mil.backend import MILBackend

        return MILBackend(folder)
    raise DkdError(f"backend {backend!r} cannot run a {target} artifact")
