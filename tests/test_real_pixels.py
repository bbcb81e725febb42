"""The bundled model on real pixels: joint names are the person's own."""

import numpy as np
import torch

from dkd_edge.data.lspet import LSPET
from dkd_edge.eval.evaluate import keypoints_from_heatmaps
from dkd_edge.eval.pck import correct_joints
from dkd_edge.model.loading import load_model
from dkd_edge.preprocess import letterbox, normalise_nchw
from dkd_edge.skeleton import FLIP_PAIRS

SIDED = [j for j in range(13) if FLIP_PAIRS[j] != j]


def test_names_are_the_persons_on_lspet_validation_images(lspet_root):
    """On 200 held-out real images, the initializer's sided joints score higher PCK by name
    than with left and right exchanged, and on clearly more images: a model whose names
    were the person's opposite (every model before v5) fails both. The margin is the
    bundled v5.0's (about 5 points, 91 images better against 52 worse): it tells sides
    apart, but not by far (model card, Known gaps)."""
    model, config, _ = load_model()
    named = swapped = counted = 0
    better = worse = 0
    with torch.no_grad():
        for item in LSPET(lspet_root, "val").items[:200]:
            square, box = letterbox(item.load(), config.input_size)
            x = torch.from_numpy(normalise_nchw(square, config.mean, config.std))
            heatmaps = model.initializer(x)[0].numpy()
            points = box.to_frame(keypoints_from_heatmaps(heatmaps[None], config.stride)[0])
            visible = item.annotated
            size = item.joints[visible].max(0) - item.joints[visible].min(0)
            bbox = np.r_[0, 0, size].astype(np.float32)
            by_name = correct_joints(points, item.joints, visible, bbox)[SIDED].sum()
            exchanged = correct_joints(points[list(FLIP_PAIRS)], item.joints, visible,
                                       bbox)[SIDED].sum()
            named, swapped, counted = named + by_name, swapped + exchanged, \
                counted + visible[SIDED].sum()
            better, worse = better + (by_name > exchanged), worse + (by_name < exchanged)
    assert named / counted > swapped / counted + 0.03, (named / counted, swapped / counted)
    assert better > 1.4 * worse, (better, worse)
