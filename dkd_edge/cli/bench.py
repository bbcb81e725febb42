"""``dkd-edge bench``: parity and latency of every artifact against the torch reference."""

from __future__ import annotations

from pathlib import Path

import click


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@click.command()
@click.option("--device", default="auto", show_default=True,
              help="Where the torch reference runs: cpu, cuda or auto (GPU when present).")
@click.option("--targets", default="onnx,tflite,coreml", show_default=True)
@click.option("--precisions", default="fp32", show_default=True)
@click.option("--model", "model_dir", type=click.Path(), default=None,
              help="Benchmark one existing artifact folder (a `convert --out`) instead.")
@click.option("--checkpoint", type=click.Path(), default=None)
@click.option("--threads", default="1", show_default=True, help="e.g. 1,2")
@click.option("--frames", type=int, default=300, show_default=True,
              help="Rollout length for parity and drift.")
@click.option("--runs", type=int, default=100, show_default=True, help="Warm timed steps.")
@click.option("--compare", multiple=True, type=click.Path(),
              help="External .tflite timed in the same run (context row).")
@click.option("--clips", type=int, default=8, show_default=True,
              help="Rendered test clips for PCK.")
@click.option("--penn-root", default="../shared/data/penn_action", show_default=True)
@click.option("--out", type=click.Path(), default="runs/bench", show_default=True)
@click.option("--json", "json_path", type=click.Path(), default=None,
              help="Write bench.json here (default OUT/bench.json).")
def bench(device, targets, precisions, model_dir, checkpoint, threads, frames, runs, compare,
          clips, penn_root, out, json_path) -> None:
    """Measure size, latency, PCK, parity and drift of each artifact vs the torch model."""
    from dkd_edge.bench.report import markdown, write_reports
    from dkd_edge.bench.run import BenchOptions, run_bench
    from dkd_edge.converters.targets import resolve_precision, resolve_target
    from dkd_edge.errors import DkdError

    try:
        thread_counts = tuple(int(t) for t in _csv(threads))
    except ValueError as exc:
        raise DkdError(f"--threads must be integers like 1,2, got {threads!r}") from exc
    for path in compare:
        if not Path(path).is_file():
            raise DkdError(f"--compare {path}: file not found")
    options = BenchOptions(
        device=device, targets=tuple(resolve_target(t).name for t in _csv(targets)),
        precisions=tuple(resolve_precision(p) for p in _csv(precisions)),
        model_dir=Path(model_dir) if model_dir else None, checkpoint=checkpoint,
        threads=thread_counts, frames=frames, runs=runs, compare=tuple(compare), clips=clips,
        penn_root=penn_root, workdir=Path(out))
    result = run_bench(options)
    paths = write_reports(result, Path(out), Path(json_path) if json_path else None)
    click.echo(markdown(result))
    click.echo(f"wrote {paths['json']}, {paths['md']}, {paths['png']}")
