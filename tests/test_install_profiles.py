"""Each install profile's CLI works in its own fresh virtual environment without torch:
the base install (data tools, --help, --version) and ``[runtime]`` (track, info and bench
latency on an artifact). Commands that need torch say in one line which extra to install.

`.ci/run` builds the two venvs once and passes them in ``DKD_BASE_PYTHON`` and
``DKD_RUNTIME_PYTHON``; without those, this test builds them (about 30 s each, from the
local wheel mirror).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dkd_edge.converters import ConvertOptions, convert
from dkd_edge.model.loading import bundled_checkpoint

REPO = Path(__file__).resolve().parents[1]


def _venv(tmp_path_factory, variable: str, extras: str) -> Path:
    if os.environ.get(variable):
        return Path(os.environ[variable])
    root = tmp_path_factory.mktemp(f"venv-{extras or 'base'}")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    spec = f"{REPO}[{extras}]" if extras else str(REPO)
    done = subprocess.run([str(root / "bin" / "pip"), "install", "--quiet", "-e", spec],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "bin" / "python"


@pytest.fixture(scope="module")
def base_python(tmp_path_factory) -> Path:
    return _venv(tmp_path_factory, "DKD_BASE_PYTHON", "")


@pytest.fixture(scope="module")
def runtime_python(tmp_path_factory) -> Path:
    return _venv(tmp_path_factory, "DKD_RUNTIME_PYTHON", "runtime")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("profile") / "onnx"
    convert("onnx", folder, ConvertOptions(verify=False),
            checkpoint=bundled_checkpoint("dkd-tiny"), progress=False)
    return folder


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(0)
    for index in range(4):
        Image.fromarray(rng.integers(0, 255, (90, 120, 3), np.uint8)).save(
            folder / f"{index:03d}.png")
    return folder


def _cli(python: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "dkd_edge", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def _one_line_error(done: subprocess.CompletedProcess, extra: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), done.stderr
    assert f"dkd-edge[{extra}]" in lines[0], lines[0]


def test_profiles_have_no_torch(base_python, runtime_python):
    for python in (base_python, runtime_python):
        done = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
        assert done.returncode != 0, f"{python} can import torch"


def test_base_install_cli(base_python, penn_root, lspet_root, tmp_path):
    assert _cli(base_python, "--help").returncode == 0
    version = _cli(base_python, "--version")
    assert version.returncode == 0 and "dkd-edge, version" in version.stdout
    for command in ("convert", "track", "bench", "info", "eval", "train", "data"):
        assert _cli(base_python, command, "--help").returncode == 0, command
    stats = _cli(base_python, "data", "stats", "--penn-root", str(penn_root), "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["sequences"] == 2326
    lspet = _cli(base_python, "data", "stats", "--lspet-root", str(lspet_root), "--json")
    assert json.loads(lspet.stdout)["images"] == 9000
    _one_line_error(_cli(base_python, "convert", "--target", "onnx", "--out",
                         str(tmp_path / "o")), "convert")
    _one_line_error(_cli(base_python, "train", "--stage", "init", "--out", str(tmp_path)),
                    "train")


def test_runtime_install_cli(runtime_python, artifact, frames, tmp_path):
    out = tmp_path / "tracked.gif"
    done = _cli(runtime_python, "track", str(frames), "--out", str(out), "--model",
                str(artifact), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frames"] == 4 and out.is_file()

    info = _cli(runtime_python, "info", "--model", str(artifact), "--json")
    assert info.returncode == 0, info.stderr
    summary = json.loads(info.stdout)
    assert summary["target"] == "onnx" and summary["model"] == "dkd-tiny"
    assert summary["joint_convention"] == "person-centric"

    bench = _cli(runtime_python, "bench", "--model", str(artifact), "--runs", "3",
                 "--out", str(tmp_path / "bench"))
    assert bench.returncode == 0, bench.stderr
    result = json.loads((tmp_path / "bench" / "bench.json").read_text())
    row = result["rows"][0]
    assert row["step_ms_median"] > 0 and row["pck"] is None
    assert row["parity"].startswith("not measured: no torch reference")
    assert "not measured" in bench.stdout

    replay = _cli(runtime_python, "verify", str(artifact), "--json")
    assert replay.returncode == 0, replay.stderr
    report = json.loads(replay.stdout)
    assert report["passed"] and len(report["per_frame"]) == 8

    _one_line_error(_cli(runtime_python, "convert", "--target", "onnx"), "convert")
    _one_line_error(_cli(runtime_python, "eval"), "convert")
    _one_line_error(_cli(runtime_python, "track", str(frames), "--out",
                         str(tmp_path / "x.gif")), "convert")
    example = subprocess.run([str(runtime_python), str(REPO / "examples" / "track_video.py"),
                              str(frames), "--out", str(tmp_path / "e.gif")],
                             capture_output=True, text=True, timeout=300)
    assert example.returncode != 0 and "Traceback" not in example.stderr
    assert "pip install 'dkd-edge[convert]'" in example.stderr
