"""tf.nn entries of tf.nn (part _activation)."""

__all__: list[str] = []
