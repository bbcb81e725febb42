"""``dkd-edge verify``: replay an artifact's golden rollout on this machine."""

from __future__ import annotations

import sys

import click

from dkd_edge.cli.options import emit_json, json_option


@click.command()
@click.argument("artifact", type=click.Path(file_okay=False))
@click.option("--backend", default=None,
              help="Runtime to replay on (default: the artifact's own): onnxruntime, "
                   "onnxruntime-exact-qdq, litert, coreml (macOS) or mil.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runtime threads.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False), default=None,
              help="Write the golden rollout as plain files for an app's own test "
                   "(golden.json, pixels.u8, heatmaps.f32) into this folder and stop.")
@json_option("The per-frame report")
def verify(artifact, backend, threads, export_dir, as_json) -> None:
    """Replay ARTIFACT's golden.npz closed loop and check every frame against the torch
    reference's outputs recorded at conversion. Exit 1 when a frame or the rollout fails.
    Needs only the runtime ('dkd-edge[runtime]')."""
    from pathlib import Path

    from dkd_edge.runtime.artifact import open_backend, read_manifest
    from dkd_edge.runtime.golden import read_golden, verify_golden

    folder = Path(artifact)
    manifest = read_manifest(folder)
    read_golden(folder, manifest)  # a missing or damaged golden file fails before loading
    if export_dir:
        from dkd_edge.runtime.golden import export_golden

        names = export_golden(folder, manifest, Path(export_dir))
        click.echo(f"wrote {', '.join(names)} to {export_dir}")
        return
    runtime, manifest = open_backend(folder, backend, threads=threads)
    report = verify_golden(runtime, folder, manifest)
    if as_json:
        emit_json(report, as_json)
    else:
        limits = report["tolerance"]
        click.echo(f"{folder}: {report['target']} {report['precision']} on {report['backend']}"
                   f", {report['frames']} frames (per frame {limits['frame']}, rollout "
                   f"{limits['rollout']})")
        for row in report["per_frame"]:
            click.echo(f"  frame {row['frame']:3d} {row['call']:4s}  max |dh| "
                       f"{row['max_abs_heatmap']:.2e}  keypoints "
                       f"{row['keypoint_agreement']:.3f}  {'pass' if row['passed'] else 'FAIL'}")
        click.echo(f"{'PASS' if report['passed'] else 'FAIL'}: max |dh| "
                   f"{report['max_abs_heatmap']:.2e}, keypoint agreement "
                   f"{report['keypoint_agreement']:.3f}")
    if not report["passed"]:
        sys.exit(1)
