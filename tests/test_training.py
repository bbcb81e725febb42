"""Training stages on dkd-tiny: a few steps each, checkpoints, resume, DDP, QAT, eval."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from dkd_edge.cli import cli
from dkd_edge.data.lspet import LSPET
from dkd_edge.errors import DkdError
from dkd_edge.model.checkpoint import load_checkpoint
from dkd_edge.train.loop import train
from dkd_edge.train.options import TrainOptions

PENN_ACTIONS = {"baseball_pitch", "baseball_swing", "bench_press", "bowl", "clean_and_jerk",
                "golf_swing", "jump_rope", "jumping_jacks", "pullup", "pushup", "situp", "squat",
                "strum_guitar", "tennis_forehand", "tennis_serve"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, penn_root):
    out = tmp_path_factory.mktemp("runs")
    common = dict(config="dkd-tiny", penn_root=str(penn_root), out=str(out), workers=0,
                  progress=False, save_every=3)
    train(TrainOptions(stage="init", steps=6, **common))
    train(TrainOptions(stage="dkd", steps=4, batch=2, clip_len=5, swap_prob=0.5, drift_prob=0.3,
                       double_prob=0.5, **common))
    train(TrainOptions(stage="qat", steps=2, batch=1, clip_len=5, **common))
    return out, common


def test_stages_write_checkpoints_with_config(tiny_run):
    out, _ = tiny_run
    for stage in ("init", "dkd", "qat"):
        data = load_checkpoint(out / "dkd-tiny" / stage / "final.pt")
        assert data["config"]["name"] == "dkd-tiny" and data["stage"] == stage
        assert data["preprocessing"]["input_size"] == [64, 64]
        lines = (out / "dkd-tiny" / stage / "metrics.jsonl").read_text().splitlines()
        assert "mse" in json.loads(lines[-1])
    assert "qat" in load_checkpoint(out / "dkd-tiny" / "qat" / "final.pt")


def test_dkd_stage_keeps_the_initializer_frozen(tiny_run):
    out, _ = tiny_run
    init = load_checkpoint(out / "dkd-tiny" / "init" / "final.pt")["model"]
    dkd = load_checkpoint(out / "dkd-tiny" / "dkd" / "final.pt")["model"]
    name = next(k for k in init if k.startswith("initializer.") and k.endswith("weight"))
    torch.testing.assert_close(init[name], dkd[name])
    enc = next(k for k in init if k.startswith("encoder.") and k.endswith("weight"))
    assert not torch.equal(init[enc], dkd[enc])


def test_resume_continues_from_last_checkpoint(tiny_run, capsys):
    out, common = tiny_run
    summary = train(TrainOptions(stage="init", steps=8, **common))
    assert "resuming init" in capsys.readouterr().out
    assert summary["steps"] == 8
    assert load_checkpoint(out / "dkd-tiny" / "init" / "last.pt")["step"] == 8


def test_stop_at_ends_part_way_and_the_schedule_resumes(tmp_path, penn_root):
    common = dict(config="dkd-tiny", stage="init", penn_root=str(penn_root), out=str(tmp_path),
                  workers=0, progress=False, save_every=100, steps=5)
    stage = tmp_path / "dkd-tiny" / "init"
    summary = train(TrainOptions(stop_at=3, **common))
    assert summary["final"] is None and summary["steps"] == 3
    assert load_checkpoint(stage / "last.pt")["step"] == 3 and not (stage / "final.pt").exists()
    lrs = [json.loads(line)["lr"] for line in (stage / "metrics.jsonl").read_text().splitlines()]
    summary = train(TrainOptions(**common))
    assert summary["steps"] == 5 and load_checkpoint(stage / "final.pt")["step"] == 5
    last_lr = json.loads((stage / "metrics.jsonl").read_text().splitlines()[-1])["lr"]
    assert last_lr < lrs[-1]  # the same cosine schedule, carried on to its end


def test_time_budget_ends_the_schedule_with_a_final_checkpoint(tmp_path, tiny_run):
    out, common = tiny_run
    summary = train(TrainOptions(stage="dkd", steps=50, batch=1, clip_len=5, max_echo=2,
                                 max_minutes=0.01 / 60,
                                 init_from=str(out / "dkd-tiny" / "init" / "final.pt"),
                                 **{**common, "out": str(tmp_path), "save_every": 1}))
    stage = tmp_path / "dkd-tiny" / "dkd"
    assert summary["out_of_time_at"] <= 1 and summary["final"]  # one 10 ms step at most
    assert load_checkpoint(stage / "final.pt")["step"] == summary["steps"]
    with pytest.raises(DkdError, match="time budget"):
        TrainOptions(stage="dkd", max_minutes=0).resolved()
    with pytest.raises(DkdError, match="max echo"):
        TrainOptions(stage="dkd", max_echo=-1).resolved()


def test_echoing_run_logs_echoes_and_fresh_frames(tmp_path, tiny_run):
    out, common = tiny_run
    train(TrainOptions(stage="dkd", steps=4, batch=1, clip_len=5, max_echo=3,
                       init_from=str(out / "dkd-tiny" / "init" / "final.pt"),
                       **{**common, "out": str(tmp_path)}))
    records = [json.loads(line) for line in
               (tmp_path / "dkd-tiny" / "dkd" / "metrics.jsonl").read_text().splitlines()]
    assert all(0 <= r["echo"] <= 3 for r in records)  # whether it echoes depends on timing
    assert records[-1]["fresh_frames_per_s"] <= records[-1]["frames_per_s"]


def test_adversarial_weight_zero_turns_it_off(tmp_path, tiny_run, penn_root):
    out, common = tiny_run
    common = {**common, "out": str(tmp_path)}
    init_final = str(out / "dkd-tiny" / "init" / "final.pt")
    train(TrainOptions(stage="dkd", steps=2, batch=1, clip_len=5, adv_weight=0.0,
                       init_from=init_final, **common))
    record = json.loads((tmp_path / "dkd-tiny" / "dkd" / "metrics.jsonl")
                        .read_text().splitlines()[-1])
    assert "adv" not in record and "d_loss" not in record


def test_set_grows_a_trained_model_through_the_cli(tmp_path, tiny_run, penn_root):
    """``--set encoder_context=8`` grows --init-from's model by the context block (the new
    weights start fresh, the checkpoint records the field), and QAT takes the same --set."""
    out, _ = tiny_run
    common = ["--config", "dkd-tiny", "--penn-root", str(penn_root), "--out", str(tmp_path),
              "--workers", "0", "--batch", "1", "--clip-len", "5", "--set", "encoder_context=8"]
    runner = CliRunner()
    result = runner.invoke(cli, ["train", "--stage", "dkd", "--steps", "2", "--init-from",
                                 str(out / "dkd-tiny" / "dkd" / "final.pt"), *common])
    assert result.exit_code == 0, result.output
    assert "4 new parameter(s) start fresh: encoder.context" in result.output
    grown = load_checkpoint(tmp_path / "dkd-tiny" / "dkd" / "final.pt")
    assert grown["config"]["encoder_context"] == 8 and grown["config"]["name"] == "dkd-tiny"
    assert "encoder.context.expand.weight" in grown["model"]
    result = runner.invoke(cli, ["train", "--stage", "qat", "--steps", "1", *common])
    assert result.exit_code == 0, result.output
    quantized = load_checkpoint(tmp_path / "dkd-tiny" / "qat" / "final.pt")
    assert quantized["config"]["encoder_context"] == 8
    for bad, message in (("encoder_context", "use KEY=VALUE"), ("name=x", "use KEY=VALUE"),
                         ("encoder_context=wide", "takes a int like 0"),
                         ("encoder_blocks=2,x,2", "takes a tuple like (2, 2, 2)")):
        result = runner.invoke(cli, ["train", "--stage", "dkd", "--set", bad])
        assert result.exit_code == 2 and message in result.output, (bad, result.output)


@pytest.mark.parametrize("first_state, initializer_runs", [("initializer", True),
                                                           ("truth", False)])
def test_first_state_truth_skips_the_initializer_pass(tmp_path, tiny_run, monkeypatch,
                                                      first_state, initializer_runs):
    from dkd_edge.model.networks import PoseInitializer

    out, common = tiny_run
    calls = []
    forward = PoseInitializer.forward
    monkeypatch.setattr(PoseInitializer, "forward",
                        lambda self, x: calls.append(x.shape) or forward(self, x))
    train(TrainOptions(stage="dkd", steps=2, batch=1, clip_len=5, swap_prob=0.5,
                       first_state=first_state,
                       init_from=str(out / "dkd-tiny" / "init" / "final.pt"),
                       **{**common, "out": str(tmp_path)}))
    assert bool(calls) == initializer_runs
    assert (tmp_path / "dkd-tiny" / "dkd" / "final.pt").is_file()
    with pytest.raises(DkdError, match="unknown first state"):
        TrainOptions(stage="dkd", first_state="oracle").resolved()


def test_peak_loss_prefers_one_sharp_correct_peak():
    from dkd_edge.train.losses import heatmap_peak_ce

    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")

    def blob(y, x):
        return torch.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0)[None, None]

    target, weights = blob(4, 4), torch.ones(1, 1)
    right = heatmap_peak_ce(blob(4, 4), target, weights)
    wrong = heatmap_peak_ce(blob(11, 11), target, weights)
    split = heatmap_peak_ce(blob(4, 4) + blob(11, 11), target, weights)
    assert right < split < wrong
    # an out-of-frame joint (weight 0) contributes nothing
    assert heatmap_peak_ce(blob(11, 11), target, torch.zeros(1, 1)) == 0


def test_peak_weight_trains_and_logs_mse_apart(tmp_path, tiny_run, penn_root):
    out, common = tiny_run
    common = {**common, "out": str(tmp_path)}
    train(TrainOptions(stage="dkd", steps=2, batch=1, clip_len=5, peak_weight=0.5,
                       init_from=str(out / "dkd-tiny" / "init" / "final.pt"), **common))
    record = json.loads((tmp_path / "dkd-tiny" / "dkd" / "metrics.jsonl")
                        .read_text().splitlines()[-1])
    assert record["loss"] > record["mse"] > 0


def test_low_res_fraction_sets_the_initializer_resolution(tmp_path, tiny_run):
    out, common = tiny_run
    from dkd_edge.model.config import get_config

    full = get_config("dkd-tiny").input_size
    for fraction, expected in ((0.0, full), (1.0, (full * 3 // 4) // 32 * 32)):
        run = tmp_path / f"f{fraction}"
        train(TrainOptions(stage="init", steps=1, low_res_fraction=fraction,
                           **{**common, "out": str(run)}))
        record = json.loads((run / "dkd-tiny" / "init" / "metrics.jsonl")
                            .read_text().splitlines()[-1])
        assert record["size"] == expected
    result = CliRunner().invoke(cli, ["train", "--stage", "init", "--low-res-fraction", "1.5"])
    assert result.exit_code == 2 and "1.5" in result.output


def test_initializer_from_swaps_only_the_initializer(tmp_path, tiny_run):
    from dkd_edge.model import DKD, get_config
    from dkd_edge.model.checkpoint import save_checkpoint
    from dkd_edge.train.stages import starting_model

    out, common = tiny_run
    other = load_checkpoint(out / "dkd-tiny" / "init" / "final.pt")
    other["model"] = {k: v + 1.0 if k.startswith("initializer.") and v.is_floating_point()
                      else v for k, v in other["model"].items()}
    save_checkpoint(tmp_path / "other.pt", other)
    dkd_ckpt = load_checkpoint(out / "dkd-tiny" / "dkd" / "final.pt")["model"]
    options = TrainOptions(stage="qat", init_from=str(out / "dkd-tiny" / "dkd" / "final.pt"),
                           initializer_from=str(tmp_path / "other.pt"), **common)
    state = starting_model(options.resolved()).state_dict()
    name = next(k for k in dkd_ckpt if k.startswith("initializer.") and k.endswith("weight"))
    torch.testing.assert_close(state[name], other["model"][name])
    enc = next(k for k in dkd_ckpt if k.startswith("encoder.") and k.endswith("weight"))
    torch.testing.assert_close(state[enc], dkd_ckpt[enc])
    with pytest.raises(DkdError, match="no such checkpoint"):
        starting_model(TrainOptions(stage="qat", initializer_from="missing.pt",
                                     **common).resolved())
    grown = dict(other, config={**other["config"], "init_refine": [0, 0, 1]})
    grown["model"] = {**other["model"], **{
        f"initializer.refine4.0.{k}": v
        for k, v in DKD(get_config("dkd-tiny", init_refine=(0, 0, 1))).initializer
        .refine4[0].state_dict().items()}}
    save_checkpoint(tmp_path / "grown.pt", grown)
    with pytest.raises(DkdError, match="does not fit this model's"):
        starting_model(TrainOptions(stage="qat", initializer_from=str(tmp_path / "grown.pt"),
                                     **common).resolved())


def test_rounding_noise_perturbs_the_fake_quantized_graph():
    from dkd_edge.model import DKD, get_config
    from dkd_edge.quant.graphs import prepare_graphs
    from dkd_edge.quant.qat import add_rounding_noise

    torch.manual_seed(0)
    init, _ = prepare_graphs(DKD(get_config("dkd-tiny")))
    frame = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        init(frame)  # observers see the data once
        from torchao.quantization.pt2e import disable_observer

        init.apply(disable_observer)
        clean = init(frame)[0]
        assert torch.equal(clean, init(frame)[0])
        assert add_rounding_noise(init, 0.1) > 10
        noisy = init(frame)[0]
    assert not torch.equal(clean, noisy)


def test_eval_json_reports_every_mode(tiny_run, penn_root, jhmdb_root):
    out, _ = tiny_run
    result = CliRunner().invoke(cli, [
        "eval", "--checkpoint", str(out / "dkd-tiny" / "qat" / "final.pt"), "--limit", "2",
        "--max-frames", "6", "--penn-root", str(penn_root), "--jhmdb-root", str(jhmdb_root),
        "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert set(data["pck"]) == {"dkd", "initializer", "dkd_qat"}
    assert all(0.0 <= v <= 100.0 for v in data["pck"].values())
    assert set(data["pck_drawn"]) == {"dkd", "initializer", "dkd_qat"}
    assert all(0.0 <= v <= 100.0 for v in data["pck_drawn"].values())
    assert set(data["jhmdb_pck"]) == {"dkd", "initializer", "dkd_qat"}
    assert data["per_joint"]["dkd"]["head"] >= 0.0
    actions = data["per_action"]["dkd"]
    assert actions and set(actions) <= PENN_ACTIONS
    assert all(0.0 <= v <= 100.0 for v in actions.values())


def test_eval_with_another_initializer(tiny_run, penn_root):
    """--initializer-from: that checkpoint's initializer under this step path (float rows)."""
    from dkd_edge.model.loading import bundled_checkpoint

    out, _ = tiny_run
    common = ["--limit", "2", "--max-frames", "6", "--penn-root", str(penn_root), "--json"]
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["eval", *args, *common])
        assert result.exit_code == 0, result.output
        return json.loads(result.output.strip().splitlines()[-1])

    bundled = str(bundled_checkpoint("dkd-tiny"))
    donor = run("--checkpoint", bundled, "--no-qat")
    swapped = run("--checkpoint", str(out / "dkd-tiny" / "qat" / "final.pt"),
                  "--initializer-from", bundled)
    assert swapped["per_joint"]["initializer"] == donor["per_joint"]["initializer"]
    assert swapped["pck"]["dkd_qat"] is None  # the QAT graphs hold their own initializer
    result = runner.invoke(cli, ["eval", "--initializer-from", str(bundled_checkpoint()),
                                 "--checkpoint", bundled, *common])
    assert result.exit_code == 2 and "not 'dkd-tiny'" in result.output


