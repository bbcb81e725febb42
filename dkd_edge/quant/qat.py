"""Stage ``qat``: quantization-aware fine-tuning of the init and step graphs together.

Both graphs are exported at batch 1 (the shapes that are converted), prepared with the
SDK's quantizer, and trained on the clips ``--data`` names (as in the other stages): init on
the first frame, then steps with the kernel state fed back, heatmap MSE on every frame.
Clips are accumulated to the batch size.
The checkpoint stores the float model and the two prepared graphs' state dicts; loading
re-exports and re-prepares the graphs, then loads that state.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from dkd_edge.errors import DkdError
from dkd_edge.eval.evaluate import TrackerFns
from dkd_edge.model.dkd import DKD
from dkd_edge.quant.graphs import freeze, prepare_graphs
from dkd_edge.train.checkpoint import (
    float_state,
    load_checkpoint,
    save_checkpoint,
)


def load_qat_graphs(model: DKD, qat_state: dict):
    """Re-create the prepared QAT graphs for ``model`` and load their trained state."""
    init, step = prepare_graphs(model, qat=True)
    try:
        init.load_state_dict(qat_state["init"])
        # Bundles leave out the step graph's copy of the initializer, which step never runs.
        missing, unexpected = step.load_state_dict(qat_state["step"], strict=False)
    except RuntimeError as exc:
        raise DkdError(f"QAT state does not fit this model ({str(exc).splitlines()[0][:160]})"
                       ) from exc
    if unexpected or any("initializer" not in key for key in missing):
        raise DkdError(f"QAT state does not fit this model (missing {missing[:3]}, unexpected "
                       f"{unexpected[:3]})")
    return freeze(init), freeze(step)


def quantized_graphs(model: DKD, qat_state: dict, fold: bool = False, weight_bits: int = 8):
    """The QAT graphs after ``convert_pt2e``: int8 weights and quantize/dequantize pairs,
    the torch int8 model that converters export and verify against. ``fold=True`` stores
    the weights as int8 constants (same numbers; the form Core ML's converter reads).
    ``weight_bits=7`` narrows the weights to -63..63 (quant/weight_range.py)."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from dkd_edge.quant.weight_range import narrow_weight_range

    init, step = load_qat_graphs(model, qat_state)
    narrow_weight_range(init, weight_bits)
    narrow_weight_range(step, weight_bits)
    return convert_pt2e(init, fold_quantize=fold), convert_pt2e(step, fold_quantize=fold)


def qat_trackers(model: DKD, qat_state: dict) -> TrackerFns:
    init, step = quantized_graphs(model, qat_state)
    return TrackerFns(lambda x: tuple(init(x)), lambda x, k: tuple(step(x, k)))


def add_rounding_noise(graph: torch.nn.Module, probability: float) -> int:
    """Training only: shift each fake-quantized activation by one int8 step up or down with
    ``probability`` each way, as integer kernels that round differently from torch's float
    simulation do. The model learns not to amplify such one-step differences, which is what
    keeps an integer runtime's keypoints on the reference's. Returns the hooked count."""
    from torchao.quantization.pt2e import FakeQuantizeBase

    def hook(module, _inputs, output):
        if not module.training:
            return output
        draw = torch.rand_like(output)
        step = (draw < probability).to(output.dtype) - (draw > 1 - probability).to(output.dtype)
        return output + step * module.scale.detach().to(output.dtype)

    hooked = 0
    for module in graph.modules():
        if (isinstance(module, FakeQuantizeBase)
                and module.qscheme in (torch.per_tensor_affine, torch.per_tensor_symmetric)):
            module.register_forward_hook(hook)
            hooked += 1
    return hooked


def train_qat(options) -> dict:
    from dkd_edge.train.trainer import (
        _lr_at,
        _starting_model,
        heatmap_loss,
        stage_dir,
        training_dataset,
    )

    model = _starting_model(options, None)
    config = model.config
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    out = stage_dir(options)
    last = out / "last.pt"
    init, step = prepare_graphs(model, qat=True)
    if options.rounding_noise > 0:
        for graph in (init, step):
            add_rounding_noise(graph, options.rounding_noise)
    params = list({id(p): p for g in (init, step) for p in g.parameters()}.values())
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=0.0)
    done = 0
    if options.resume and last.is_file():
        state = load_checkpoint(last)
        init.load_state_dict(state["qat"]["init"])
        step.load_state_dict(state["qat"]["step"])
        optimizer.load_state_dict(state["optimizer"])
        done = int(state["step"])
        print(f"resuming qat from {last} at step {done}")
    dataset = training_dataset(options, config, config.input_size,
                               seed=options.seed * 1000 + 999)
    stream = iter(torch.utils.data.DataLoader(dataset, batch_size=1,
                                              num_workers=options.workers))
    out.mkdir(parents=True, exist_ok=True)

    def payload(step_count: int, with_optimizer: bool) -> dict:
        data = {"config": config.to_dict(), "preprocessing": config.preprocessing(),
                "stage": "qat", "step": step_count, "model": float_state(model),
                "qat": {"init": init.state_dict(), "step": step.state_dict()},
                "options": asdict(options)}
        if with_optimizer:
            data["optimizer"] = optimizer.state_dict()
        return data

    bar = tqdm(total=options.steps, initial=done, desc=f"train {config.name} qat", unit="step",
               disable=not options.progress)
    started = time.perf_counter()
    while done < options.steps:
        lr = _lr_at(done, options.steps, options.lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(options.batch):
            clip = next(stream)
            frames, targets, weights = clip["frames"][0], clip["heatmaps"][0], clip["weights"][0]
            heatmaps, kernels = init(frames[:1])
            outputs = [heatmaps]
            for t in range(1, frames.shape[0]):
                heatmaps, kernels = step(frames[t:t + 1], kernels)
                outputs.append(heatmaps)
            loss, mse = heatmap_loss(torch.cat(outputs), targets, weights,
                                     options.peak_weight)
            (loss / options.batch).backward()
            total += mse.item() / options.batch
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        done += 1
        bar.update(1)
        bar.set_postfix(mse=f"{total:.3f}")
        if done % 10 == 0 or done == options.steps:
            with open(out / "metrics.jsonl", "a") as handle:
                handle.write(json.dumps({"step": done, "lr": lr, "mse": total,
                                         "elapsed_s": time.perf_counter() - started}) + "\n")
        if done % options.save_every == 0 or done == options.steps:
            save_checkpoint(last, payload(done, True))
    bar.close()
    save_checkpoint(out / "final.pt", payload(done, False))
    return {"stage": "qat", "config": config.name, "steps": done,
            "final": str(Path(out) / "final.pt")}
