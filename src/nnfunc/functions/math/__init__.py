"""Element-wise math and linear algebra (catalog family 21)."""

from nnfunc.functions.math import _creation, _elementwise, _exp_log_matmul, _linalg
from nnfunc.functions.math._creation import *  # noqa: F403
from nnfunc.functions.math._elementwise import *  # noqa: F403
from nnfunc.functions.math._exp_log_matmul import *  # noqa: F403
from nnfunc.functions.math._linalg import *  # noqa: F403

# Each part lists its functions once, in its own ``__all__`` (``_erf``, ``_sqrt`` and
# ``_reciprocal`` are private helpers of other families, not part of this one).
__all__ = sorted(
    [*_creation.__all__, *_elementwise.__all__, *_exp_log_matmul.__all__, *_linalg.__all__]
)
