import pytest
import torch
import torch.nn.functional as F

from dkd_edge.errors import DkdError
from dkd_edge.eval.cost import model_cost
from dkd_edge.model import DKD, InitGraph, StepGraph, TemporalDiscriminator, get_config
from dkd_edge.model.kernels import match_kernels, pool_patches


def test_matching_equals_per_sample_conv():
    torch.manual_seed(0)
    b, j, c, k, s = 2, 13, 6, 3, 12
    features = torch.randn(b, c, s, s)
    kernels = torch.randn(b, j, c, k, k)
    expected = torch.stack([F.conv2d(features[i:i + 1], kernels[i], padding=k // 2)[0]
                            for i in range(b)])
    got = match_kernels(features, kernels, b, j, c, k, s)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_patch_pooling_picks_the_patch_under_a_one_hot_heatmap():
    b, j, c, k, s = 1, 2, 3, 3, 8
    keys = torch.arange(b * c * s * s, dtype=torch.float32).reshape(b, c, s, s)
    weights = torch.zeros(b, j, s, s)
    weights[0, 0, 4, 5] = 1.0
    weights[0, 1, 0, 0] = 1.0  # at the corner: padded taps are zero
    patches = pool_patches(keys, weights, b, j, c, k, s)
    torch.testing.assert_close(patches[0, 0], keys[0, :, 3:6, 4:7])
    assert patches[0, 1, :, 0, :].abs().sum() == 0 and patches[0, 1, :, 1, 1].eq(
        keys[0, :, 0, 0]).all()


@pytest.mark.parametrize("name", ["dkd-tiny", "dkd-small"])
def test_init_and_step_shapes(name):
    cfg = get_config(name)
    model = DKD(cfg).eval()
    frame = torch.randn(1, 3, cfg.input_size, cfg.input_size)
    with torch.no_grad():
        heatmaps, kernels = InitGraph(model)(frame)
        heatmaps2, kernels2 = StepGraph(model)(frame, kernels)
    h = cfg.input_size // 4
    assert heatmaps.shape == heatmaps2.shape == (1, 13, h, h)
    assert kernels.shape == kernels2.shape == cfg.kernel_shape


def test_small_config_is_cheap_per_step():
    cost = model_cost(DKD(get_config("dkd-small")))
    assert cost["flops_step"] / cost["flops_init"] <= 0.1
    assert cost["input_size"] == [256, 256] and len(cost["joints"]) == 13
    assert cost["params_initializer"] > 10 * cost["params_step"]


def test_rollout_matches_init_then_steps():
    cfg = get_config("dkd-tiny")
    model = DKD(cfg).eval()
    frames = torch.randn(2, 3, 3, cfg.input_size, cfg.input_size)
    with torch.no_grad():
        seq = model.rollout(frames)
        h0, k = model.init(frames[1:2, 0])
        h1, k = model.step(frames[1:2, 1], k)
        h2, _ = model.step(frames[1:2, 2], k)
    torch.testing.assert_close(seq[1], torch.cat([h0, h1, h2]), atol=1e-5, rtol=1e-4)


def test_discriminator_scores_sequences():
    disc = TemporalDiscriminator(13)
    scores = disc(torch.rand(3, 5, 13, 16, 16))
    assert scores.shape == (3,)


def test_unknown_config_suggests_a_name():
    with pytest.raises(DkdError, match="did you mean 'dkd-small'"):
        get_config("dkd-smal")


def test_configs_carry_preprocessing():
    for name in ("dkd-small", "dkd-base"):
        cfg = get_config(name)
        pre = cfg.preprocessing()
        assert pre["input_size"] == [256, 256] and len(pre["mean"]) == 3
        assert len(cfg.joint_names) == 13 and cfg.skeleton


def _tiny_with_bn_statistics() -> tuple:
    """dkd-tiny in eval mode with non-trivial BatchNorm statistics, so that growth tests can
    fail (zero-mean, unit-scale BN would hide a block that is not the identity)."""
    torch.manual_seed(0)
    small = get_config("dkd-tiny")
    model = DKD(small).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.weight.uniform_(0.5, 1.5)
    return small, model


def test_growing_the_encoder_keeps_its_output():
    """Blocks added past the second of a stage start as the identity (zero BN scale), so a
    trained encoder loaded into a deeper config computes what it did; 1x1 kernels load the
    same weights as 3x3 ones (the channel mix is per tap)."""
    import dataclasses

    small, model = _tiny_with_bn_statistics()
    deep = DKD(dataclasses.replace(small, encoder_blocks=(2, 3, 5))).eval()
    missing = deep.load_state_dict(model.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith(("encoder.s8.2.", "encoder.s16.")) for k in missing)
    frame = torch.randn(1, 3, small.input_size, small.input_size)
    with torch.no_grad():
        torch.testing.assert_close(deep.encoder(frame), model.encoder(frame))
        for p in deep.encoder.s16[2].parameters():
            p.add_(0.1)  # trained away from the identity, the output changes
        assert (deep.encoder(frame) - model.encoder(frame)).abs().max() > 1e-3
    one = DKD(dataclasses.replace(small, kernel_size=1)).eval()
    one.load_state_dict(model.state_dict())
    with torch.no_grad():
        heatmaps, kernels = one.init(frame)
        assert kernels.shape == (1, small.num_joints, small.kernel_channels, 1, 1)
        assert one.step(frame, kernels)[0].shape == heatmaps.shape


def test_growing_the_initializer_keeps_its_output():
    """``init_refine`` blocks start as the identity: a trained initializer loaded into a
    config with more decoder blocks computes what it did, until they are trained."""
    import dataclasses

    small, model = _tiny_with_bn_statistics()
    grown = DKD(dataclasses.replace(small, init_refine=(1, 2, 1))).eval()
    missing = grown.load_state_dict(model.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith("initializer.refine") for k in missing)
    assert len(grown.initializer.refine8) == 2
    frame = torch.randn(1, 3, small.input_size, small.input_size)
    with torch.no_grad():
        torch.testing.assert_close(grown.initializer(frame), model.initializer(frame))
        for p in grown.initializer.refine4.parameters():
            p.add_(0.1)
        assert (grown.initializer(frame) - model.initializer(frame)).abs().max() > 1e-3


def test_global_context_grows_the_encoder_and_reads_the_whole_frame():
    """``encoder_context`` starts as the identity (a trained encoder loaded into it computes
    what it did); once trained, a change far from a position reaches that position."""
    import dataclasses

    small, model = _tiny_with_bn_statistics()
    grown = DKD(dataclasses.replace(small, encoder_context=8)).eval()
    missing = grown.load_state_dict(model.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["encoder.context.expand.bias", "encoder.context.expand.weight",
                               "encoder.context.reduce.bias", "encoder.context.reduce.weight"]
    frame = torch.randn(1, 3, small.input_size, small.input_size)
    with torch.no_grad():
        torch.testing.assert_close(grown.encoder(frame), model.encoder(frame))
        for p in grown.encoder.context.parameters():
            p.normal_(0.0, 0.5)
        corner = frame.clone()
        corner[..., :16, :16] = 5.0  # edit one corner; look at the opposite one
        far = (grown.encoder(corner) - grown.encoder(frame))[..., -2:, -2:].abs().max()
        near_only = (model.encoder(corner) - model.encoder(frame))[..., -2:, -2:].abs().max()
    assert far > 1e-5 and far > 100 * near_only  # beyond the plain encoder's receptive field


def test_one_by_one_kernels_match_and_pool_like_conv():
    torch.manual_seed(1)
    b, j, c, s = 2, 5, 4, 6
    features = torch.randn(b, c, s, s)
    kernels = torch.randn(b, j, c, 1, 1)
    expected = torch.stack([F.conv2d(features[i:i + 1], kernels[i])[0] for i in range(b)])
    torch.testing.assert_close(match_kernels(features, kernels, b, j, c, 1, s), expected)
    weights = torch.rand(b, j, s, s)
    pooled = pool_patches(features, weights, b, j, c, 1, s)
    torch.testing.assert_close(pooled[..., 0, 0], torch.einsum("bjhw,bchw->bjc", weights, features))
