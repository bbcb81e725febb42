"""Synthetic camera motion over real images: the labels move with the pixels."""

import numpy as np

from dkd_edge.data.synthetic_motion import (
    ViewRange,
    letterbox_view,
    motion_clip,
    view_labels,
    view_of,
    warp_points,
)
from dkd_edge.preprocess import letterbox


def _dot_image(point):
    image = np.zeros((120, 90, 3), np.uint8)
    x, y = point
    image[y - 2:y + 3, x - 2:x + 3] = 255
    return image


def test_motion_clip_labels_follow_the_pixels():
    joints = np.array([[30.0, 60.0]] + [[15.0, 20.0], [75.0, 110.0]] * 6, np.float32)
    annotated = np.ones(13, bool)
    image = _dot_image((30, 60))
    rng = np.random.default_rng(1)
    clip = motion_clip(image, joints, annotated, 128, 8, rng, occluder_prob=0.0)
    for frame, points in zip(clip["frames"], clip["joints"]):
        grey = frame.astype(float).mean(-1)
        y, x = np.unravel_index(np.argmax(grey), grey.shape)
        if points[0].min() > 2 and points[0].max() < 125:
            assert np.hypot(x - points[0, 0], y - points[0, 1]) < 3.0


def test_first_view_is_the_letterbox_of_the_image():
    image = _dot_image((30, 60))
    joints = np.tile(np.float32([[30.0, 60.0]]), (13, 1))
    clip = motion_clip(image, joints, np.ones(13, bool), 96, 3, np.random.default_rng(0),
                       first_view=letterbox_view(120, 90, 96), occluder_prob=0.0)
    boxed, box = letterbox(image, 96)
    np.testing.assert_allclose(clip["joints"][0, 0], [30 * box.scale + box.pad_x,
                                                      60 * box.scale + box.pad_y], atol=0.6)
    assert np.abs(clip["frames"][0].astype(int) - boxed.astype(int)).mean() < 6


def test_mirrored_views_exchange_left_and_right():
    """In a mirrored view the person reads as their own mirror image: the joint named
    left_wrist sits where the right wrist was drawn (standard flip augmentation)."""
    joints = np.full((13, 2), 45.0, np.float32)
    joints[5], joints[6] = [20, 60], [70, 60]  # left wrist, right wrist
    box = np.array([10, 10, 80, 110], np.float32)
    for flip in (0.0, 1.0):
        view, mirrored = view_of(box, 128, np.random.default_rng(0),
                                 ViewRange(flip_prob=flip, rotate_prob=0.0))
        moved, _ = view_labels(view, mirrored, joints, np.ones(13, bool))
        source = 6 if mirrored else 5
        assert mirrored == bool(flip)
        np.testing.assert_allclose(moved[5], warp_points(view, joints[source]), atol=1e-4)
        assert moved[5, 0] < moved[6, 0]  # the wrist on the image's left reads as left
