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
    """On held-out real images, PCK of the sided joints by name is far above PCK with left
    and right exchanged: the model's left_wrist is the person's left wrist."""
    model, config, _ = load_model()
    val = LSPET(lspet_root, "val")
    named, swapped, counted = [], [], []
    with torch.no_grad():
        for item in val.items[:60]:
            square, box = letterbox(item.load(), config.input_size)
            x = torch.from_numpy(normalise_nchw(square, config.mean, config.std))
            heatmaps = model.initializer(x)[0].numpy()
            points = box.to_frame(keypoints_from_heatmaps(heatmaps[None], config.stride)[0])
            visible = item.annotated
            size = item.joints[visible].max(0) - item.joints[visible].min(0)
            bbox = np.r_[0, 0, size].astype(np.float32)
            named.append(correct_joints(points, item.joints, visible, bbox)[SIDED].sum())
            swapped.append(correct_joints(points[list(FLIP_PAIRS)], item.joints, visible,
                                          bbox)[SIDED].sum())
            counted.append(visible[SIDED].sum())
    named_pck, swapped_pck = sum(named) / sum(counted), sum(swapped) / sum(counted)
    assert named_pck > 0.5 and named_pck > swapped_pck + 0.25, (named_pck, swapped_pck)
