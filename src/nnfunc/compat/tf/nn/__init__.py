"""TensorFlow 1.x `tf.nn` (tf.compat.v1): names, arguments, defaults and layouts as documented."""

from nnfunc.compat._parts import gather

__all__ = gather(__name__, __path__, globals())
