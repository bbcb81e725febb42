"""Stage ``qat``: quantization-aware fine-tuning of the init and step graphs together.

Both graphs are exported at batch 1 (the shapes that are converted), prepared with the
SDK's quantizer, and trained on the clips ``--data`` names (as in the other stages): init on
the first frame, then steps with the kernel state fed back, heatmap MSE on every frame.
Clips are accumulated to the batch size.
The checkpoint stores the float model and the two prepared graphs' state dicts; loading
re-exports and re-prepares the graphs (``dkd_edge.quant.qat``), then loads that state.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from dkd_edge.model.checkpoint import float_state, load_checkpoint, save_checkpoint
from dkd_edge.quant.graphs import prepare_graphs
from dkd_edge.quant.qat import add_rounding_noise


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
