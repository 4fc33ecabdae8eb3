"""Every canonical nnfunc function, one package per catalog family.

Each family package lists its public functions in ``__all__``; this module re-exports them all
(``nnfunc.functions.relu`` is ``nnfunc.relu``).
"""

from nnfunc.core.variable import OPS as _OPS
from nnfunc.functions import (
    activation,
    arithmetic,
    array,
    attention,
    clipping,
    convolution,
    ctc,
    detection,
    embedding,
    encoding,
    logical,
    loss,
    math,
    normalization,
    pooling,
    quantization,
    recurrent,
    reduction,
    sampling,
    signal,
    stochastic,
    validation,
)

# The family package `linear` shares its name with its function nnfunc.linear, which the star
# import below rebinds; keep the module under another name for FAMILIES.
from nnfunc.functions import linear as _linear_family
from nnfunc.functions.activation import *  # noqa: F403
from nnfunc.functions.arithmetic import *  # noqa: F403
from nnfunc.functions.array import *  # noqa: F403
from nnfunc.functions.attention import *  # noqa: F403
from nnfunc.functions.clipping import *  # noqa: F403
from nnfunc.functions.convolution import *  # noqa: F403
from nnfunc.functions.ctc import *  # noqa: F403
from nnfunc.functions.detection import *  # noqa: F403
from nnfunc.functions.embedding import *  # noqa: F403
from nnfunc.functions.encoding import *  # noqa: F403
from nnfunc.functions.linear import *  # noqa: F403
from nnfunc.functions.logical import *  # noqa: F403
from nnfunc.functions.loss import *  # noqa: F403
from nnfunc.functions.math import *  # noqa: F403
from nnfunc.functions.normalization import *  # noqa: F403
from nnfunc.functions.pooling import *  # noqa: F403
from nnfunc.functions.quantization import *  # noqa: F403
from nnfunc.functions.recurrent import *  # noqa: F403
from nnfunc.functions.reduction import *  # noqa: F403
from nnfunc.functions.sampling import *  # noqa: F403
from nnfunc.functions.signal import *  # noqa: F403
from nnfunc.functions.stochastic import *  # noqa: F403
from nnfunc.functions.validation import *  # noqa: F403

FAMILIES = (
    activation,
    arithmetic,
    array,
    attention,
    clipping,
    convolution,
    ctc,
    detection,
    embedding,
    encoding,
    _linear_family,
    logical,
    loss,
    math,
    normalization,
    pooling,
    quantization,
    recurrent,
    reduction,
    sampling,
    signal,
    stochastic,
    validation,
)

__all__ = sorted({n for fam in FAMILIES for n in fam.__all__})

# Variable and SymbolicVariable operators route through the canonical functions.
_OPS.add = arithmetic.add
_OPS.sub = arithmetic.sub
_OPS.mul = arithmetic.mul
_OPS.div = arithmetic.div
_OPS.pow = arithmetic.pow
_OPS.neg = arithmetic.neg
_OPS.matmul = math.matmul
_OPS.getitem = array.getitem
# The gradient helpers of Function (core never imports functions/).
_OPS.sum_to = array._shape_ops.sum_to
_OPS.broadcast_to_like = array._shape_ops.broadcast_to_like
_OPS.reshape_like = array._shape_ops.reshape_like
_OPS.equal = logical.equal
_OPS.not_equal = logical.not_equal
_OPS.less = logical.less
_OPS.less_equal = logical.less_equal
_OPS.greater = logical.greater
_OPS.greater_equal = logical.greater_equal
