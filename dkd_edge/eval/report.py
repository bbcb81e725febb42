"""The evaluation behind ``dkd-edge eval``: every mode on the same clips, one result dict."""

from __future__ import annotations

import torch

from dkd_edge.errors import DkdError
from dkd_edge.eval.evaluate import (
    TrackerFns,
    evaluate_rendered,
    evaluate_sequences,
    rendered_test_clips,
)
from dkd_edge.eval.keypoints import DECODE_METHODS, DEFAULT_DECODE
from dkd_edge.eval.pck import PCKAccumulator
from dkd_edge.model.dkd import DKD


def float_trackers(model: DKD) -> dict[str, TrackerFns]:
    model.eval()
    return {
        "initializer": TrackerFns(lambda x: (model.initializer(x), None), None),
        "dkd": TrackerFns(model.init, model.step),
    }


def run_eval(checkpoint, penn_root, limit: int, max_frames: int, jhmdb_root=None,
             with_qat: bool = True, progress: bool = True,
             initializer_from: str | None = None, decode: str = DEFAULT_DECODE) -> dict:
    """PCK@0.2 (percent) per mode on rendered test clips, and on Sub-JHMDB when given.
    ``pck_ci95`` is a bootstrap 95 % interval of each mean over clips; ``per_clip`` the clips'
    own means, in clip order (for paired comparisons of two checkpoints); ``per_action`` the
    mean over each Penn Action action's clips.
    ``pck`` scores the joints the source labels mark visible (the standard protocol);
    ``pck_drawn`` every joint drawn in view, as ``pck`` did until December 2026 (see
    ``RenderedClip``).
    ``initializer_from`` swaps in another checkpoint's pose initializer (float rows only:
    the QAT graphs carry their own initializer weights). ``decode`` picks how keypoints are
    read off the heatmaps (``dkd_edge.eval.keypoints.decode_heatmaps``)."""
    from dkd_edge.model.loading import load_initializer, load_model

    if limit < 1:
        raise DkdError(f"--limit must be at least 1, got {limit}")
    if decode not in DECODE_METHODS:
        raise DkdError(f"unknown --decode {decode!r}: use one of {', '.join(DECODE_METHODS)}")
    torch.set_grad_enabled(False)
    model, config, data = load_model(checkpoint)
    if initializer_from:
        load_initializer(model, initializer_from)
        with_qat = False
    trackers = float_trackers(model)
    if with_qat and data.get("qat"):
        from dkd_edge.quant.qat import qat_trackers

        trackers["dkd_qat"] = qat_trackers(model, data["qat"])
    clips = rendered_test_clips(penn_root, limit, max_frames, config.input_size)
    result: dict = {"model": config.name, "clips": len(clips),
                    "frames": int(sum(len(c.frames) for c in clips)), "decode": decode,
                    "pck": {}, "pck_ci95": {}, "pck_drawn": {}, "per_clip": {},
                    "per_group": {}, "per_joint": {}, "per_action": {}}
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
    if jhmdb_root:
        from dkd_edge.data.jhmdb import SubJHMDB

        sequences = list(SubJHMDB(jhmdb_root))
        result["jhmdb_pck"] = {}
        for name, fns in trackers.items():
            acc = evaluate_sequences(fns, sequences, config, progress, desc=f"jhmdb {name}",
                                     decode=decode)
            result["jhmdb_pck"][name] = acc.groups()["Mean"]
            result["per_group"][f"jhmdb_{name}"] = acc.groups()
    return result
