"""TensorFlow 1.x `tf.nn` (tf.compat.v1): names, arguments, defaults and layouts as documented."""

from . import _activation, _conv, _core, _elementwise, _loss, _norm, _rnn
from ._activation import *  # noqa: F403
from ._conv import *  # noqa: F403
from ._core import *  # noqa: F403
from ._elementwise import *  # noqa: F403
from ._loss import *  # noqa: F403
from ._norm import *  # noqa: F403
from ._rnn import *  # noqa: F403

__all__ = sorted(
    {
        n
        for m in (
            _core,
            _elementwise,
            _activation,
            _conv,
            _norm,
            _loss,
            _rnn,
        )
        for n in m.__all__
    }
)
