"""scripts/average_checkpoints.py: the weight averages behind the model card's SWA figures."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dkd_edge.model.checkpoint import load_checkpoint, load_model_state, save_checkpoint
from dkd_edge.model.config import get_config
from dkd_edge.model.dkd import DKD


def _checkpoint(path: Path, seed: int, step: int) -> dict:
    torch.manual_seed(seed)
    config = get_config("dkd-tiny")
    model = DKD(config)
    payload = {"config": config.to_dict(), "preprocessing": {}, "stage": "dkd", "step": step,
               "model": model.state_dict(), "optimizer": {"state": {}}}
    save_checkpoint(path, payload)
    return payload


def test_average_is_the_mean_and_loads_into_the_model(tmp_path, capsys, load_script):
    script = load_script("average_checkpoints")
    a = _checkpoint(tmp_path / "a.pt", seed=1, step=10)
    b = _checkpoint(tmp_path / "b.pt", seed=2, step=20)
    out = tmp_path / "avg.pt"
    script.main([str(out), str(tmp_path / "a.pt"), str(tmp_path / "b.pt")])
    assert "steps [10, 20]" in capsys.readouterr().out
    averaged = load_checkpoint(out)
    key = next(k for k, v in a["model"].items() if v.is_floating_point() and v.numel() > 1)
    assert not torch.equal(a["model"][key], b["model"][key])
    assert torch.allclose(averaged["model"][key], (a["model"][key] + b["model"][key]) / 2)
    assert "optimizer" not in averaged and averaged["step"] == 20
    model = DKD(get_config("dkd-tiny"))
    assert load_model_state(model, averaged["model"], str(out)) == []


def test_average_refuses_another_config(tmp_path, load_script):
    script = load_script("average_checkpoints")
    a = _checkpoint(tmp_path / "a.pt", seed=1, step=10)
    b = dict(a, config=dict(a["config"], name="other"))
    with pytest.raises(SystemExit, match="another config"):
        script.average([a, b], ["a.pt", "b.pt"])
    with pytest.raises(SystemExit, match="at least two"):
        script.average([a], ["a.pt"])
