"""``dkd-edge bench``: parity and latency of every artifact against the torch reference."""

from __future__ import annotations

from pathlib import Path

import click

from dkd_edge.cli.options import STDOUT, emit_json, json_option


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _is_tflite(path: Path) -> bool:
    """A TFLite flatbuffer carries the file identifier ``TFL3`` at bytes 4..8."""
    with open(path, "rb") as handle:
        return handle.read(8)[4:8] == b"TFL3"


def _jhmdb(explicit: str | None) -> str | None:
    """The real clip folder: the one given (it must exist), else the data folder's sample."""
    from dkd_edge.errors import DkdError
    from dkd_edge.locations import dataset_root

    if explicit and not Path(explicit).is_dir():
        raise DkdError(f"--jhmdb-root {explicit}: folder not found")
    if explicit:
        return explicit
    try:
        found = dataset_root("jhmdb_sample")
    except DkdError:
        return None
    return str(found) if found.is_dir() else None


def _torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


@click.command()
@click.option("--device", default="auto", show_default=True,
              help="Where the torch reference runs: cpu, cuda or auto (GPU when present).")
@click.option("--target", "--targets", "targets", default="onnx,tflite,coreml",
              show_default=True, help="Targets, a comma list (or all).")
@click.option("--precision", "--precisions", "precisions", default="fp32", show_default=True,
              help="Precisions, a comma list.")
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
@click.option("--penn-root", default=None, type=click.Path(),
              help="Penn Action labels for the PCK clips (default: DATA/penn_action).")
@click.option("--jhmdb-root", default=None, type=click.Path(),
              help="Real clip(s) for the real-pixel PCK column (default: DATA/jhmdb_sample "
                   "when present).")
@click.option("--no-reference", is_flag=True,
              help="With --model: latency and size only, no torch reference (what a "
                   "runtime-only install does by itself).")
@click.option("--out", type=click.Path(), default="runs/bench", show_default=True)
@json_option("The bench result (always also written to OUT/bench.json unless PATH is given)")
@click.option("--force", is_flag=True, help="Replace the reports in --out if they exist.")
def bench(device, targets, precisions, model_dir, checkpoint, threads, frames, runs, compare,
          clips, penn_root, jhmdb_root, no_reference, out, as_json, force) -> None:
    """Measure size, latency, PCK, parity and drift of each artifact vs the torch model."""
    from dkd_edge.bench.report import markdown, write_reports
    from dkd_edge.converters.targets import TARGETS, resolve_precision, resolve_target
    from dkd_edge.errors import DkdError

    if device not in ("cpu", "cuda", "auto"):
        raise DkdError(f"unknown device {device!r}: use cpu, cuda or auto")
    try:
        thread_counts = tuple(int(t) for t in _csv(threads))
    except ValueError as exc:
        raise DkdError(f"--threads must be integers like 1,2, got {threads!r}") from exc
    if not thread_counts or min(thread_counts) < 1:
        raise DkdError(f"--threads must be 1 or more, got {threads!r}")
    if frames < 2:
        raise DkdError(f"--frames must be at least 2 (init, then steps), got {frames}")
    if runs < 1:
        raise DkdError(f"--runs must be 1 or more, got {runs}")
    if clips < 1:
        raise DkdError(f"--clips must be 1 or more, got {clips}")
    for path in compare:
        if not Path(path).is_file():
            raise DkdError(f"--compare {path}: file not found")
        if not _is_tflite(Path(path)):
            raise DkdError(f"--compare {path}: not a TFLite model (no TFL3 identifier); "
                           "pass a .tflite file")
    json_path = None if as_json in (None, STDOUT) else as_json
    reports = Path(json_path) if json_path else Path(out) / "bench.json"
    if not force and (reports.exists() or (Path(out) / "bench.md").exists()):
        raise DkdError(f"{reports.parent if not json_path else reports} already holds bench "
                       "reports: choose another --out / --json or pass --force to replace them")
    if model_dir is not None:
        from dkd_edge.runtime.artifact import read_manifest

        read_manifest(model_dir)  # a bad folder fails before any work
    if model_dir is not None and (no_reference or not _torch_available()):
        from dkd_edge.bench.latency import latency_bench

        result = latency_bench(model_dir, thread_counts, runs, tuple(compare))
    else:
        if no_reference:
            raise DkdError("--no-reference times one artifact: pass --model")
        from dkd_edge.locations import dataset_root
        from dkd_edge.quiet import third_party_output

        with third_party_output():  # torch and torchao print deprecations on import
            import torchao  # noqa: F401

            from dkd_edge.bench.run import BenchOptions, run_bench

        penn = dataset_root("penn_action", penn_root)
        if not penn.is_dir():
            raise DkdError(f"{penn}: Penn Action folder not found (bench renders its test "
                           "clips for PCK); pass --penn-root or set the data folder")
        options = BenchOptions(
            device=device,
            targets=tuple(TARGETS) if targets.strip().lower() == "all" else tuple(
                resolve_target(t).name for t in _csv(targets)),
            precisions=tuple(resolve_precision(p) for p in _csv(precisions)),
            model_dir=Path(model_dir) if model_dir else None, checkpoint=checkpoint,
            threads=thread_counts, frames=frames, runs=runs, compare=tuple(compare),
            clips=clips, penn_root=str(penn), workdir=Path(out), jhmdb_root=_jhmdb(jhmdb_root))
        result = run_bench(options)
    paths = write_reports(result, Path(out), Path(json_path) if json_path else None)
    if as_json == STDOUT:
        emit_json(result, STDOUT)
        return
    click.echo(markdown(result))
    click.echo(f"wrote {paths['json']}, {paths['md']}, {paths['png']}")
