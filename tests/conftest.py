"""Shared fixtures: the real data in ../shared/data beside the checkout."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DKD_SHARED", REPO.parent / "shared"))
PENN_ROOT = SHARED / "data" / "penn_action"
JHMDB_ROOT = SHARED / "data" / "jhmdb_sample"
LSPET_ROOT = SHARED / "data" / "lspet"


@pytest.fixture(scope="session")
def penn_root() -> Path:
    if not (PENN_ROOT / "labels").is_dir():
        pytest.fail(f"real Penn Action labels not found at {PENN_ROOT} (set DKD_SHARED)")
    return PENN_ROOT


@pytest.fixture(scope="session")
def jhmdb_root() -> Path:
    if not (JHMDB_ROOT / "joint_positions").is_dir():
        pytest.fail(f"real JHMDB sample not found at {JHMDB_ROOT} (set DKD_SHARED)")
    return JHMDB_ROOT


@pytest.fixture(scope="session")
def lspet_root() -> Path:
    if not (LSPET_ROOT / "joints.mat").is_file():
        pytest.fail(f"real LSPET data not found at {LSPET_ROOT} (set DKD_SHARED)")
    return LSPET_ROOT


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_script", REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_script():
    """Import one of scripts/*.py by its name (without .py), for the scripts' own tests."""
    return _load_script


# The fast tier (`pytest -m "not slow"`): no ../shared data and no conversion or training.
# A test is slow when it uses real data or a converted artifact (by fixture), or lives in a
# module that trains, converts or builds environments throughout.
SLOW_FIXTURES = {"penn_root", "jhmdb_root", "lspet_root", "artifacts", "artifact", "tiny_onnx",
                 "onnx_dir", "manifests", "scratch", "tracker", "clip", "train_sequence",
                 "base_python", "runtime_python"}
SLOW_MODULES = {"test_training", "test_install_profiles", "test_quiet", "test_fuzz",
                "test_tflite_routes", "test_web_example", "test_runtime_torch_free",
                "test_calibration", "test_bench", "test_weight_range", "test_int8_scope",
                "test_real_pixels", "test_gpu", "test_paired_script",
                "test_average_checkpoints_script", "test_pretrained", "test_checkpoint_safety",
                "test_golden", "test_executorch", "test_coreai", "test_kotlin_logic"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        if module in SLOW_MODULES or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)