def test_bad_inputs_are_one_line_errors(tmp_path, tiny_run):
    out, common = tiny_run
    with pytest.raises(DkdError, match="unknown stage"):
        train(TrainOptions(stage="fine", **common))
    with pytest.raises(DkdError, match="does not exist"):
        train(TrainOptions(stage="dkd", **{**common, "out": str(tmp_path)}))
    runner = CliRunner()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    result = runner.invoke(cli, ["info", "--checkpoint", str(bad)])
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output
    result = runner.invoke(cli, ["info", "--config", "dkd-small", "--checkpoint",
                                 str(out / "dkd-tiny" / "dkd" / "final.pt")])
    assert result.exit_code == 2 and "not 'dkd-small'" in result.output
    result = runner.invoke(cli, ["train", "--config", "nope", "--stage", "init"])
    assert result.exit_code == 2 and "unknown model config" in result.output
    with pytest.raises(DkdError, match="qat stage runs on the CPU"):
        train(TrainOptions(stage="qat", device="cuda", **common))
    with pytest.raises(DkdError, match="unknown device"):
        train(TrainOptions(stage="init", device="tpu", **common))
    if not torch.cuda.is_available():
        with pytest.raises(DkdError, match="sees no CUDA GPU"):
            train(TrainOptions(stage="init", device="cuda", **common))


