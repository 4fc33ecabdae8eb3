"""Top-level tf functions documented on the tf.nn page (tf.sigmoid, tf.tanh)."""

__all__: list[str] = []
