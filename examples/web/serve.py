"""Serve the web example on localhost with a model folder and a folder of frames.

    python examples/web/serve.py --model out/onnx-fp32 \
        --frames ../shared/data/jhmdb_sample/Rename_Images/catch/<clip> [--port 8000]

then open http://127.0.0.1:8000/index.html. The site is staged in a temporary folder:
this page, ``node_modules`` (run ``npm install`` here first), ``model/`` and ``frames/``
with a generated ``frames.json``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def stage_site(root: Path, model: Path, frames: Path) -> Path:
    """Lay out the site under ``root``; returns ``root``."""
    modules = HERE / "node_modules" / "onnxruntime-web"
    if not modules.is_dir():
        raise SystemExit(f"{modules} missing: run `npm install` in {HERE}")
    if not (Path(model) / "manifest.json").is_file():
        raise SystemExit(f"{model}: not an artifact folder (no manifest.json)")
    for name in ("index.html", "main.js", "pose.js"):
        shutil.copy(HERE / name, root / name)
    (root / "node_modules").symlink_to(HERE / "node_modules")
    (root / "model").symlink_to(Path(model).resolve())
    frames_out = root / "frames"
    frames_out.mkdir()
    names = sorted(p.name for p in Path(frames).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not names:
        raise SystemExit(f"{frames}: no .png/.jpg frames")
    for name in names:
        (frames_out / name).symlink_to((Path(frames) / name).resolve())
    (frames_out / "frames.json").write_text(json.dumps({"frames": names}))
    return root


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".onnx": "application/octet-stream"}

    def log_message(self, *args) -> None:  # quiet
        pass


def start_server(root: Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, int]:
    """Serve ``root`` on 127.0.0.1 in a daemon thread; returns (server, port)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--frames", required=True, type=Path)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    root = stage_site(Path(tempfile.mkdtemp(prefix="dkd-web-")), args.model, args.frames)
    server, port = start_server(root, args.port)
    print(f"serving http://127.0.0.1:{port}/index.html (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
