"""scripts/paired.py: the clip-by-clip comparison behind the model card's paired figures."""

from __future__ import annotations

import json

import pytest


def _eval(dkd: list[float], clips: int = 3) -> dict:
    return {"clips": clips, "frames": 10 * clips, "pck": {"dkd": sum(dkd) / len(dkd)},
            "per_clip": {"dkd": dkd}}


def test_paired_differences_and_counts(tmp_path, capsys, load_script):
    paired = load_script("paired")
    result = paired.paired(_eval([80.0, 90.0, 70.0]), _eval([82.0, 89.0, 70.0]), ("dkd",))
    assert result["dkd"]["paired"] == pytest.approx(1.0 / 3.0)
    assert (result["dkd"]["better"], result["dkd"]["worse"]) == (1, 1)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_eval([80.0, 90.0, 70.0])))
    b.write_text(json.dumps(_eval([82.0, 89.0, 70.0])))
    paired.main([str(a), str(b), "dkd", "--json"])
    assert json.loads(capsys.readouterr().out)["dkd"]["better"] == 1


def test_paired_refuses_evals_over_different_clips(load_script):
    paired = load_script("paired")
    with pytest.raises(SystemExit, match="different clips"):
        paired.paired(_eval([80.0, 90.0, 70.0]), _eval([80.0, 90.0], clips=2))
