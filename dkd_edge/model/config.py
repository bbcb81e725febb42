"""Named DKD configurations, timm-style: architecture plus the preprocessing that travels
with the weights."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, replace

from dkd_edge.errors import DkdError
from dkd_edge.skeleton import PENN_JOINTS, SKELETON


@dataclass(frozen=True)
class DKDConfig:
    """Everything needed to rebuild a DKD model and to feed it correctly.

    Architecture: the initializer's backbone (``mobilenet``: our own, trained from scratch,
    sized by ``init_widths``; or ``efficientnet_lite0|1|2``, ImageNet-pretrained), its
    decoder width ``init_head``, the frame encoder's widths, and the pose
    kernels' shape [joints, kernel_channels, kernel_size, kernel_size]. ``kernel_channels``
    includes ``coord_channels`` fixed position channels (x, y, x^2 + y^2), which let a
    kernel carry where its joint was as well as what it looked like.

    ``init_refine`` adds that many inverted residuals (expansion 2) to the initializer's
    decoder at strides 16, 8 and 4, after its fuse blocks. They start as the identity, so a
    trained initializer can be grown and fine-tuned.

    ``encoder_blocks`` counts the frame encoder's inverted residuals at strides 4, 8 and 16
    (the first of each stage strides; blocks past the second start as the identity, so a trained
    encoder can be grown and fine-tuned).

    ``encoder_context`` (a hidden width; 0: off) adds a global-context block to the frame
    encoder after its middle stride-16 block: the mean over the map through two 1x1 convs,
    added at every position. It starts as the identity, so a trained encoder can be grown.

    ``position_frequencies`` adds 4 channels per frequency f (cos and sin of f*pi*x and
    f*pi*y), the last ``position_channels`` of the kernel. They are pooled and matched at the
    kernel's centre tap only, so their response is a learned, shift-invariant sum of cosines
    of the distance to where the joint was: a sharp location prior at almost no cost.
    ``static_head`` adds a learned 1x1 joint detector on the step's features to the matched
    response (a constant kernel beside the distilled ones). ``pool_threshold`` t pools each
    joint's features with weights ``relu(h - t * max(h))``: at 0, small positive heatmap
    values far from the joint carry most of the weight; at 0.5 the peak's neighbourhood does.
    """

    name: str
    input_size: int = 256
    stride: int = 4
    num_joints: int = len(PENN_JOINTS)
    init_backbone: str = "mobilenet"
    init_widths: tuple[int, ...] = (16, 24, 32, 64, 96, 160)
    init_expand: int = 6
    init_head: int = 64
    init_refine: tuple[int, int, int] = (0, 0, 0)
    encoder_widths: tuple[int, ...] = (8, 16, 32, 48)
    encoder_features: int = 24
    encoder_expand: int = 2
    encoder_blocks: tuple[int, int, int] = (2, 2, 2)
    encoder_context: int = 0
    kernel_channels: int = 24
    kernel_size: int = 3
    coord_channels: int = 3
    position_frequencies: tuple[int, ...] = ()
    static_head: bool = False
    pool_threshold: float = 0.0
    heatmap_sigma: float = 2.0
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    channel_order: str = "RGB"
    joint_names: tuple[str, ...] = PENN_JOINTS
    skeleton: tuple[tuple[int, int], ...] = SKELETON
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def heatmap_size(self) -> int:
        return self.input_size // self.stride

    @property
    def position_channels(self) -> int:
        return 4 * len(self.position_frequencies)

    @property
    def appearance_channels(self) -> int:
        """Kernel channels matched over all k x k taps (learned + x, y, r^2)."""
        return self.kernel_channels - self.position_channels

    @property
    def kernel_shape(self) -> tuple[int, int, int, int, int]:
        """State shape for batch 1: [1, J, C, k, k]."""
        k = self.kernel_size
        return (1, self.num_joints, self.kernel_channels, k, k)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["skeleton"] = [list(edge) for edge in self.skeleton]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DKDConfig:
        data = dict(data)
        for key in ("init_widths", "init_refine", "encoder_widths", "encoder_blocks", "mean", "std",
                    "joint_names", "position_frequencies"):
            if key in data:
                data[key] = tuple(data[key])
        if "skeleton" in data:
            data["skeleton"] = tuple(tuple(edge) for edge in data["skeleton"])
        return cls(**data)

    def preprocessing(self) -> dict:
        """The preprocessing contract written into checkpoints and artifacts."""
        return {
            "input_size": [self.input_size, self.input_size],
            "mean": list(self.mean),
            "std": list(self.std),
            "scale": 1.0 / 255.0,
            "channel_order": self.channel_order,
            "resize": "letterbox",
            "heatmap_stride": self.stride,
        }


REGISTRY: dict[str, DKDConfig] = {}


def register(config: DKDConfig) -> DKDConfig:
    REGISTRY[config.name] = config
    return config


register(DKDConfig(
    name="dkd-tiny", input_size=64,
    init_widths=(8, 8, 16, 16, 24, 32), init_expand=2, init_head=16,
    encoder_widths=(8, 8, 16, 16), encoder_features=8, kernel_channels=8, kernel_size=3,
))
register(DKDConfig(name="dkd-small", init_backbone="efficientnet_lite0", init_head=96,
                   kernel_channels=40, kernel_size=1,
                   encoder_blocks=(2, 2, 6), position_frequencies=(1, 2, 4, 8),
                   static_head=True, pool_threshold=0.5))
register(DKDConfig(
    name="dkd-base",
    init_widths=(24, 32, 48, 96, 136, 224), init_head=96,
    encoder_widths=(16, 24, 40, 64), encoder_features=32, kernel_channels=32, kernel_size=3,
))

DEFAULT_CONFIG = "dkd-small"

# Fields that ``--set`` may change: the architecture's numbers, not names or label layouts.
_NOT_SETTABLE = {"name", "joint_names", "skeleton", "extra", "channel_order", "init_backbone"}


def parse_overrides(pairs: tuple[str, ...] | list[str]) -> dict:
    """``KEY=VALUE`` strings -> typed config overrides, e.g. ``encoder_context=48`` or
    ``encoder_blocks=2,2,8`` (ints, floats, booleans and comma-separated tuples, typed like
    the field's default). An unknown key or a bad value raises a one-line DkdError."""
    settable = {f.name: f.default for f in fields(DKDConfig)
                if f.name not in _NOT_SETTABLE and f.default is not MISSING}
    overrides = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in settable:
            raise DkdError(f"--set {pair!r}: use KEY=VALUE with KEY one of "
                           f"{', '.join(sorted(settable))}")
        default = settable[key]
        try:
            if isinstance(default, tuple):
                kind = type(default[0]) if default else int
                overrides[key] = tuple(kind(v) for v in text.split(",") if v.strip())
            elif isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(text)
                overrides[key] = text.lower() in ("true", "1")
            else:
                overrides[key] = type(default)(text)
        except ValueError:
            raise DkdError(f"--set {pair!r}: {key} takes a {type(default).__name__} like "
                           f"{default!r}") from None
    return overrides


def get_config(name: str, **overrides) -> DKDConfig:
    """A registered config by name; unknown names raise a DkdError listing the known ones."""
    if name not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DkdError(
            f"unknown model config {name!r}{hint}: choose one of {', '.join(sorted(REGISTRY))}"
        )
    config = REGISTRY[name]
    return replace(config, **overrides) if overrides else config
