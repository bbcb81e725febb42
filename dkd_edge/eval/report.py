"""The evaluation behind ``dkd-edge eval``: every mode on the same clips, one result dict."""

from __future__ import annotations

import torch

from dkd_edge.errors import DkdError
from dkd_edge.eval.evaluate import (
    evaluate_rendered,
    evaluate_sequences,
    rendered_test_clips,
)
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.keypoints import DECODE_METHODS, DEFAULT_DECODE
from dkd_edge.model.dkd import DKD
from dkd_edge.model.tracker_fns import TrackerFns


def float_trackers(model: DKD) -> dict[str, TrackerFns]:
    model.eval()
    return {
        "initializer": TrackerFns(lambda x: (model.initializer(x), None), None),
        "dkd": TrackerFns(model.init, model.step),
    }


@torch.no_grad()
def run_eval(checkpoint, penn_root, limit: int, max_frames: int, jhmdb_root=None,
             with_qat: bool = True, progress: bool = True,
             initializer_from: str | None = None, decode: str = DEFAULT_DECODE,
             lspet_root=None, lspet_limit: int | None = None, lspet_frames: int = 16,
             lspet_paired: bool = False, rendered: bool = True) -> dict:
    """PCK@0.2 (percent) per mode on rendered test clips, and on Sub-JHMDB when given.
    ``pck_ci95`` is a bootstrap 95 % interval of each mean over clips; ``per_clip`` the clips'
    own means, in clip order (for paired comparisons of two checkpoints); ``per_action`` the
    mean over each Penn Action action's clips.
    ``pck`` scores the joints the source labels mark visible (the standard protocol);
    ``pck_drawn`` every joint drawn in view, the earlier protocol (see ``RenderedClip``).
    ``initializer_from`` swaps in another checkpoint's pose initializer (float rows only:
    the QAT graphs carry their own initializer weights). ``decode`` picks how keypoints are
    read off the heatmaps (``dkd_edge.keypoints.decode_heatmaps``).
    ``lspet_root`` adds ``lspet``: real-pixel figures on the LSPET validation split
    (``dkd_edge.eval.lspet_eval``). Test-split Penn Action sequences whose real frames sit
    under ``frames/`` are evaluated as real video (``penn_real``). ``rendered=False`` skips
    the rendered regression rows."""
    from dkd_edge.model.loading import load_initializer, load_model

    if limit < 1:
        raise DkdError(f"--limit must be at least 1, got {limit}")
    if max_frames < 1:
        raise DkdError(f"--max-frames must be at least 1, got {max_frames}")
    if lspet_limit is not None and lspet_limit < 1:
        raise DkdError(f"--lspet-limit must be at least 1, got {lspet_limit}")
    from dkd_edge.data.penn_action import PennAction
    from dkd_edge.locations import dataset_root

    penn_root = str(dataset_root("penn_action", penn_root))
    PennAction(penn_root, "test")  # every data folder is checked before any evaluation
    if lspet_root:
        from dkd_edge.data.lspet import LSPET

        LSPET(lspet_root, "val")
    if jhmdb_root:
        from dkd_edge.data.jhmdb import SubJHMDB

        SubJHMDB(jhmdb_root)
    if decode not in DECODE_METHODS:
        raise DkdError(f"unknown --decode {decode!r}: use one of {', '.join(DECODE_METHODS)}")
    model, config, data = load_model(checkpoint)
    if initializer_from:
        load_initializer(model, initializer_from)
        with_qat = False
    trackers = float_trackers(model)
    if with_qat and data.get("qat"):
        from dkd_edge.converters.graphs import Int8Recipe, build_export_graphs

        # The int8 model the converters ship by default (TFLite's and Core ML's recipe).
        shipped = Int8Recipe("qat", init="weights", scope="stem")
        trackers["dkd_qat"] = build_export_graphs(model, data, "int8", shipped).reference
    result: dict = {"model": config.name,
                    "model_version": data.get("model_version", "unversioned"),
                    "decode": decode, "clips": 0, "frames": 0,
                    "pck": {}, "pck_ci95": {}, "pck_drawn": {}, "per_clip": {},
                    "per_group": {}, "per_joint": {}, "per_action": {}}
    if rendered:
        _rendered_rows(result, trackers, config, penn_root, limit, max_frames, decode,
                       progress)
    if lspet_root:
        from dkd_edge.eval.lspet_eval import evaluate_lspet

        result["lspet"] = evaluate_lspet(trackers, config, lspet_root, lspet_limit,
                                         lspet_frames, lspet_paired, decode, progress)
    real_penn = _penn_sequences_with_frames(penn_root, limit)
    if real_penn:
        result["penn_real"] = _sequence_rows(trackers, real_penn, config, decode, progress,
                                             "penn")
    if jhmdb_root:
        from dkd_edge.data.jhmdb import SubJHMDB

        rows = _sequence_rows(trackers, list(SubJHMDB(jhmdb_root)), config, decode, progress,
                              "jhmdb")
        result["jhmdb_pck"] = rows["pck"]
        result["jhmdb"] = rows
        for name, table in rows["per_group"].items():
            result["per_group"][f"jhmdb_{name}"] = table
    return result


def _rendered_rows(result: dict, trackers: dict[str, TrackerFns], config, penn_root,
                   limit: int, max_frames: int, decode: str, progress: bool) -> None:
    """The rendered test split (a regression guard, not the measure of the model)."""
    clips = rendered_test_clips(penn_root, limit, max_frames, config.input_size)
    result["clips"] = len(clips)
    result["frames"] = int(sum(len(c.frames) for c in clips))
    actions = [str(clip.meta.get("action") or "unknown") for clip in clips]
    for name, fns in trackers.items():
        drawn = PCKAccumulator()
        acc = evaluate_rendered(fns, clips, config, progress, desc=f"eval {name}",
                                decode=decode, drawn=drawn)
        result["pck"][name] = acc.groups()["Mean"]
        result["pck_drawn"][name] = drawn.groups()["Mean"]
        result["pck_ci95"][name] = [round(v, 2) for v in acc.mean_interval()]
        result["per_clip"][name] = [round(v, 2) for v in acc.per_clip()]
        result["per_group"][name] = acc.groups()
        result["per_joint"][name] = acc.per_joint()
        result["per_action"][name] = acc.pooled_by(actions)
    for name in ("dkd", "initializer", "dkd_qat"):
        result["pck"].setdefault(name, None)
        result["pck_drawn"].setdefault(name, None)


def _penn_sequences_with_frames(penn_root, limit: int) -> list:
    """Test-split sequences that have their real frames on disk (at most ``limit``)."""
    from dkd_edge.data.penn_action import PennAction

    dataset = PennAction(penn_root, "test")
    ids = [i for i in dataset.ids if dataset.frame_paths(i)][:limit]
    return [dataset[dataset.ids.index(i)] for i in ids]


def _sequence_rows(trackers: dict[str, TrackerFns], sequences: list, config, decode: str,
                   progress: bool, label: str) -> dict:
    """PCK rows of real video (letterboxed frames, keypoints mapped back)."""
    rows: dict = {"clips": len(sequences), "pck": {}, "pck_ci95": {}, "per_group": {},
                  "per_joint": {}}
    for name, fns in trackers.items():
        acc = evaluate_sequences(fns, sequences, config, progress, desc=f"{label} {name}",
                                 decode=decode)
        rows["pck"][name] = acc.groups()["Mean"]
        rows["pck_ci95"][name] = [round(v, 2) for v in acc.mean_interval()]
        rows["per_group"][name] = acc.groups()
        rows["per_joint"][name] = acc.per_joint()
    return rows
