"""Keras 3 `keras.ops.nn`: names, arguments, defaults and layouts as documented."""

from . import _activation, _conv, _core, _elementwise, _loss, _norm
from ._activation import *  # noqa: F403
from ._conv import *  # noqa: F403
from ._core import *  # noqa: F403
from ._elementwise import *  # noqa: F403
from ._loss import *  # noqa: F403
from ._norm import *  # noqa: F403

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
        )
        for n in m.__all__
    }
)

# attention family (appended: one block per family keeps merges of parallel branches simple)
from . import _attention
from ._attention import *  # noqa: F403

__all__ = sorted({*__all__, *_attention.__all__})
