"""``dkd-edge data``: dataset statistics and the motion renderer."""

from __future__ import annotations

import click

from dkd_edge.cli.options import emit_json, json_option
from dkd_edge.errors import DkdError


@click.group()
def data() -> None:
    """Dataset tools: statistics of Penn Action / Sub-JHMDB / LSPET, and rendering video."""


@data.command()
@click.option("--penn-root", type=click.Path(), help="Penn Action folder (holds labels/).")
@click.option("--jhmdb-root", type=click.Path(), help="Sub-JHMDB folder (joint_positions/).")
@click.option("--lspet-root", type=click.Path(),
              help="LSP / LSP Extended folder (joints.mat, images/).")
@click.option("--split", default="all", show_default=True,
              help="train, test or all (LSPET: train, val or all).")
@json_option("The result")
def stats(penn_root, jhmdb_root, lspet_root, split, as_json) -> None:
    """Count sequences, splits and frames (LSPET: images, skipped labels, joints)."""
    if sum(bool(root) for root in (penn_root, jhmdb_root, lspet_root)) != 1:
        raise DkdError("give exactly one of --penn-root DIR, --jhmdb-root DIR or "
                       "--lspet-root DIR")
    if lspet_root:
        from dkd_edge.data.lspet import LSPET

        result = LSPET(lspet_root, split).stats()
    elif penn_root:
        from dkd_edge.data.penn_action import PennAction

        result = PennAction(penn_root, split).stats()
    else:
        from dkd_edge.data.jhmdb import SubJHMDB

        result = SubJHMDB(jhmdb_root, split).stats()
    if as_json:
        emit_json(result, as_json)
    else:
        for key, value in result.items():
            click.echo(f"{key:>22}: {value}")


@data.command()
@click.option("--penn-root", type=click.Path(), required=True, help="Penn Action labels source.")
@click.option("--split", default="train", show_default=True, help="train or test motion.")
@click.option("--limit", type=int, default=None, help="Render at most N sequences (spread evenly).")
@click.option("--max-frames", type=int, default=None, help="At most M frames per sequence.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--size", type=int, default=256, show_default=True, help="Frame size in pixels.")
@click.option("--out", type=click.Path(), required=True, help="New folder in Penn layout.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@json_option("A summary")
def render(penn_root, split, limit, max_frames, seed, size, out, force, as_json) -> None:
    """Render real Penn Action motion as video, written in the Penn Action layout."""
    from dkd_edge.data.penn_action import check_split
    from dkd_edge.data.render import RenderConfig
    from dkd_edge.data.render_job import render_penn_split

    if check_split(split) == "all":
        raise DkdError("render needs --split train or --split test")
    if size < 32:
        raise DkdError(f"--size must be at least 32, got {size}")
    summary = render_penn_split(
        penn_root, split, out, limit=limit, max_frames=max_frames, seed=seed,
        config=RenderConfig(size=size), force=force,
    )
    if as_json:
        emit_json(summary, as_json)
    else:
        click.echo(f"wrote {summary['sequences']} sequences, {summary['frames']} frames to {out}")
