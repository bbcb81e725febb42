"""Probe ExecuTorch int8 on the bundled model (evidence for docs/decisions/int8.md).

    python scripts/executorch_int8_probe.py --step stem      # int8 activations in the stem
    python scripts/executorch_int8_probe.py --step weights   # int8 weights, float activations

Exports the int8 init and step graphs through ``executorch_target.export``, replays a
30-frame closed loop against their torch reference and times the step on one thread.
Prints JSON: parity, file sizes, step median in ms.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=["stem", "weights"], default="stem")
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()

    import executorch.kernels.quantized  # noqa: F401  (portable quantized kernels)

    from dkd_edge.converters import executorch_target
    from dkd_edge.converters import graphs as export_graphs
    from dkd_edge.converters.graphs import Int8Recipe, build_export_graphs
    from dkd_edge.converters.pipeline import load_for_conversion
    from dkd_edge.converters.verify import reference_rollout, verification_pixels
    from dkd_edge.preprocess import normalise_nchw
    from dkd_edge.quant.scope import weights_only
    from dkd_edge.runtime.parity import compare_rollouts
    from dkd_edge.runtime.rollout import rollout

    if args.step == "weights":  # the step graph without its stem's int8 activations too
        shipped = export_graphs.int8_modules

        def int8_weights_everywhere(*a, **k):
            init, step = shipped(*a, **k)
            return init, weights_only(step)

        export_graphs.int8_modules = int8_weights_everywhere
    model, config, data = load_for_conversion(None, None)
    graphs = build_export_graphs(model, data, "int8", Int8Recipe("qat", scope="stem"))
    folder = Path(tempfile.mkdtemp())
    executorch_target.export(graphs, folder, None, {})
    backend = executorch_target.open_backend(folder, None)
    frames = [normalise_nchw(p, config.mean, config.std)
              for p in verification_pixels(config, args.frames)]
    parity = compare_rollouts(reference_rollout(graphs.reference, frames).heatmaps,
                              rollout(backend, frames).heatmaps)
    _, kernels = backend.init(frames[0])
    times = []
    for _ in range(30):
        start = time.perf_counter()
        backend.step(frames[0], kernels)
        times.append(time.perf_counter() - start)
    print(json.dumps({"step_graph": args.step, "parity": parity,
                      "bytes": {p.name: p.stat().st_size for p in folder.glob("*.pte")},
                      "step_ms_median": float(np.median(times) * 1e3)}, indent=1))


if __name__ == "__main__":
    main()
