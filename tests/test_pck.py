import numpy as np
import pytest

from dkd_edge.eval.pck import PCKAccumulator, correct_joints, pck
from dkd_edge.keypoints import decode_heatmaps, heatmap_to_image, image_to_heatmap


def test_pck_hand_computed_case():
    # bbox 100 wide, 50 tall -> threshold 0.2 * 100 = 20 px.
    bbox = np.array([[0, 0, 100, 50]], np.float32)
    gt = np.zeros((1, 13, 2), np.float32)
    pred = gt.copy()
    pred[0, 0] = [20, 0]       # exactly at the threshold: correct
    pred[0, 1] = [12, 16]      # distance 20: correct
    pred[0, 2] = [15, 15]      # distance 21.2: wrong
    pred[0, 5] = [0, 30]       # wrong, but invisible: not counted
    vis = np.ones((1, 13), bool)
    vis[0, 5] = False
    hits = correct_joints(pred, gt, vis, bbox)
    assert hits[0, :3].tolist() == [True, True, False]
    table = pck(pred, gt, vis, bbox)
    assert table["Head"] == 100.0
    assert table["Sho"] == 50.0
    assert table["Wri"] == 100.0  # only the visible right wrist counts
    assert np.isclose(table["Mean"], 100 * 11 / 12)


def test_pck_uses_max_of_width_and_height_and_accumulates():
    bbox = np.array([[0, 0, 10, 200]], np.float32)  # height wins: threshold 40
    gt = np.zeros((1, 13, 2))
    pred = gt + [30.0, 0.0]
    acc = PCKAccumulator()
    acc.update(pred, gt, np.ones((1, 13), bool), bbox)
    acc.update(pred + 100, gt, np.ones((1, 13), bool), bbox)
    assert acc.groups()["Mean"] == 50.0
    assert acc.per_joint()["head"] == 50.0


def test_per_clip_means_and_a_bootstrap_interval_over_clips():
    bbox = np.array([[0, 0, 100, 100]] * 4, np.float32)
    gt = np.zeros((4, 13, 2))
    vis = np.ones((4, 13), bool)
    acc = PCKAccumulator()
    for share in (1.0, 0.5, 0.75, 0.25):  # four clips of 4 frames, a share of frames right
        pred = gt.copy()
        pred[int(share * 4):] += 50.0
        acc.update(pred, gt, vis, bbox)
    assert acc.per_clip() == [100.0, 50.0, 75.0, 25.0]
    assert acc.pooled_by(["squat", "situp", "squat", "situp"]) == {"situp": 37.5, "squat": 87.5}
    with pytest.raises(ValueError, match="3 labels for 4 clips"):
        acc.pooled_by(["squat"] * 3)
    low, high = acc.mean_interval()
    assert 25.0 <= low < acc.groups()["Mean"] == 62.5 < high <= 100.0
    same = PCKAccumulator()
    for _ in range(4):
        same.update(gt, gt, vis, bbox)
    assert same.mean_interval() == (100.0, 100.0)  # identical clips: no spread
    assert np.isnan(PCKAccumulator().mean_interval()).all()  # no clips: no interval


def test_decode_argmax_and_quarter_offset():
    maps = np.zeros((2, 8, 8), np.float32)
    maps[0, 3, 4] = 1.0
    maps[0, 3, 5] = 0.5        # right neighbour higher -> x + 0.25
    maps[0, 2, 4] = 0.4        # upper neighbour higher -> y - 0.25
    maps[1, 0, 7] = 2.0        # on the border: no refinement
    coords, scores = decode_heatmaps(maps, "argmax")
    np.testing.assert_allclose(coords, [[4.25, 2.75], [7.0, 0.0]])
    np.testing.assert_allclose(scores, [1.0, 2.0])


def test_decode_centroid_follows_the_mass_not_a_lone_spike():
    maps = np.zeros((3, 16, 16), np.float32)
    maps[0, 3:8, 8:13] = 0.8          # a broad response centred on (10, 5) ...
    maps[0, 13, 2] = 1.0              # ... beats a higher lone spike at (2, 13)
    maps[1, 3, 4], maps[1, 3, 5] = 1.0, 0.5   # weights 0.7 and 0.2 -> x = 4.2222
    maps[2] = -1.0                    # no positive peak: the argmax cell
    maps[2, 8, 1] = -0.5
    coords, scores = decode_heatmaps(maps, "centroid")
    assert np.linalg.norm(coords[0] - [10.0, 5.0]) < 1.0   # argmax would say (2, 13)
    np.testing.assert_allclose(coords[1], [4.0 + 0.2 / 0.9, 3.0], atol=1e-5)
    np.testing.assert_allclose(coords[2], [1.0, 8.0])
    np.testing.assert_allclose(scores, [1.0, 1.0, -0.5])
    np.testing.assert_allclose(decode_heatmaps(maps, "argmax")[0][0], [2.0, 13.0])


def test_decode_local_keeps_to_the_strongest_response():
    maps = np.zeros((3, 64, 64), np.float32)
    maps[0, 8:13, 8:13] = 0.9           # the joint: a broad response centred on (10, 10) ...
    maps[0, 50:55, 50:55] = 0.6         # ... and the mirror limb's weaker one at (52, 52)
    maps[0, 40, 3] = 1.0                # a higher lone spike: not the mode
    maps[1, 20, 30], maps[1, 20, 31] = 1.0, 0.5  # one response: the peak-relative centroid
    maps[2] = -1.0                      # no positive peak: the argmax cell
    maps[2, 8, 1] = -0.5
    local, scores = decode_heatmaps(maps)
    np.testing.assert_allclose(local[0], [10.0, 10.0], atol=1e-5)
    np.testing.assert_allclose(local[1], [30.0 + 0.45 / 1.4, 20.0], atol=1e-5)
    np.testing.assert_allclose(local[2], [1.0, 8.0])
    np.testing.assert_allclose(scores, [1.0, 1.0, -0.5])
    # The global centroid lands between the two responses, on neither.
    assert np.linalg.norm(decode_heatmaps(maps, "centroid")[0][0] - [10.0, 10.0]) > 10.0
    # Batched leading dimensions decode like single maps.
    np.testing.assert_allclose(decode_heatmaps(np.stack([maps, maps]))[0][1], local)


def test_decode_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown heatmap decode"):
        decode_heatmaps(np.zeros((1, 4, 4), np.float32), "softargmax")


def test_heatmap_image_coordinates_round_trip():
    pts = np.array([[0.0, 0.0], [255.0, 127.5]])
    np.testing.assert_allclose(heatmap_to_image(image_to_heatmap(pts, 4), 4), pts, atol=1e-5)
    np.testing.assert_allclose(heatmap_to_image([[0, 0]], 4), [[1.5, 1.5]])
