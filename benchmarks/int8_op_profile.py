"""Per-op time of the ONNX step graph, float against int8, with ONNX Runtime's profiler: which
ops make int8 slower than fp32 on a CPU.

    python benchmarks/int8_op_profile.py ARTIFACT_FP32 ARTIFACT_INT8 [--runs 200]
        [--json docs/results/int8_op_profile.json]

Each artifact's step.onnx runs ``--runs`` times on one thread (after 20 warm-up runs) on the
verification frames; the profile's node events are summed per op type and divided by the run
count. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnxruntime as ort


def profile_step(folder: Path, runs: int, warmup: int = 20) -> dict:
    """{op type: mean microseconds per step} and the step's total, from ORT's profiler."""
    manifest = json.loads((folder / "manifest.json").read_text())
    frame_shape = next(i["shape"] for i in manifest["inputs"] if i["name"] == "frame")
    state_shape = manifest["state"]["shape"]
    rng = np.random.default_rng(0)
    feeds = {"frame": rng.standard_normal(frame_shape).astype(np.float32),
             "kernels": (0.1 * rng.standard_normal(state_shape)).astype(np.float32)}
    with tempfile.TemporaryDirectory() as work:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(folder / "step.onnx"), options,
                                       providers=["CPUExecutionProvider"])
        for _ in range(warmup):
            session.run(None, feeds)
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(work) / "step")
        session = ort.InferenceSession(str(folder / "step.onnx"), options,
                                       providers=["CPUExecutionProvider"])
        for _ in range(warmup):
            session.run(None, feeds)
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    per_op: dict[str, float] = defaultdict(float)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            per_op[event["args"]["op_name"]] += event["dur"]
    measured = runs + warmup  # the profiled session's runs
    table = {op: us / measured for op, us in sorted(per_op.items(), key=lambda kv: -kv[1])}
    return {"path": str(folder), "precision": manifest["precision"],
            "step_us": sum(table.values()), "per_op_us": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fp32", type=Path)
    parser.add_argument("int8", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    fp32, int8 = profile_step(args.fp32, args.runs), profile_step(args.int8, args.runs)
    ops = sorted(set(fp32["per_op_us"]) | set(int8["per_op_us"]),
                 key=lambda op: -max(fp32["per_op_us"].get(op, 0), int8["per_op_us"].get(op, 0)))
    print(f"{'op':28s} {'fp32 us':>10s} {'int8 us':>10s}")
    for op in ops:
        print(f"{op:28s} {fp32['per_op_us'].get(op, 0):10.1f} {int8['per_op_us'].get(op, 0):10.1f}")
    print(f"{'step (sum of ops)':28s} {fp32['step_us']:10.1f} {int8['step_us']:10.1f}")
    result = {"fp32": fp32, "int8": int8, "runs": args.runs, "threads": 1,
              "onnxruntime": ort.__version__,
              "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
              "command": "python benchmarks/int8_op_profile.py " + " ".join(
                  [str(args.fp32), str(args.int8), "--runs", str(args.runs)])}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
