"""The CUDA paths: training on a GPU and the GPU torch reference that bench compares with.

Skipped where torch sees no CUDA GPU (CI has none); the device checks run them on one:
``pytest tests/test_gpu.py``.
"""

import json

import numpy as np
import pytest
import torch

from dkd_edge.model.checkpoint import load_checkpoint
from dkd_edge.train.loop import train
from dkd_edge.train.options import TrainOptions

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(1.0, float(np.abs(b).max())))


def test_cuda_reference_matches_the_cpu_one_at_fp32_tolerance():
    from dkd_edge.reference import TorchReferenceBackend

    cpu, gpu = TorchReferenceBackend(device="cpu"), TorchReferenceBackend(device="cuda")
    assert gpu.name == "torch-cuda"
    assert not torch.backends.cudnn.allow_tf32  # TF32 would put it ~1e-3 off
    frames = np.random.default_rng(0).normal(size=(6, 1, 3, 256, 256)).astype(np.float32)
    (h_cpu, k_cpu), (h_gpu, k_gpu) = cpu.init(frames[0]), gpu.init(frames[0])
    worst = max(_relative(h_gpu, h_cpu), _relative(k_gpu, k_cpu))
    for frame in frames[1:]:  # each side carries its own state, as a rollout does
        h_cpu, k_cpu = cpu.step(frame, k_cpu)
        h_gpu, k_gpu = gpu.step(frame, k_gpu)
        worst = max(worst, _relative(h_gpu, h_cpu), _relative(k_gpu, k_cpu))
    assert worst < 1e-4, worst


def test_training_on_cuda_writes_checkpoints_that_resume_on_cpu(tmp_path, penn_root):
    common = dict(config="dkd-tiny", penn_root=str(penn_root), out=str(tmp_path), workers=2,
                  progress=False, save_every=2)
    summary = train(TrainOptions(stage="init", steps=4, device="cuda", **common))
    assert summary["device"].startswith("cuda")
    data = load_checkpoint(tmp_path / "dkd-tiny" / "init" / "last.pt")
    assert all(v.device.type == "cpu" for v in data["model"].values() if torch.is_tensor(v))
    summary = train(TrainOptions(stage="dkd", steps=3, batch=2, clip_len=4, device="cuda",
                                 **common))
    assert summary["device"].startswith("cuda")
    resumed = train(TrainOptions(stage="dkd", steps=5, batch=2, clip_len=4, device="cpu",
                                 **common))
    assert resumed["device"] == "cpu" and resumed["steps"] == 5


def test_time_boxed_echoing_run_on_cuda(tmp_path, penn_root):
    """--max-minutes and --max-echo on a GPU: the run ends by time with final.pt, and echoed
    steps (time-reversed copies already on the device) train without error."""
    common = dict(config="dkd-tiny", penn_root=str(penn_root), out=str(tmp_path), workers=2,
                  progress=False, save_every=1000)
    train(TrainOptions(stage="init", steps=2, device="cuda", **common))
    summary = train(TrainOptions(stage="dkd", steps=100_000, batch=8, clip_len=5,
                                 device="cuda", max_echo=2, max_minutes=0.25,
                                 first_state="truth", **common))
    assert summary["out_of_time_at"] == summary["steps"] > 10
    stage = tmp_path / "dkd-tiny" / "dkd"
    assert load_checkpoint(stage / "final.pt")["step"] == summary["steps"]
    records = [json.loads(line) for line in (stage / "metrics.jsonl").read_text().splitlines()]
    assert all(0 <= r["echo"] <= 2 and np.isfinite(r["mse"]) for r in records)
    echoed = sum(r["echo"] > 0 for r in records)
    print(f"{summary['steps']} steps in 15 s; {echoed} of {len(records)} logged steps echoed")
