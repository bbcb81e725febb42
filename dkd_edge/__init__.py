"""dkd-edge: Dynamic Kernel Distillation video pose estimation, from PyTorch to phones.

The top-level package stays light (no torch import) so that the torch-free runtime and the
data tools can be used without the conversion stack.
"""

from dkd_edge.errors import DkdError

__version__ = "0.1.0"
__all__ = ["DkdError", "__version__"]