def test_torchrun_two_processes(tmp_path, penn_root):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", "-m", "dkd_edge", "train", "--config", "dkd-tiny", "--stage", "init",
           "--steps", "3", "--batch", "8", "--workers", "0", "--threads", "1", "--device", "cpu",
           "--penn-root", str(penn_root), "--out", str(tmp_path), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    data = load_checkpoint(tmp_path / "dkd-tiny" / "init" / "final.pt")
    assert data["step"] == 3


def test_normalise_moves_channels_first_and_applies_mean_std():
    from dkd_edge.train.data import normalise

    frames = np.random.default_rng(0).integers(0, 256, (2, 8, 6, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    x = normalise(frames, mean, std)
    assert x.shape == (2, 3, 8, 6) and x.dtype == torch.float32 and x.is_contiguous()
    expected = (frames / 255.0 - np.array(mean)) / np.array(std)
    np.testing.assert_allclose(x.numpy(), expected.transpose(0, 3, 1, 2), atol=1e-5)


@pytest.mark.parametrize("stage, data", [("init", "lspet"), ("dkd", "mixed"), ("qat", "mixed")])
def test_real_pixel_training_data(tmp_path, tiny_run, lspet_root, stage, data):
    """--data lspet|mixed: LSPET views for the initializer, synthetic-motion clips mixed with
    rendered ones for the step path and QAT; checkpoints record the data source."""
    out, common = tiny_run
    previous = {"init": None, "dkd": "init", "qat": "dkd"}[stage]
    summary = train(TrainOptions(
        stage=stage, steps=2, batch=2, clip_len=1 if stage == "init" else 3, data=data,
        lspet_root=str(lspet_root), real_prob=0.5,
        init_from=str(out / "dkd-tiny" / previous / "final.pt") if previous else None,
        **{**common, "out": str(tmp_path)}))
    data_used = load_checkpoint(summary["final"])["options"]["data"]
    assert data_used == data
    with pytest.raises(DkdError, match="unknown training data"):
        TrainOptions(stage="dkd", data="imagenet").resolved()


def test_lspet_clips_weight_only_annotated_joints(lspet_root):
    from dkd_edge.train.data import LspetClips

    clips = LspetClips(lspet_root, 4, 64, 4, 1.0, (0.5,) * 3, (0.25,) * 3, mode="motion")
    rng = np.random.default_rng(0)
    for _ in range(5):
        sample = clips.sample(rng)
        assert sample["frames"].shape == (4, 3, 64, 64)
        assert sample["heatmaps"].shape == (4, 13, 16, 16)
        # joints outside the frame or never annotated weigh nothing
        outside = ~((sample["joints"] >= 0) & (sample["joints"] <= 63)).all(-1)
        assert (sample["weights"][outside] == 0).all()
    validation = {item.name for item in LSPET(lspet_root, "val").items}
    assert not {item.name for item in clips.dataset.items} & validation


def test_loss_falls_on_dkd_tiny(tmp_path, penn_root):
    """Training learns, not only writes files: the initializer's logged heatmap MSE falls
    at every log point and ends well under where it started."""
    train(TrainOptions(config="dkd-tiny", stage="init", steps=30, batch=8,
                       penn_root=str(penn_root), out=str(tmp_path), workers=0, progress=False,
                       save_every=30, seed=3))
    records = [json.loads(line) for line in
               (tmp_path / "dkd-tiny" / "init" / "metrics.jsonl").read_text().splitlines()]
    assert len(records) >= 3
    assert records[-1]["mse"] < 0.75 * records[0]["mse"], [r["mse"] for r in records]
    assert records[-1]["mse"] < records[1]["mse"] < records[0]["mse"]
